package httpapi_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trickle opens a raw connection, sends head and the first byte of a body announced as
// 100000 bytes, then keeps sending one byte every 50 ms until the test ends, as a slow
// (or hostile) client does.
func trickle(t *testing.T, url, head string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "%sHost: test\r\nContent-Length: 100000\r\n\r\n{", head)
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return // the server closed the connection, as it should
				}
			}
		}
	}()
	return conn, bufio.NewReader(conn)
}

// TestErrorAnswersDoNotWaitForTheBody: an answer that does not need the body (401
// before the token is known, 415, 405) arrives at once and the server closes the
// connection instead of reading a trickled body to keep it alive.
func TestErrorAnswersDoNotWaitForTheBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	auth := "Authorization: Bearer " + adminToken + "\r\n"
	tests := map[string]struct {
		head   string
		status int
	}{
		"no token":           {"PUT /v1/applications/orders HTTP/1.1\r\n", http.StatusUnauthorized},
		"wrong token":        {"PUT /v1/secrets/s HTTP/1.1\r\nAuthorization: Bearer nope\r\n", http.StatusUnauthorized},
		"no token, unknown":  {"POST /nowhere HTTP/1.1\r\n", http.StatusUnauthorized},
		"unsupported type":   {"PUT /v1/applications/orders HTTP/1.1\r\n" + auth + "Content-Type: text/html\r\n", http.StatusUnsupportedMediaType},
		"method not allowed": {"POST /v1/applications HTTP/1.1\r\n" + auth, http.StatusMethodNotAllowed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, r := trickle(t, e.url, tc.head)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(3*time.Second)))
			resp, err := http.ReadResponse(r, nil)
			require.NoError(t, err, "the answer must not wait for the body")
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode, string(body))
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			assert.True(t, resp.Close, "Connection: close")

			// The server hangs up rather than draining the body: EOF long before the
			// 100000 bytes could have arrived.
			_, err = r.ReadByte()
			assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server kept the connection open: %v", err)
			assert.Error(t, err)
		})
	}
}

// A body the handler did read leaves the connection open for the next request.
func TestReadBodyKeepsTheConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	r := bufio.NewReader(conn)
	for i, body := range []string{basicSecret, "stringData: {'bad key': x}\n", basicSecret} {
		_, err := fmt.Fprintf(conn, "PUT /v1/secrets/orders-basic HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", adminToken, len(body), body)
		require.NoError(t, err)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err, "request %d", i)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		assert.False(t, resp.Close, "request %d answered %d with Connection: close", i, resp.StatusCode)
	}
}
