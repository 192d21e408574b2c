package application

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// maxNormalizedLength is where Kyma cuts a normalised name: 57 characters leave room
// for the "-xxxxx" suffix of NormalizeServiceNameWithID within a 63-character label.
const maxNormalizedLength = 57

// NormalizeName turns a display name into the path segment the gateway routes by,
// exactly as Kyma's normalization.NormalizeName does: every run of characters outside
// [A-Za-z0-9] becomes one '-', the result is lower-cased, one trailing '-' is removed, the
// result is cut to 57 bytes, and then one leading '-' is removed. The order matters and is
// kept so that existing URLs route identically ("-----displayname" -> "displayname").
func NormalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inRun := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
			inRun = false
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + ('a' - 'A'))
			inRun = false
		default:
			if !inRun {
				b.WriteByte('-')
				inRun = true
			}
		}
	}
	out := b.String()
	out = strings.TrimSuffix(out, "-")
	if len(out) > maxNormalizedLength {
		out = out[:maxNormalizedLength]
	}
	return strings.TrimPrefix(out, "-")
}

// NormalizeServiceNameWithID builds the unique service name the Runtime Agent and the
// Application Registry write into spec.services[].name: NormalizeName(displayName), '-',
// and the first five hex digits of sha1(id), without a leading '-'.
func NormalizeServiceNameWithID(displayName, id string) string {
	sum := sha1.Sum([]byte(id))
	return strings.TrimPrefix(NormalizeName(displayName)+"-"+hex.EncodeToString(sum[:])[:5], "-")
}
