package vault

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/appconnector/appconnector/domain/credential"
)

// metaField is the KV field holding what is not a Secret key: labels and which values are
// base64. A '/' cannot occur in a valid Secret key, so it never collides with one.
const metaField = "appconnector/meta"

// entryMeta is the value of metaField. It is omitted when empty, so a Secret without
// labels and binary values is a plain KV entry that any Vault tool reads as is.
type entryMeta struct {
	Labels map[string]string `json:"labels,omitempty"`
	// Base64 names the keys whose value is not valid UTF-8 and is stored in standard
	// base64, because a KV field is a JSON string and JSON cannot carry arbitrary bytes.
	Base64 []string `json:"base64,omitempty"`
}

// encodeFields turns a Secret into the fields of one KV v2 entry.
func encodeFields(s credential.Secret) (map[string]any, error) {
	fields := make(map[string]any, len(s.Data)+1)
	var meta entryMeta
	for _, k := range slices.Sorted(maps.Keys(s.Data)) {
		if k == metaField {
			return nil, &credential.KeyError{Secret: s.Name, Key: k, Reason: "is reserved by the Vault store"}
		}
		v := s.Data[k]
		if utf8.Valid(v) {
			fields[k] = string(v)
			continue
		}
		fields[k] = base64.StdEncoding.EncodeToString(v)
		meta.Base64 = append(meta.Base64, k)
	}
	if len(s.Labels) > 0 {
		meta.Labels = maps.Clone(s.Labels)
	}
	if len(meta.Labels) > 0 || len(meta.Base64) > 0 {
		fields[metaField] = meta
	}
	return fields, nil
}

// decodeFields turns the fields of a KV entry back into Data and Labels. Fields written
// by other tools that are not strings (numbers, booleans, objects) become their JSON text.
// Errors name the key, never the value.
func decodeFields(name string, fields map[string]any) (credential.Secret, error) {
	s := credential.Secret{Name: name}
	var meta entryMeta
	if raw, ok := fields[metaField]; ok {
		// `vault kv put path appconnector/meta=...` stores the object as a JSON string.
		b, isString := raw.(string)
		var err error
		if !isString {
			var m []byte
			m, err = json.Marshal(raw)
			b = string(m)
		}
		if err == nil {
			err = json.Unmarshal([]byte(b), &meta)
		}
		if err != nil {
			return credential.Secret{}, fmt.Errorf("secret %s: field %q is not an appconnector meta object", name, metaField)
		}
	}
	if len(fields) > 0 {
		s.Data = make(map[string][]byte, len(fields))
	}
	for k, raw := range fields {
		if k == metaField {
			continue
		}
		switch v := raw.(type) {
		case string:
			s.Data[k] = []byte(v)
		case nil:
			s.Data[k] = []byte{}
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return credential.Secret{}, fmt.Errorf("secret %s, key %q: unsupported value type %T", name, k, raw)
			}
			s.Data[k] = b
		}
	}
	for _, k := range meta.Base64 {
		v, ok := s.Data[k]
		if !ok {
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(string(v))
		if err != nil {
			// Someone replaced the value outside appconnector without updating the meta field.
			return credential.Secret{}, fmt.Errorf("secret %s, key %q: marked base64 in %q but is not base64", name, k, metaField)
		}
		s.Data[k] = dec
	}
	if len(meta.Labels) > 0 {
		s.Labels = meta.Labels
	}
	return s, nil
}

// version identifies one version of one incarnation of a KV entry. Vault numbers versions
// from 1 again after a metadata delete, so the number alone would repeat for a recreated
// Secret; the version's creation time tells incarnations (and different entries) apart.
type version struct {
	n       int64
	created time.Time
}

// rv renders the resource version: "<kv version>-<creation time in unix nanoseconds>".
func (v version) rv() string {
	return strconv.FormatInt(v.n, 10) + "-" + strconv.FormatInt(v.created.UnixNano(), 10)
}

func parseRV(rv string) (version, bool) {
	n, nanos, ok := strings.Cut(rv, "-")
	if !ok {
		return version{}, false
	}
	num, err := strconv.ParseInt(n, 10, 64)
	if err != nil || num < 1 {
		return version{}, false
	}
	ns, err := strconv.ParseInt(nanos, 10, 64)
	if err != nil {
		return version{}, false
	}
	return version{n: num, created: time.Unix(0, ns)}, true
}

func (v version) equal(o version) bool { return v.n == o.n && v.created.Equal(o.created) }

// versionInfo is what Vault says about one version of an entry (in a write response, in
// the metadata of a read, or in the versions map of the metadata endpoint).
type versionInfo struct {
	version
	// gone is true when the version was soft-deleted or destroyed outside appconnector:
	// the store treats the entry as absent.
	gone bool
}

func parseVersionInfo(n int64, m map[string]any) (versionInfo, error) {
	ct, _ := m["created_time"].(string)
	created, err := time.Parse(time.RFC3339Nano, ct)
	if err != nil {
		return versionInfo{}, fmt.Errorf("version %d has no valid created_time", n)
	}
	destroyed, _ := m["destroyed"].(bool)
	gone := destroyed
	// delete_version_after gives every version a deletion time in the future; only a
	// past one means deleted.
	if dt, _ := m["deletion_time"].(string); dt != "" {
		if t, err := time.Parse(time.RFC3339Nano, dt); err != nil || !t.After(time.Now()) {
			gone = true
		}
	}
	return versionInfo{version: version{n: n, created: created}, gone: gone}, nil
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Int64()
	case float64:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("not a number: %T", v)
}
