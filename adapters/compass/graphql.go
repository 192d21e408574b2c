package compass

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Khan/genqlient/graphql"
)

// maxErrorBody bounds what is read of a non-200 answer, and maxMessage what of the
// server's text goes into an error.
const (
	maxErrorBody = 64 << 10
	maxMessage   = 1 << 10
)

// Error is a Compass call that the server answered with a non-200 status or with
// GraphQL errors.
type Error struct {
	// Service is "connector" or "director"; Operation the root field called, such as
	// "configuration" or "applicationsForRuntime".
	Service   string
	Operation string
	// StatusCode is the HTTP status; 200 when the errors came in a successful answer.
	StatusCode int
	// Messages are the server's error messages (GraphQL errors, or the body's text),
	// with any secret of the call removed.
	Messages []string
}

func (e *Error) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" {
		msg = "no message"
	}
	if e.StatusCode != http.StatusOK {
		return fmt.Sprintf("compass %s %s: HTTP %d: %s", e.Service, e.Operation, e.StatusCode, msg)
	}
	return fmt.Sprintf("compass %s %s: %s", e.Service, e.Operation, msg)
}

// call is one GraphQL call: the graphql.Client handed to a generated function. It
// carries what only this call knows: the headers, the operation's name for errors
// and the secrets to keep out of them.
type call struct {
	service   string
	operation string
	url       string
	client    *http.Client
	header    http.Header
	timeout   time.Duration
	maxBytes  int64
	// secrets are strings of this call (a token, a CSR) that must not appear in an
	// error even if the server echoes them.
	secrets []string
}

var _ graphql.Client = (*call)(nil)

// checkURL accepts an absolute http(s) URL; anything else is a configuration mistake
// better named now than as a transport error.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("no URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL %q", raw)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("URL %q is not an absolute http(s) URL", raw)
	}
	return nil
}

func (c *call) errorf(format string, args ...any) error {
	return fmt.Errorf("compass %s %s: %s", c.service, c.operation, c.redact(fmt.Sprintf(format, args...)))
}

func (c *call) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	body, err := json.Marshal(req)
	if err != nil {
		return c.errorf("encode request: %v", err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return c.errorf("build request: %v", err)
	}
	for k, v := range c.header {
		hreq.Header[k] = v
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")

	hresp, err := c.client.Do(hreq)
	if err != nil {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("compass %s %s: no answer within %s: %w", c.service, c.operation, c.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("compass %s %s: %w", c.service, c.operation, err)
	}
	defer hresp.Body.Close()

	if hresp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
		return &Error{Service: c.service, Operation: c.operation, StatusCode: hresp.StatusCode, Messages: c.messages(data)}
	}
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.maxBytes+1))
	if err != nil {
		return c.errorf("read answer: %v", err)
	}
	if int64(len(data)) > c.maxBytes {
		return c.errorf("answer larger than %d bytes", c.maxBytes)
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return c.errorf("decode answer: %v", err)
	}
	if len(resp.Errors) > 0 {
		msgs := make([]string, 0, len(resp.Errors))
		for _, e := range resp.Errors {
			m := e.Message
			// A path that is just the root field repeats what the error already names.
			if len(e.Path) > 0 && e.Path.String() != c.operation {
				m += " (at " + e.Path.String() + ")"
			}
			msgs = append(msgs, clip(c.redact(m)))
		}
		return &Error{Service: c.service, Operation: c.operation, StatusCode: http.StatusOK, Messages: msgs}
	}
	return nil
}

// messages extracts the server's messages from a non-200 body: GraphQL errors when
// it is a GraphQL answer, otherwise its (clipped) text.
func (c *call) messages(data []byte) []string {
	var gql struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &gql) == nil && len(gql.Errors) > 0 {
		out := make([]string, 0, len(gql.Errors))
		for _, e := range gql.Errors {
			out = append(out, clip(c.redact(e.Message)))
		}
		return out
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil
	}
	return []string{clip(c.redact(text))}
}

func (c *call) redact(s string) string {
	for _, secret := range c.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// clip keeps a server's message short and printable.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
