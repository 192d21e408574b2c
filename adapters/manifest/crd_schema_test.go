package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// schema is the subset of OpenAPI v3 that Kyma's Application CRD uses.
type schema struct {
	Type                 string             `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *schema            `json:"items"`
	Enum                 []string           `json:"enum"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	MaxLength            *int               `json:"maxLength"`
	Pattern              string             `json:"pattern"`
	Nullable             bool               `json:"nullable"`
}

// validate checks v (decoded YAML) against s the way the API server does for a structural
// schema with preserveUnknownFields false, except that unknown fields are reported
// instead of pruned: a field the cluster would drop is a bug in an example.
func (s *schema) validate(path string, v any) []string {
	if v == nil {
		if s.Nullable {
			return nil
		}
		return []string{path + ": must not be null"}
	}
	var errs []string
	switch s.Type {
	case "object", "":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: must be an object", path)}
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: required", path, r))
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch {
			case s.Properties[k] != nil:
				errs = append(errs, s.Properties[k].validate(path+"."+k, m[k])...)
			case s.AdditionalProperties != nil:
				errs = append(errs, s.AdditionalProperties.validate(path+"."+k, m[k])...)
			case s.Properties != nil:
				errs = append(errs, fmt.Sprintf("%s.%s: unknown field (the cluster would prune it)", path, k))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return []string{path + ": must be an array"}
		}
		for i, item := range a {
			errs = append(errs, s.Items.validate(fmt.Sprintf("%s[%d]", path, i), item)...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return []string{path + ": must be a string"}
		}
		if len(s.Enum) > 0 && !contains(s.Enum, str) {
			errs = append(errs, fmt.Sprintf("%s: %q not in %v", path, str, s.Enum))
		}
		if s.MaxLength != nil && len(str) > *s.MaxLength {
			errs = append(errs, fmt.Sprintf("%s: longer than %d", path, *s.MaxLength))
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: does not match %s", path, s.Pattern))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, path+": must be a boolean")
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func loadCRDSchema(t *testing.T) *schema {
	t.Helper()
	raw, err := os.ReadFile("../../deployments/crds/applications.applicationconnector.kyma-project.io.yaml")
	require.NoError(t, err)
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema *schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &crd))
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
}

// TestExamplesMatchTheCRD checks that every Application in examples/ is valid for
// `kubectl apply` on a Kyma cluster: it validates spec against the CRD's schema.
func TestExamplesMatchTheCRD(t *testing.T) {
	t.Parallel()
	s := loadCRDSchema(t)
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	apps := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, doc := range strings.Split(string(raw), "\n---") {
			var obj map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(doc), &obj), f)
			if obj["kind"] != "Application" {
				continue
			}
			apps++
			spec := map[string]any{"spec": obj["spec"]}
			assert.Empty(t, s.validate(fmt.Sprintf("%s#%d", filepath.Base(f), i), spec))
		}
	}
	assert.GreaterOrEqual(t, apps, 2)
}

// TestSchemaCheckerCatchesMistakes keeps the checker above honest.
func TestSchemaCheckerCatchesMistakes(t *testing.T) {
	t.Parallel()
	s := loadCRDSchema(t)
	var bad map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(`
spec:
  skipVerify: "yes"
  services:
  - id: x
    name: y
    entries:
    - type: Api
      targetURL: http://x
`), &bad))
	errs := strings.Join(s.validate("doc", bad), "\n")
	for _, want := range []string{"skipVerify: must be a boolean", "displayName: required", "type: \"Api\" not in", "targetURL: unknown field"} {
		assert.Contains(t, errs, want)
	}
}
