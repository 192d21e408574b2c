package helm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChartShipsTheObservabilityFiles: the chart's copies of the dashboard and of the
// two Helm templates are byte for byte the files under deployments/grafana and
// deployments/prometheus (helm packages only what is inside the chart directory, so the
// chart cannot refer to those); change the originals and copy them.
func TestChartShipsTheObservabilityFiles(t *testing.T) {
	t.Parallel()
	for copyPath, original := range map[string]string{
		"dashboards/appconnector.json":     "../grafana/appconnector.json",
		"templates/grafana-dashboard.yaml": "../grafana/helm/grafana-dashboard.yaml",
		"templates/prometheusrule.yaml":    "../prometheus/helm/prometheusrule.yaml",
	} {
		want, err := os.ReadFile(original)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(chartDir, copyPath))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s differs from %s: cp %s %s", copyPath, original, original, filepath.Join("deployments/helm", chartDir, copyPath))
	}
}

// TestChartMetricsAndMonitoring: every component listens for Prometheus on :9464 (the
// port its Service and ServiceMonitor name); the dashboard ConfigMap and the
// PrometheusRule are rendered only when asked for, the ConfigMap holding the shipped JSON.
func TestChartMetricsAndMonitoring(t *testing.T) {
	objs := Render(t, "runtimeAgent.enabled=true")
	deps := byKind(objs, "Deployment")
	require.Len(t, deps, 5)
	for name, d := range deps {
		c := dig(d, "spec", "template", "spec", "containers").([]any)[0]
		assert.Contains(t, dig(c, "args"), "--metrics-addr=:9464", name)
		assert.Contains(t, dig(c, "ports"), map[string]any{"name": "metrics", "containerPort": 9464, "protocol": "TCP"}, name)
	}
	assert.Empty(t, byKind(objs, "PrometheusRule"), "off by default")
	for name := range byKind(objs, "ConfigMap") {
		assert.NotContains(t, name, "dashboard", "off by default")
	}

	objs = Render(t, "grafanaDashboard.enabled=true", "grafanaDashboard.folder=Integration", "prometheusRule.enabled=true",
		"prometheusRule.labels.release=kube-prometheus-stack", "metrics.serviceMonitor.enabled=true", "runtimeAgent.enabled=true")
	cm := byKind(objs, "ConfigMap")["rel-appconnector-dashboard"]
	require.NotNil(t, cm, "the dashboard ConfigMap")
	want, err := os.ReadFile(filepath.Join(chartDir, "dashboards/appconnector.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), dig(cm, "data", "appconnector.json").(string))
	assert.Equal(t, "1", dig(cm, "metadata", "labels", "grafana_dashboard"))
	assert.Equal(t, "Integration", dig(cm, "metadata", "annotations", "grafana_folder"))
	rule := byKind(objs, "PrometheusRule")["rel-appconnector"]
	require.NotNil(t, rule, "the PrometheusRule")
	assert.Equal(t, "kube-prometheus-stack", dig(rule, "metadata", "labels", "release"))
	assert.NotEmpty(t, dig(rule, "spec", "groups"))
	assert.Len(t, byKind(objs, "ServiceMonitor"), 5)
}
