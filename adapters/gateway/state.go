package gateway

import (
	"bytes"
	"io"
	"net/http"
	"sync"

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
}

var statePool = sync.Pool{New: func() any { return new(reqState) }}

func getState() *reqState { return statePool.Get().(*reqState) }

func putState(st *reqState) {
	// The body buffer is not pooled: when a target answers before reading the whole
	// request, the transport may still be writing from it after the handler returned.
	*st = reqState{}
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
