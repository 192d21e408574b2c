package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/appconnector/appconnector/adapters/httperr"
)

// maxResponse bounds what is read of one answer.
const maxResponse = 16 << 20

// Error is a non-2xx answer; Message is the server's error text.
type Error struct {
	StatusCode int
	Message    string
}

func (e *Error) Error() string { return fmt.Sprintf("server answered %d: %s", e.StatusCode, e.Message) }

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func do(ctx context.Context, hc *http.Client, method, url string, header http.Header, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("build request %s %s: %w", method, redact(url), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, redact(url), redactErr(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, redact(url), err)
	}
	if resp.StatusCode >= 300 {
		return errorFrom(resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, redact(url), err)
		}
	}
	return nil
}

func errorFrom(status int, data []byte) error {
	return &Error{StatusCode: status, Message: httperr.Message(status, data)}
}

// redact removes the query (which carries the one-time token) from URLs in messages.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?..."
	}
	return u
}

type redactedError struct{ msg string }

func (e redactedError) Error() string { return e.msg }

// redactErr strips one-time tokens from transport errors (*url.Error prints the URL).
func redactErr(err error) error {
	s := err.Error()
	const marker = "token="
	if !strings.Contains(s, marker) {
		return err
	}
	var b strings.Builder
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			b.WriteString(s)
			return redactedError{b.String()}
		}
		b.WriteString(s[:i+len(marker)] + "...")
		s = s[i+len(marker):]
		j := 0
		for j < len(s) && s[j] != '"' && s[j] != ' ' && s[j] != '&' {
			j++
		}
		s = s[j:]
	}
}
