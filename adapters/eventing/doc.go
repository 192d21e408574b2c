// Package eventing delivers accepted events: Forwarder sends them to an HTTP CloudEvents
// endpoint (--eventing-url, for example Kyma's eventing publisher proxy) with
// github.com/cloudevents/sdk-go, in binary or structured mode; LogSink appends them to
// the embedded, bounded event log when no endpoint is configured. Both implement
// ports.EventSink and report failures as *event.DeliveryError.
package eventing
