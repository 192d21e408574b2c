package compass

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	// maxResourceName and uuidLength are Kyma's: a Secret name is the prefix, then the
	// bundle id (a UUID), within 63 characters, so the prefix keeps at most 27.
	maxResourceName = 63
	uuidLength      = 36
	maxPrefix       = maxResourceName - uuidLength

	requestParametersPrefix = "params-"
)

// CredentialSecretName names the Secret holding the credentials of one bundle of the
// Application (compass.md 1.8): "<app>-<bundleID>", the application name cut so that
// "<app>-" is at most 27 characters.
//
// Kyma's algorithm is kept, with one change: Kyma's names are not always valid
// Kubernetes names (its own examples contain '_', "short_application-<id>"), and a
// Secret here must be valid in the embedded store as on a cluster. So the result is
// made a valid DNS subdomain: every character outside [a-z0-9-] of the application
// part, upper case included, becomes '-' (one for one, so the length and thus the
// truncation are Kyma's), and a leading '-' is dropped. "toolong_application_aaaaaxxxx"
// gives "toolong-application-aaaaax-<id>". A bundle id that is not already a valid name
// part (Director ids are lower-case UUIDs, which always are) is replaced by 36 hex
// digits of its SHA-256, so that the name stays valid, short, and distinct per bundle.
// For the Application names PlanSync accepts (valid Kubernetes names) and UUID bundle
// ids, the result differs from Kyma's only in '.' becoming '-'.
func CredentialSecretName(appName, bundleID string) string {
	return secretName(appName, bundleID)
}

// RequestParametersSecretName names the Secret with the additional headers and query
// parameters of one bundle: the same rule as CredentialSecretName with the prefix
// "params-<app>", e.g. "params-toolong-application-<id>".
func RequestParametersSecretName(appName, bundleID string) string {
	return secretName(requestParametersPrefix+appName, bundleID)
}

func secretName(prefix, id string) string {
	if len(prefix)+1 > maxPrefix {
		prefix = prefix[:maxPrefix-1]
	}
	b := []byte(prefix)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
			b[i] = '-'
		}
	}
	p := strings.TrimLeft(string(b), "-")
	if p != "" {
		p += "-"
	}
	return p + nameSafeID(id)
}

// nameSafeID returns id when it can end a Kubernetes name as it is, and otherwise a
// stand-in derived from it that can.
func nameSafeID(id string) string {
	if id != "" && len(id) <= uuidLength && isNamePart(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:uuidLength]
}

// isNamePart reports whether s is lower-case letters, digits and '-', starting and
// ending with a letter or digit.
func isNamePart(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}
