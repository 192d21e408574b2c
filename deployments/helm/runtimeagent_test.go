package helm_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const agentName = "rel-appconnector-runtime-agent"

// agentContainer returns the runtime agent's Deployment and its container.
func agentContainer(t *testing.T, objs []map[string]any) (map[string]any, map[string]any) {
	t.Helper()
	d := byKind(objs, "Deployment")[agentName]
	require.NotNil(t, d, "the runtime agent's Deployment")
	return d, dig(d, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
}

func stringsOf(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// TestRuntimeAgentIsOptIn: Compass mode renders nothing unless runtimeAgent.enabled, and
// when enabled, the objects of a component without autoscaling.
func TestRuntimeAgentIsOptIn(t *testing.T) {
	for _, o := range Render(t) {
		assert.NotContains(t, dig(o, "metadata", "name"), "runtime-agent", "%s rendered with the runtime agent disabled", o["kind"])
	}

	objs := Render(t, "runtimeAgent.enabled=true", "metrics.serviceMonitor.enabled=true")
	for _, kind := range []string{"Deployment", "Service", "PodDisruptionBudget", "ServiceAccount", "ClusterRole",
		"ClusterRoleBinding", "Role", "RoleBinding", "NetworkPolicy", "ServiceMonitor"} {
		assert.Contains(t, byKind(objs, kind), agentName, kind)
	}
	assert.NotContains(t, byKind(objs, "HorizontalPodAutoscaler"), agentName, "one leader works: nothing to scale")
	d, _ := agentContainer(t, objs)
	assert.Equal(t, 2, dig(d, "spec", "replicas"), "a leader and one standing by")
	assert.Equal(t, agentName, dig(d, "spec", "template", "spec", "serviceAccountName"))
}

func TestRuntimeAgentDeploymentArgs(t *testing.T) {
	_, c := agentContainer(t, renderIn(t, "rel", "integration", "runtimeAgent.enabled=true", "secretsNamespace=compass-system"))
	assert.Equal(t, []any{"/runtime-agent"}, dig(c, "command"))
	assert.Equal(t, []string{
		"--store=kubernetes",
		"--namespace=compass-system",
		"--log-level=info",
		"--metrics-addr=:9464",
		"--health-addr=:8081",
		// The gateway's Compass-form port, /{app}/{service}/{entry}/{path}.
		"--gateway-base-url=http://rel-appconnector-gateway.integration.svc.cluster.local:8082",
		"--compass-lease=appconnector-runtime-agent",
		"--compass-sync-period=20s",
		"--compass-min-sync-time=10s",
		"--compass-renewal-threshold=0.3",
	}, stringsOf(dig(c, "args")), "the defaults: no CA, no label URLs, TLS verified")
	assert.Contains(t, dig(c, "ports"), map[string]any{"name": "http-api-port", "containerPort": 8081, "protocol": "TCP"})
	assert.Equal(t, 8081, dig(c, "readinessProbe", "httpGet", "port"))
	assert.Equal(t, []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}}, dig(c, "volumeMounts"))

	d, c := agentContainer(t, Render(t, "runtimeAgent.enabled=true",
		"runtimeAgent.syncPeriod=1m", "runtimeAgent.minSyncTime=30s", "runtimeAgent.renewalThreshold=0.5",
		"runtimeAgent.runtimeEventsURL=https://gateway.example.com/events",
		"runtimeAgent.runtimeConsoleURL=https://console.example.com",
		"runtimeAgent.gatewayBaseURL=https://gateway.example.com",
		"runtimeAgent.skipCompassTLSVerify=true", "runtimeAgent.skipAppsTLSVerify=true",
		"runtimeAgent.compassCA.secretName=compass-ca", "runtimeAgent.compassCA.key=root.pem",
		"runtimeAgent.extraArgs[0]=--compass-timeout=45s"))
	args := stringsOf(dig(c, "args"))
	for _, want := range []string{
		"--compass-sync-period=1m", "--compass-min-sync-time=30s", "--compass-renewal-threshold=0.5",
		"--runtime-events-url=https://gateway.example.com/events", "--runtime-console-url=https://console.example.com",
		"--gateway-base-url=https://gateway.example.com",
		"--compass-skip-tls-verify", "--compass-skip-apps-tls-verify",
		"--compass-ca=/etc/appconnector/compass-ca/ca.crt",
		"--compass-timeout=45s",
	} {
		assert.Contains(t, args, want)
	}
	assert.Equal(t, "--compass-timeout=45s", args[len(args)-1], "extraArgs come last, so they override")
	for _, a := range args {
		assert.False(t, strings.HasPrefix(a, "--gateway-base-url=http://"), "the given gateway URL replaces the in-cluster one: %s", a)
	}
	assert.Contains(t, dig(c, "volumeMounts"), map[string]any{"name": "compass-ca", "mountPath": "/etc/appconnector/compass-ca", "readOnly": true})
	assert.Contains(t, dig(d, "spec", "template", "spec", "volumes"), map[string]any{"name": "compass-ca", "secret": map[string]any{
		"secretName": "compass-ca", "items": []any{map[string]any{"key": "root.pem", "path": "ca.crt"}}}},
		"only the CA's key, at the path --compass-ca names")

	// A CA bundle ConfigMap (e.g. from trust-manager) works the same.
	d, c = agentContainer(t, Render(t, "runtimeAgent.enabled=true", "runtimeAgent.compassCA.configMapName=trust-bundle"))
	assert.Contains(t, dig(c, "args"), "--compass-ca=/etc/appconnector/compass-ca/ca.crt")
	assert.Contains(t, dig(d, "spec", "template", "spec", "volumes"), map[string]any{"name": "compass-ca", "configMap": map[string]any{
		"name": "trust-bundle", "items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}})
}

// TestRuntimeAgentNetworkPolicy: nothing may reach the agent but its health and metrics
// ports; its egress (Compass, the API server) stays open like every component's.
func TestRuntimeAgentNetworkPolicy(t *testing.T) {
	np := byKind(Render(t, "runtimeAgent.enabled=true"), "NetworkPolicy")[agentName]
	require.NotNil(t, np)
	assert.Equal(t, "runtime-agent", dig(np, "spec", "podSelector", "matchLabels", "app.kubernetes.io/component"))
	assert.Equal(t, []any{"Ingress"}, dig(np, "spec", "policyTypes"))
	assert.Equal(t, []any{map[string]any{"ports": []any{
		map[string]any{"port": "http-api-port"}, map[string]any{"port": "metrics"},
	}}}, dig(np, "spec", "ingress"))
}
