package credential

import (
	"fmt"
	"maps"
	"slices"

	"github.com/appconnector/appconnector/domain/application"
)

// Secret is a named set of binary values, the shape of a Kubernetes Secret's data.
// ResourceVersion is assigned by the store on every write.
type Secret struct {
	Name            string
	ResourceVersion string
	Labels          map[string]string
	Data            map[string][]byte
}

// Keys returns the Secret's key names, sorted: what the API shows instead of values.
func (s Secret) Keys() []string {
	return slices.Sorted(maps.Keys(s.Data))
}

// Validate checks the Secret's name and key names (Kubernetes rules: letters, digits,
// '-', '_' and '.').
func (s Secret) Validate() error {
	if reason := application.CheckName(s.Name); reason != "" {
		return &KeyError{Key: "metadata.name", Reason: reason}
	}
	for k := range s.Data {
		if !validKey(k) {
			return &KeyError{Secret: s.Name, Key: k, Reason: "key names must consist of alphanumeric characters, '-', '_' or '.'"}
		}
	}
	return nil
}

func validKey(k string) bool {
	if k == "" || len(k) > 253 || k == "." || k == ".." {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// DeepCopy returns a copy sharing no map or byte slice with s.
func (s Secret) DeepCopy() Secret {
	out := s
	if s.Labels != nil {
		out.Labels = maps.Clone(s.Labels)
	}
	if s.Data != nil {
		out.Data = make(map[string][]byte, len(s.Data))
		for k, v := range s.Data {
			out.Data[k] = slices.Clone(v)
		}
	}
	return out
}

func (s Secret) require(key string) ([]byte, error) {
	v, ok := s.Data[key]
	if !ok {
		return nil, &KeyError{Secret: s.Name, Key: key, Reason: "missing"}
	}
	return v, nil
}

func (s Secret) requireNonEmpty(key string) (string, error) {
	v, err := s.require(key)
	if err != nil {
		return "", err
	}
	if len(v) == 0 {
		return "", &KeyError{Secret: s.Name, Key: key, Reason: "must not be empty"}
	}
	return string(v), nil
}

func (s Secret) String() string {
	// Printing a Secret must never print its values, whatever formatting verb is used.
	return fmt.Sprintf("Secret(%s, keys=%v)", s.Name, s.Keys())
}

// GoString keeps %#v from dumping values too.
func (s Secret) GoString() string { return s.String() }
