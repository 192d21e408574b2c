// Package telemetry is appconnector's observability adapter: Prometheus metrics on a
// listener of their own, OpenTelemetry tracing exported over OTLP/HTTP, and a slog
// handler that stamps log records with the current trace.
//
// The metric sets (GatewayMetrics, ConnectorMetrics, EventMetrics, StoreMetrics) are
// small types with one method per thing that happens. Every method is safe on a nil
// receiver, so a component wired without telemetry passes nil and pays one branch.
//
// Label values never come from a request: the gateway's per-route handle is created
// from the registry (Application name, normalised service name) when the route table
// is built, and every other label is one of a fixed set of constants. Cardinality is
// therefore bounded by what is registered, whatever clients send.
//
// Tracing is off unless an OTLP endpoint is configured. Off, the middleware and the
// round tripper return what they wrap, and the span helpers return the context they
// were given: no allocation, no work.
package telemetry
