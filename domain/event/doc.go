// Package event holds the rules of the Connectivity Validator's event contracts: the
// CloudEvent model forwarded to eventing, decoding of structured-mode CloudEvents, the
// legacy v1 event JSON (Kyma's /{app}/v1/events) with its validation, error shape and
// conversion to a CloudEvent, and the record kept in the embedded event log.
//
// The package is pure: it decodes and converts, it sends nothing. Delivery goes through
// ports.EventSink.
package event
