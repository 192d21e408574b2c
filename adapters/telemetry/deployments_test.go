package telemetry_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/appconnector/appconnector/internal/realservers"
)

const deployments = "../../deployments"

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type prometheusRule struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec ruleFile `yaml:"spec"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(into), path)
}

var annotationLabel = regexp.MustCompile(`\$labels\.(\w+)`)

func TestDeploymentRules(t *testing.T) {
	var plain ruleFile
	readYAML(t, filepath.Join(deployments, "prometheus/rules.yaml"), &plain)
	var alerts []string
	c := queryChecker{series: exposed(t)}
	for _, g := range plain.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			expr, errs := c.check(r.Expr)
			for _, err := range errs {
				t.Errorf("%s: %v", r.Alert, err)
			}
			if expr == nil {
				continue
			}
			assert.Equal(t, parser.ValueTypeVector, expr.Type(), "%s: an alert's expression is a vector", r.Alert)
			// The annotations may only use labels the alert's series have.
			have := c.labelsOf(expr)
			for _, text := range r.Annotations {
				for _, m := range annotationLabel.FindAllStringSubmatch(text, -1) {
					assert.True(t, have[m[1]], "%s: annotation uses $labels.%s, the expression yields %v", r.Alert, m[1], sorted(have))
				}
			}
			assert.NotEmpty(t, r.Labels["severity"], r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			_, err := model.ParseDuration(r.For)
			assert.NoError(t, err, r.Alert)
		}
	}
	sort.Strings(alerts)
	// The four alerts the issue asks for, and two companions.
	assert.Equal(t, []string{"AppconnectorCertificateExpiringSoon", "AppconnectorCertificateExpiringVerySoon",
		"AppconnectorEventForwardingFailing", "AppconnectorTarget5xxRatioHigh", "AppconnectorTargetUnreachable",
		"AppconnectorTokenFetchFailing"}, alerts)

	var pr prometheusRule
	readYAML(t, filepath.Join(deployments, "prometheus/prometheusrule.yaml"), &pr)
	assert.Equal(t, "monitoring.coreos.com/v1", pr.APIVersion)
	assert.Equal(t, "PrometheusRule", pr.Kind)
	assert.Equal(t, plain, pr.Spec, "prometheusrule.yaml holds the groups of rules.yaml")
}

type dashboardPanel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	// Panels holds the panels of a collapsed row.
	Panels []dashboardPanel `json:"panels"`
}

func TestDeploymentDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployments, "grafana/appconnector.json"))
	require.NoError(t, err)
	var dash struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []dashboardPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	assert.Equal(t, "appconnector", dash.UID)
	c := queryChecker{series: exposed(t), vars: map[string]bool{}}
	for _, v := range dash.Templating.List {
		c.vars[v.Name] = true
	}
	ids := map[int]bool{}
	rows := map[string]bool{}
	queries := 0
	var walk func([]dashboardPanel)
	walk = func(panels []dashboardPanel) {
		for _, p := range panels {
			assert.False(t, ids[p.ID], "panel id %d twice", p.ID)
			ids[p.ID] = true
			if p.Type == "row" {
				rows[p.Title] = true
				walk(p.Panels)
				continue
			}
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				assert.NotEmpty(t, tg.RefID, p.Title)
				queries++
				_, errs := c.check(tg.Expr)
				for _, err := range errs {
					t.Errorf("panel %q %s: %v", p.Title, tg.RefID, err)
				}
			}
		}
	}
	walk(dash.Panels)
	assert.Greater(t, queries, 20, "the dashboard's queries were all checked")
	for _, want := range []string{"Gateway", "Connector", "Events"} {
		assert.True(t, rows[want], "row %s", want)
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			for _, err := range c.checkLabelValues(q["query"].(string)) {
				t.Errorf("variable %s: %v", v.Name, err)
			}
		}
	}
}

// TestDeploymentHelmTemplates renders the Helm templates with the real helm in a chart
// made of them, and checks they produce the plain files' content.
func TestDeploymentHelmTemplates(t *testing.T) {
	helm := realservers.Binary(t, "helm")
	chart := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(chart, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(deployments, rel))
		require.NoError(t, err)
		return b
	}
	write("Chart.yaml", []byte("apiVersion: v2\nname: appconnector\nversion: 0.0.0\n"))
	write("values.yaml", []byte("prometheusRule:\n  enabled: false\ngrafanaDashboard:\n  enabled: false\n"))
	write("templates/prometheusrule.yaml", read("prometheus/helm/prometheusrule.yaml"))
	write("templates/grafana-dashboard.yaml", read("grafana/helm/grafana-dashboard.yaml"))
	dashboard := read("grafana/appconnector.json")
	write("dashboards/appconnector.json", dashboard)

	render := func(args ...string) (string, error) {
		cmd := exec.Command(helm, append([]string{"template", "rel", chart, "--namespace", "obs"}, args...)...)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), errors.New(string(out))
		}
		return string(out), nil
	}
	out, err := render()
	require.NoError(t, err)
	assert.NotContains(t, out, "kind:", "both off by default")

	out, err = render("--set", "prometheusRule.enabled=true", "--set", "prometheusRule.labels.release=kps",
		"--set", "grafanaDashboard.enabled=true", "--set", "grafanaDashboard.folder=Apps")
	require.NoError(t, err)
	var plain ruleFile
	readYAML(t, filepath.Join(deployments, "prometheus/rules.yaml"), &plain)
	dec := yaml.NewDecoder(strings.NewReader(out))
	var sawRule, sawDashboard bool
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		raw, _ := yaml.Marshal(doc)
		switch doc["kind"] {
		case "PrometheusRule":
			sawRule = true
			var pr prometheusRule
			require.NoError(t, yaml.Unmarshal(raw, &pr))
			assert.Equal(t, "rel-appconnector", pr.Metadata.Name)
			assert.Equal(t, "obs", pr.Metadata.Namespace)
			assert.Equal(t, "kps", pr.Metadata.Labels["release"])
			assert.Equal(t, plain, pr.Spec, "the template renders the groups of rules.yaml, {{ $labels }} intact")
		case "ConfigMap":
			sawDashboard = true
			var cm struct {
				Metadata struct {
					Labels      map[string]string `yaml:"labels"`
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Data map[string]string `yaml:"data"`
			}
			require.NoError(t, yaml.Unmarshal(raw, &cm))
			assert.Equal(t, "1", cm.Metadata.Labels["grafana_dashboard"])
			assert.Equal(t, "Apps", cm.Metadata.Annotations["grafana_folder"])
			assert.JSONEq(t, string(dashboard), cm.Data["appconnector.json"])
		}
	}
	assert.True(t, sawRule)
	assert.True(t, sawDashboard)

	// Without the JSON in the chart, enabling the dashboard is a clear error.
	require.NoError(t, os.Remove(filepath.Join(chart, "dashboards/appconnector.json")))
	out, err = render("--set", "grafanaDashboard.enabled=true")
	require.Error(t, err)
	assert.Contains(t, out, "dashboards/appconnector.json")
}
