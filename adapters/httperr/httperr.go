// Package httperr writes the error body every HTTP surface of appconnector shares with
// Kyma: {"code": <http status>, "error": "<message>"}, Content-Type
// application/json;charset=UTF-8. Messages must never contain secret values.
package httperr

import (
	"encoding/json"
	"net/http"
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
