// Package httperr writes the error body every HTTP surface of appconnector shares with
// Kyma: {"code": <http status>, "error": "<message>"}, Content-Type
// application/json;charset=UTF-8, and reads it back on the client side. Messages must
// never contain secret values.
package httperr

import (
	"encoding/json"
	"net/http"
	"strings"
)

// ContentType is the exact value Kyma's components send with error bodies.
const ContentType = "application/json;charset=UTF-8"

// Body is the JSON error document.
type Body struct {
	Code  int    `json:"code"`
	Error string `json:"error"`
}

// Write sends status with a JSON error body naming the problem.
func Write(w http.ResponseWriter, status int, message string) {
	b, _ := json.Marshal(Body{Code: status, Error: message})
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// maxRawMessage is how much of a body that is not an error document Message shows.
const maxRawMessage = 200

// Message returns the message of an error answer: the "error" of the shared body, the
// "message" of the body Kyma's older components send, or else (a proxy in between,
// say) the start of the body as text, or the status text when the body is empty.
func Message(status int, body []byte) string {
	var b struct {
		Body
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &b); err == nil {
		if b.Error != "" {
			return b.Error
		}
		if b.Message != "" {
			return b.Message
		}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > maxRawMessage {
		msg = msg[:maxRawMessage] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return msg
}
