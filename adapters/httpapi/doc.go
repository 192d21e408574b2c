// Package httpapi serves the management API (Echo): Kyma Application and Secret
// documents under /v1/applications and /v1/secrets, health and readiness endpoints, and
// sub-APIs of other areas (the legacy Application Registry, the connector) mounted as
// Routes behind the same admin-token check.
//
// Every error is one JSON body {"code": N, "error": "message"} written by one Echo
// HTTPErrorHandler; bad input is a 4xx naming the problem, never a 500, and no secret
// value, token or Authorization header reaches a response or a log.
package httpapi
