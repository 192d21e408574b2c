package compass

import "strings"

// LabelIsNormalized is the runtime label that tells whether the Director already
// normalised the Application names it returns (compass.md 1.9).
const LabelIsNormalized = "isNormalized"

// normalizedPrefix is what Compass's DefaultNormalizator puts in front of every name.
const normalizedPrefix = "mp-"

// ShouldNormalize reports whether the agent normalises the names of the Director
// Applications itself: only a runtime label isNormalized holding the string "true"
// says the names arrive normalised; the label absent, "false", or of any other type
// means they do not. (The ACM documentation states the opposite; this is what the
// agent's code and the Director do.)
func ShouldNormalize(runtimeLabels map[string]any) bool {
	v, ok := runtimeLabels[LabelIsNormalized].(string)
	return !ok || v != "true"
}

// NormalizeApplicationName is Compass's DefaultNormalizator: "mp-" is put in front
// unless the name already starts with it, then the name is lower-cased, every
// character outside [-a-z0-9] becomes '-', runs of '-' collapse into one, and one
// trailing '-' is removed. "---tEsT@ApPlIcAtIoN.!$" becomes "mp-test-application";
// the function is idempotent. The result may still be too long for a Kubernetes name;
// PlanSync reports that for the Application.
func NormalizeApplicationName(name string) string {
	if !strings.HasPrefix(name, normalizedPrefix) {
		name = normalizedPrefix + name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range strings.ToLower(name) {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			r = '-'
		}
		if r == '-' && strings.HasSuffix(b.String(), "-") {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSuffix(b.String(), "-")
}
