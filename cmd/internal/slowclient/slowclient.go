// Package slowclient plays the slow or stalled HTTP client that listener limits exist
// for, over a raw connection, in tests of those limits.
package slowclient

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// Trickle writes p to c in pieces of n bytes, one every interval, until all is written,
// a write fails or done is closed.
func Trickle(c net.Conn, p string, n int, interval time.Duration, done <-chan struct{}) {
	for len(p) > 0 {
		select {
		case <-done:
			return
		case <-time.After(interval):
		}
		k := min(n, len(p))
		if _, err := io.WriteString(c, p[:k]); err != nil {
			return
		}
		p = p[k:]
	}
}

// WaitClosed reads from c until the server closes it and returns what it sent. It fails
// the test when that takes longer than max: the server kept the connection open.
func WaitClosed(t testing.TB, c net.Conn, max time.Duration) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(max)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept the connection open for %v", max)
	}
	return string(b)
}
