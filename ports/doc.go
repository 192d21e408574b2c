// Package ports holds the driven-side interfaces of the hexagon: what the application
// core needs from storage and the outside world. Adapters implement them; app/ use cases
// depend on them; ports/porttest holds the one conformance suite every adapter of a port
// must pass.
//
// Unlike the wild-workouts example, where "ports" are the inbound HTTP/gRPC handlers,
// here ports are only interfaces; inbound HTTP lives in adapters/httpapi.
package ports
