// Package testutil holds small helpers that tests in several packages need. It is
// imported only by tests.
package testutil

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer safe for concurrent use: a log handler writes to it from
// server goroutines while the test reads what was logged.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Eventually polls cond until it reports true, and fails the test when timeout passes
// first, with what and the last description cond gave of the state it saw.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v; last: %s", what, timeout, last)
		}
		time.Sleep(5 * time.Millisecond) // the poll interval of a condition with a deadline
	}
}

// Holds adapts a condition without a description of the state for Eventually.
func Holds(cond func() bool) func() (bool, string) {
	return func() (bool, string) { return cond(), "" }
}

// PostEventAs posts a JSON event to url as an ingress that terminated the caller's
// mTLS would: with an X-Forwarded-Client-Cert of a random certificate hash and the
// given subject (e.g. "CN=orders,O=Org"). It returns the status code and body.
func PostEventAs(t testing.TB, url, event, subject string) (int, string) {
	t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(event))
	if err != nil {
		t.Fatalf("event request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Client-Cert", `Hash=`+hex.EncodeToString(hash)+`;Subject="`+subject+`"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post event: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
