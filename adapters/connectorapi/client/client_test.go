package client

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	assert.Equal(t, "https://h/p?...", redact("https://h/p?token=secret"))
	assert.Equal(t, "https://h/p", redact("https://h/p"))
	err := redactErr(errors.New(`Get "https://h/p?token=secret&x=1": dial tcp: refused; token=again`))
	assert.Equal(t, `Get "https://h/p?token=...&x=1": dial tcp: refused; token=...`, err.Error())
	plain := errors.New("no secrets")
	assert.Equal(t, plain, redactErr(plain))
}

func TestErrorFrom(t *testing.T) {
	assert.Equal(t, &Error{StatusCode: 403, Message: "Invalid token."}, errorFrom(403, []byte(`{"code":403,"error":"Invalid token."}`)))
	assert.Equal(t, &Error{StatusCode: 400, Message: "missing field"}, errorFrom(400, []byte(`{"status":400,"message":"missing field"}`)))
	assert.Equal(t, &Error{StatusCode: 502, Message: http.StatusText(502)}, errorFrom(502, nil))
	assert.Equal(t, "server answered 500: boom", errorFrom(500, []byte("boom")).Error())
}
