package gateway

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	appgw "github.com/appconnector/appconnector/app/gateway"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// stateKey carries the per-request state from the handler to Rewrite, the transport,
// ModifyResponse and ErrorHandler, which httputil.ReverseProxy all call synchronously
// within ServeHTTP.
type stateKey struct{}

// reqState is what the handler resolved for one request. It is pooled.
type reqState struct {
	ep   *appgw.Endpoint
	b    *binding
	path dgw.Path
	// Target request path and query.
	urlPath, rawPath, query string
	// accessToken is the caller's Access-Token header (the override), if any.
	accessToken []string
	// body is the buffered request body when it can be replayed for a retry.
	body       *bytes.Buffer
	replayable bool

	// status is the answer's status code for the request log (0: none was sent).
	status int
	// headersAt is when the target's response headers were about to go to the caller,
	// the end of the request duration metric; zero for the gateway's own answers.
	headersAt time.Time
	// done is set when the handler returns normally; a panic (the proxy aborts a
	// response whose body failed) leaves it false.
	done   bool
	idle   time.Duration
	logger *slog.Logger
	client clientConn
	// w is the client's ResponseWriter, for modifyResponse to move headers into.
	w http.ResponseWriter
	// up is the client's request body, nil for a request without one.
	up *upload

	// resp wraps the target's response body; mu orders its setting against expire.
	mu   sync.Mutex
	resp respBody
	// timer runs expire while a read of the target's body is pending. It belongs to the
	// pooled state and is created once.
	timer *time.Timer
	// fired is set when timer went off: its function may then still be running, so
	// this state must not be reused.
	fired bool
	// flush runs flushPending when a read of the target's body waits flushDelay; reading
	// (under mu) says a read is pending. flushed is to flush what fired is to timer.
	flush   *time.Timer
	reading bool
	flushed bool
}

var statePool = sync.Pool{New: func() any {
	st := new(reqState)
	st.timer = time.AfterFunc(time.Hour, st.expire)
	st.timer.Stop()
	st.flush = time.AfterFunc(time.Hour, st.flushPending)
	st.flush.Stop()
	return st
}}

func getState() *reqState { return statePool.Get().(*reqState) }

func putState(st *reqState) {
	if st.fired || st.flushed {
		return // expire or flushPending may still hold it; let the collector have it
	}
	// The body buffer is not pooled: when a target answers before reading the whole
	// request, the transport may still be writing from it after the handler returned.
	*st = reqState{timer: st.timer, flush: st.flush}
	statePool.Put(st)
}

// newBody returns a fresh reader over the buffered body.
func (st *reqState) newBody() io.ReadCloser {
	if st.body == nil || st.body.Len() == 0 {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(st.body.Bytes()))
}

// copyBufferPool gives httputil.ReverseProxy reusable 32 KiB copy buffers instead of a
// fresh allocation per response. It pools array pointers, so Put converts the slice
// back without allocating a slice header.
type copyBufferPool struct{ p sync.Pool }

const copyBufferSize = 32 << 10

func newCopyBufferPool() *copyBufferPool {
	return &copyBufferPool{p: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

func (c *copyBufferPool) Get() []byte { return c.p.Get().(*[copyBufferSize]byte)[:] }

func (c *copyBufferPool) Put(b []byte) {
	if cap(b) == copyBufferSize {
		c.p.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
	}
}
