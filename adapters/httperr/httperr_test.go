package httperr_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/adapters/httperr"
)

func TestWriteThenMessageRoundTrips(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httperr.Write(rec, http.StatusConflict, `metadata.labels["a b"]: bad`)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Equal(t, httperr.ContentType, rec.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, `metadata.labels["a b"]: bad`, httperr.Message(rec.Code, rec.Body.Bytes()))
}

func TestMessage(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status int
		body   string
		want   string
	}{
		"shared body":            {403, `{"code":403,"error":"Invalid token."}`, "Invalid token."},
		"legacy body":            {400, `{"status":400,"message":"missing field"}`, "missing field"},
		"error wins":             {400, `{"error":"e","message":"m"}`, "e"},
		"text":                   {500, " boom\n", "boom"},
		"json without a message": {502, `{"code":502}`, `{"code":502}`},
		"empty":                  {502, "", "Bad Gateway"},
		"long text is cut":       {500, strings.Repeat("x", 300), strings.Repeat("x", 200) + "..."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, httperr.Message(tc.status, []byte(tc.body)))
		})
	}
}
