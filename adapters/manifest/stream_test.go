package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kindsAndNames(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Kind() + "/" + o.Name()
	}
	return out
}

func TestDecodeStream(t *testing.T) {
	t.Parallel()
	const pem = "    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n"
	tests := map[string]struct {
		in   string
		want []string
		docs []int
	}{
		"multi-document yaml": {
			in: "---\n# leading separator and comment\napiVersion: v1\nkind: Secret\nmetadata: {name: s1}\n" +
				"--- # separator with comment\n\n---\n" +
				"apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: a1}\n" +
				"---\napiVersion: v1\nkind: Secret\nmetadata: {name: s2}\nstringData:\n  crt: |\n" + pem + "...\n",
			want: []string{"Secret/s1", "Application/a1", "Secret/s2"},
			docs: []int{0, 1, 2},
		},
		"windows line endings": {
			in:   "apiVersion: v1\r\nkind: Secret\r\nmetadata: {name: s1}\r\n---\r\napiVersion: v1\r\nkind: Secret\r\nmetadata: {name: s2}\r\n",
			want: []string{"Secret/s1", "Secret/s2"},
			docs: []int{0, 1},
		},
		"list": {
			in: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n" +
				"- apiVersion: applicationconnector.kyma-project.io/v1alpha1\n  kind: Application\n  metadata: {name: a}\n",
			want: []string{"Secret/s", "Application/a"},
			docs: []int{0, 0},
		},
		"application list without item kinds, as the API answers": {
			in:   `{"apiVersion":"applicationconnector.kyma-project.io/v1alpha1","kind":"ApplicationList","metadata":{},"items":[{"metadata":{"name":"a"},"spec":{}},{"apiVersion":"applicationconnector.kyma-project.io/v1alpha1","kind":"Application","metadata":{"name":"b"}}]}`,
			want: []string{"Application/a", "Application/b"},
			docs: []int{0, 0},
		},
		"secret list": {
			in:   "apiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: s}\n",
			want: []string{"Secret/s"},
			docs: []int{0},
		},
		"empty list": {in: "apiVersion: v1\nkind: List\nitems: []\n", want: []string{}},
		"concatenated json": {
			in:   `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"}}` + "\n" + `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s2"}}`,
			want: []string{"Secret/s1", "Secret/s2"},
			docs: []int{0, 1},
		},
		"only comments": {in: "# nothing\n---\n", want: []string{}},
		"yaml flow mappings": {
			in:   "{apiVersion: v1, kind: Secret, metadata: {name: s1}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: s2}}\n",
			want: []string{"Secret/s1", "Secret/s2"},
			docs: []int{0, 1},
		},
		"null document": {in: "~\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", want: []string{"Secret/s"}, docs: []int{0}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs, err := DecodeStream(strings.NewReader(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, append([]string{}, kindsAndNames(objs)...))
			for i, o := range objs {
				assert.Equal(t, tc.docs[i], o.Document)
			}
		})
	}
}

func TestDecodeStreamErrors(t *testing.T) {
	t.Parallel()
	const secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
	tests := map[string]struct {
		in     string
		doc    int
		field  string
		reason string
	}{
		"second document has a typo": {
			in:  secret + "---\napiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  services:\n  - entries:\n    - targetURL: x\n",
			doc: 1, field: "spec.services[0].entries[0].targetURL", reason: `unknown field; did you mean "targetUrl"?`,
		},
		"missing kind":       {in: secret + "---\napiVersion: v1\nmetadata: {name: s}\n", doc: 1, field: "kind", reason: "must be set (Application, Secret, List, ApplicationList or SecretList)"},
		"unsupported kind":   {in: "apiVersion: v1\nkind: ConfigMap\n", doc: 0, field: "kind", reason: `"ConfigMap" is not supported: use Application, Secret, List, ApplicationList or SecretList`},
		"missing apiVersion": {in: "kind: Secret\nmetadata: {name: s}\n", doc: 0, field: "apiVersion", reason: "must be v1 for kind Secret"},
		"malformed yaml in third document": {
			in: secret + "---\n" + secret + "---\nkind: [\n", doc: 2,
		},
		"content on separator line": {in: secret + "--- {a: b}\n", doc: -1},
		"bad item in list": {
			in:  "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  data: {password: '!!'}\n",
			doc: 0, field: "items[0].data.password", reason: "is not valid base64 (standard encoding, with padding); use stringData for plain text",
		},
		"nested list": {
			in:  "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n",
			doc: 0, field: "items[0].kind", reason: "must be Application or Secret in a List",
		},
		"secret in application list": {
			in:  "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: ApplicationList\nitems:\n- apiVersion: v1\n  kind: Secret\n",
			doc: 0, field: "items[0].kind", reason: "must be Application in ApplicationList",
		},
		"list item not an object": {in: "apiVersion: v1\nkind: List\nitems: [1]\n", doc: 0, field: "items[0]", reason: "must be an object (a Kubernetes manifest), got a number"},
		"items not an array":      {in: "apiVersion: v1\nkind: List\nitems: {}\n", doc: 0, field: "items", reason: "must be an array, got an object"},
		"unknown list field":      {in: "apiVersion: v1\nkind: List\nitem: []\n", doc: 0, field: "item", reason: `unknown field; did you mean "items"?`},
		"list with wrong version": {in: "apiVersion: v2\nkind: List\n", doc: 0, field: "apiVersion", reason: "must be v1 for kind List"},
		"scalar document":         {in: secret + "---\nhello\n", doc: 1, reason: "must be an object (a Kubernetes manifest), got a string"},
		"json array":              {in: `[{"kind":"Secret"}]`, doc: 0, reason: "must be an object (a Kubernetes manifest), got an array"},
		"content after a flow mapping": {
			in: "{apiVersion: v1, kind: Secret, metadata: {name: s}}\nstringData: {a: b}\n", doc: 0,
			reason: "malformed YAML: unexpected content after the end of the document",
		},
		"broken second json": {in: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}} {"kind":`, doc: 1, reason: "malformed JSON: unexpected EOF"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs, err := Decode([]byte(tc.in))
			require.Error(t, err)
			assert.Nil(t, objs)
			assert.ErrorIs(t, err, ErrInvalid)
			var me *Error
			require.True(t, errors.As(err, &me), "%T %v", err, err)
			assert.Equal(t, tc.doc, me.Document, err.Error())
			assert.Equal(t, tc.field, me.Field)
			if tc.reason != "" {
				assert.Equal(t, tc.reason, me.Reason)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Decode([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: '!'}\n"))
	assert.EqualError(t, err, "document[1]: data.password: is not valid base64 (standard encoding, with padding); use stringData for plain text")
}

// Every file in examples/ must be accepted, and must also be valid for kubectl, which
// the strict decoder approximates.
func TestExamplesDecode(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			objs, err := DecodeStream(f)
			require.NoError(t, err)
			require.NotEmpty(t, objs)
			for _, o := range objs {
				if o.Application != nil {
					assert.NoError(t, o.Application.Validate(), o.Name())
				} else {
					assert.NoError(t, o.Secret.Validate(), o.Name())
				}
			}
		})
	}
}
