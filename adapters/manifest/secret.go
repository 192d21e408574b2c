package manifest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"

	"github.com/appconnector/appconnector/domain/credential"
)

// Version and kinds of the core Secret.
const (
	APIVersionV1   = "v1"
	KindSecret     = "Secret"
	KindSecretList = "SecretList"
	KindList       = "List"
)

// SecretDocument is a Kubernetes Secret with its values (base64 in JSON). It is what a
// client sends to store a Secret; the API never sends one back.
type SecretDocument struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   ObjectMeta        `json:"metadata"`
	Type       string            `json:"type,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
}

// String keeps values out of logs and error messages, whatever the formatting verb.
func (d SecretDocument) String() string {
	return fmt.Sprintf("SecretDocument(%s, keys=%v)", d.Metadata.Name, d.Secret().Keys())
}

// GoString keeps %#v from printing values.
func (d SecretDocument) GoString() string { return d.String() }

// NewSecretDocument wraps s, values included, in a Kubernetes Secret of type Opaque.
func NewSecretDocument(s credential.Secret) SecretDocument {
	return SecretDocument{
		APIVersion: APIVersionV1,
		Kind:       KindSecret,
		Metadata:   ObjectMeta{Name: s.Name, ResourceVersion: s.ResourceVersion, Labels: s.Labels},
		Type:       "Opaque",
		Data:       s.Data,
	}
}

// Secret returns the domain Secret of the document.
func (d SecretDocument) Secret() credential.Secret {
	return credential.Secret{
		Name:            d.Metadata.Name,
		ResourceVersion: d.Metadata.ResourceVersion,
		Labels:          d.Metadata.Labels,
		Data:            d.Data,
	}
}

// EncodeSecret writes s with its values, base64-encoded, for sending to the management
// API. Never show the result to people or write it to logs; use EncodeSecretView.
func EncodeSecret(s credential.Secret, f Format) ([]byte, error) {
	return Marshal(NewSecretDocument(s), f)
}

// SecretView shows a Secret without its values: Keys lists the key names. It is not a
// valid Secret to apply (decoding rejects the keys field), so that a view piped back into
// apply cannot wipe the values.
type SecretView struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Keys       []string   `json:"keys"`
}

// SecretViewList is a SecretList of views.
type SecretViewList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   ListMeta     `json:"metadata"`
	Items      []SecretView `json:"items"`
}

// NewSecretView shows s's name, labels, resource version and sorted key names.
func NewSecretView(s credential.Secret) SecretView {
	return SecretView{
		APIVersion: APIVersionV1,
		Kind:       KindSecret,
		Metadata:   ObjectMeta{Name: s.Name, ResourceVersion: s.ResourceVersion, Labels: s.Labels},
		Keys:       s.Keys(),
	}
}

// NewSecretViewList shows every Secret of ss as a SecretView.
func NewSecretViewList(ss []credential.Secret) SecretViewList {
	items := make([]SecretView, len(ss))
	for i, s := range ss {
		items[i] = NewSecretView(s)
	}
	return SecretViewList{APIVersion: APIVersionV1, Kind: KindSecretList, Items: items}
}

// EncodeSecretView writes s's view (key names only).
func EncodeSecretView(s credential.Secret, f Format) ([]byte, error) {
	return Marshal(NewSecretView(s), f)
}

// EncodeSecretViewList writes the views of ss as a SecretList.
func EncodeSecretViewList(ss []credential.Secret, f Format) ([]byte, error) {
	return Marshal(NewSecretViewList(ss), f)
}

// DecodeSecret reads one Kubernetes Secret document: metadata.name and labels,
// data (base64) and stringData, which wins over data for the same key as in
// Kubernetes. apiVersion and kind may be omitted but, when present, must be v1 Secret.
// type and immutable are accepted and ignored. The result is not validated; call its
// Validate method.
func DecodeSecret(data []byte, f Format) (credential.Secret, error) {
	v, err := parse(data, f)
	if err != nil {
		return credential.Secret{}, err
	}
	return secretFrom(v, true)
}

var topLevelSecret = map[string]int{"apiVersion": 0, "kind": 0, "metadata": 0, "type": 0, "data": 0, "stringData": 0, "immutable": 0}

func secretFrom(v any, lenient bool) (credential.Secret, error) {
	m, err := asObject(v)
	if err != nil {
		return credential.Secret{}, err
	}
	if err := checkHeader(m, APIVersionV1, KindSecret, lenient); err != nil {
		return credential.Secret{}, err
	}
	var s credential.Secret
	var encoded, plain map[string]string
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind":
		case "metadata":
			meta, err := decodeMeta("metadata", m[k])
			if err != nil {
				return credential.Secret{}, err
			}
			// Annotations (e.g. kubectl's last-applied-configuration, which holds the
			// values) are dropped on purpose.
			s.Name, s.ResourceVersion, s.Labels = meta.Name, meta.ResourceVersion, meta.Labels
		case "type":
			var t string
			if err := assignValue(k, m[k], &t); err != nil {
				return credential.Secret{}, err
			}
		case "immutable":
			var b bool
			if err := assignValue(k, m[k], &b); err != nil {
				return credential.Secret{}, err
			}
		case "data":
			if err := assignValue(k, m[k], &encoded); err != nil {
				return credential.Secret{}, err
			}
		case "stringData":
			if err := assignValue(k, m[k], &plain); err != nil {
				return credential.Secret{}, err
			}
		case "keys":
			return credential.Secret{}, fieldErr("keys", "a Secret view lists key names only and cannot be applied; give the values in data or stringData")
		default:
			return credential.Secret{}, unknownField("", k, topLevelSecret)
		}
	}
	if encoded != nil || plain != nil {
		s.Data = make(map[string][]byte, len(encoded)+len(plain))
	}
	for _, k := range slices.Sorted(maps.Keys(encoded)) {
		b, err := base64.StdEncoding.DecodeString(encoded[k])
		if err != nil {
			// The base64 error would quote an offset into the value; the key is enough.
			return credential.Secret{}, fieldErr(keyPath("data", k), "is not valid base64 (standard encoding, with padding); use stringData for plain text")
		}
		s.Data[k] = b
	}
	for k, v := range plain {
		s.Data[k] = []byte(v)
	}
	return s, nil
}
