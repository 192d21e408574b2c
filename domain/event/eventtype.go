package event

import "strings"

// CleanName removes every character that is not an ASCII letter or digit, as Kyma's
// eventing does with application names in event types ("system-prod" -> "systemprod").
func CleanName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FoldEventType folds an event type with more than two dot-separated segments to two by
// joining all but the last ("Account.Order.Created" -> "AccountOrder.Created").
func FoldEventType(t string) string {
	parts := strings.Split(t, ".")
	if len(parts) <= 2 {
		return t
	}
	last := len(parts) - 1
	return strings.Join(parts[:last], "") + "." + parts[last]
}

// LegacyType builds the CloudEvent type of a legacy event:
// "<prefix>.<app>.<event-type>.<version>", or without "<prefix>." when prefix is
// empty. app is cleaned with CleanName and the event type folded with FoldEventType.
func LegacyType(prefix, app, eventType, version string) string {
	parts := make([]string, 0, 4)
	if prefix != "" {
		parts = append(parts, prefix)
	}
	parts = append(parts, CleanName(app), FoldEventType(eventType), version)
	return strings.Join(parts, ".")
}
