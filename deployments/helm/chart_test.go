// Package helm_test checks the chart with the real helm (built by hack/realservers.sh):
// lint, render, and the properties the chart promises (restricted pods, least-privilege RBAC).
package helm_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/appconnector/appconnector/internal/realservers"
)

const chartDir = "appconnector"

// kubeVersion is the API server the tests run against; helm built with go install has no
// default of its own beyond v1.20, which the chart's kubeVersion refuses.
const kubeVersion = "1.37.2"

func helm(t *testing.T, args ...string) string {
	t.Helper()
	bin := realservers.Binary(t, "helm")
	cmd := exec.Command(bin, args...)
	// helm keeps caches and config under $HOME; keep the test's own.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "helm %s: %s%s", strings.Join(args, " "), out.String(), errb.String())
	return out.String()
}

// Render returns the chart's objects for the values given as --set pairs.
func Render(t *testing.T, sets ...string) []map[string]any {
	t.Helper()
	return renderIn(t, "rel", "appconnector-system", sets...)
}

// renderIn renders release into namespace.
func renderIn(t *testing.T, release, namespace string, sets ...string) []map[string]any {
	t.Helper()
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	dec := yaml.NewDecoder(strings.NewReader(helm(t, args...)))
	var objs []map[string]any
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func TestLint(t *testing.T) {
	out := helm(t, "lint", "--strict", "--kube-version", kubeVersion, chartDir)
	assert.Contains(t, out, "0 chart(s) failed")
	out = helm(t, "lint", "--strict", "--kube-version", kubeVersion, chartDir,
		"--set", "runtimeAgent.enabled=true,runtimeAgent.compassCA.secretName=compass-ca,runtimeAgent.skipCompassTLSVerify=true")
	assert.Contains(t, out, "0 chart(s) failed", "with the runtime agent")
}

func TestSchemaRefusesBadValues(t *testing.T) {
	bin := realservers.Binary(t, "helm")
	for _, set := range []string{"logLevel=loud", "gateway.proxyTimeout=ten", "gateway.replicas=-1", "unknownKey=1",
		"runtimeAgent.syncPeriod=often", "runtimeAgent.minSyncTime=-1s", "runtimeAgent.renewalThreshold=1.5",
		"runtimeAgent.renewalThreshold=0", "runtimeAgent.renewalThreshold=0.0", "runtimeAgent.runtimeEventsURL=events.example.com",
		"runtimeAgent.gatewayBaseURL=ftp://gw", "runtimeAgent.skipAppsTLSVerify=maybe",
		"runtimeAgent.autoscaling.enabled=true", // one leader works: nothing to scale
		"runtimeAgent.compassCA.secretName=a,runtimeAgent.compassCA.configMapName=b", "runtimeAgent.compassCA.key=",
	} {
		cmd := exec.Command(bin, "template", "rel", chartDir, "--kube-version", kubeVersion, "--set", set)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		assert.Error(t, err, "%s accepted:\n%s", set, out)
		assert.Contains(t, string(out), "schema", "%s refused for another reason than the schema", set)
	}
}

func byKind(objs []map[string]any, kind string) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, o := range objs {
		if o["kind"] == kind {
			m[o["metadata"].(map[string]any)["name"].(string)] = o
		}
	}
	return m
}

func dig(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func TestDeploymentsAreRestricted(t *testing.T) {
	deps := byKind(Render(t, "runtimeAgent.enabled=true"), "Deployment")
	require.Len(t, deps, 5, "one Deployment per component")
	for name, d := range deps {
		pod := dig(d, "spec", "template", "spec")
		assert.Equal(t, true, dig(pod, "securityContext", "runAsNonRoot"), name)
		assert.Equal(t, "RuntimeDefault", dig(pod, "securityContext", "seccompProfile", "type"), name)
		c := dig(pod, "containers").([]any)[0]
		assert.Equal(t, true, dig(c, "securityContext", "readOnlyRootFilesystem"), name)
		assert.Equal(t, false, dig(c, "securityContext", "allowPrivilegeEscalation"), name)
		assert.Equal(t, []any{"ALL"}, dig(c, "securityContext", "capabilities", "drop"), name)
		assert.NotNil(t, dig(c, "readinessProbe"), name)
		assert.NotNil(t, dig(c, "livenessProbe"), name)
		assert.NotNil(t, dig(c, "resources", "requests"), name)
		assert.Contains(t, dig(c, "args"), "--store=kubernetes", name)
	}
}

func TestRBACLeastPrivilege(t *testing.T) {
	objs := Render(t, "runtimeAgent.enabled=true")
	roles, cluster := byKind(objs, "Role"), byKind(objs, "ClusterRole")
	verbs := func(o map[string]any) []string {
		var vs []string
		for _, r := range dig(o, "rules").([]any) {
			for _, v := range dig(r, "verbs").([]any) {
				vs = append(vs, v.(string))
			}
		}
		return vs
	}
	read := []string{"get", "list", "watch"}
	assert.ElementsMatch(t, read, verbs(roles["rel-appconnector-gateway"]), "gateway reads Secrets, never writes")
	assert.ElementsMatch(t, read, verbs(cluster["rel-appconnector-gateway"]), "gateway reads Applications, never writes")
	assert.ElementsMatch(t, read, verbs(cluster["rel-appconnector-validator"]))
	assert.Subset(t, read, verbs(roles["rel-appconnector-validator"]), "the validator only reads (revocations, the CA)")
	for _, name := range []string{"rel-appconnector-validator", "rel-appconnector-connector"} {
		for _, rule := range dig(roles[name], "rules").([]any) {
			if slices.Contains(dig(rule, "resources").([]any), any("secrets")) && slices.Contains(dig(rule, "verbs").([]any), any("get")) {
				assert.Equal(t, []any{"appconnector-ca"}, dig(rule, "resourceNames"), "%s reads no Secret but the CA's", name)
			}
		}
	}
	assert.Equal(t, "kyma-system", dig(roles["rel-appconnector-gateway"], "metadata", "namespace"))
	for name, r := range cluster {
		for _, rule := range dig(r, "rules").([]any) {
			assert.NotContains(t, dig(rule, "resources"), "secrets", "%s: Secrets are only granted per namespace", name)
		}
	}

	// The runtime agent: exactly these rules (compass.md 1.10 without what the reference
	// needs for its metrics logger: no nodes, no PVs, no metrics API).
	write := []any{"get", "list", "watch", "create", "update", "delete"}
	assert.ElementsMatch(t, []any{
		map[string]any{"apiGroups": []any{"applicationconnector.kyma-project.io"}, "resources": []any{"applications"}, "verbs": write},
		map[string]any{"apiGroups": []any{"compass.kyma-project.io"}, "resources": []any{"compassconnections"}, "verbs": write},
	}, dig(cluster["rel-appconnector-runtime-agent"], "rules"))
	agent := roles["rel-appconnector-runtime-agent"]
	assert.Equal(t, "kyma-system", dig(agent, "metadata", "namespace"))
	assert.ElementsMatch(t, []any{
		map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": write},
		// client-go's LeaseLock gets, creates and updates its one Lease; it never lists or watches.
		map[string]any{"apiGroups": []any{"coordination.k8s.io"}, "resources": []any{"leases"}, "verbs": []any{"get", "update"},
			"resourceNames": []any{"appconnector-runtime-agent"}},
		map[string]any{"apiGroups": []any{"coordination.k8s.io"}, "resources": []any{"leases"}, "verbs": []any{"create"}},
	}, dig(agent, "rules"))
	for name, r := range roles {
		for _, rule := range dig(r, "rules").([]any) {
			if name != "rel-appconnector-runtime-agent" {
				assert.Equal(t, []any{""}, dig(rule, "apiGroups"), "%s: only core resources", name)
			}
		}
	}
}

// TestCRDMatchesDeploymentsCRDs: the chart ships every CRD of deployments/crds (Kyma's
// Application, the CompassConnection of Compass mode) byte for byte, and no other.
func TestCRDMatchesDeploymentsCRDs(t *testing.T) {
	originals, err := filepath.Glob(filepath.Join("..", "crds", "*.yaml"))
	require.NoError(t, err)
	copies, err := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
	require.NoError(t, err)
	base := func(paths []string) []string {
		var names []string
		for _, p := range paths {
			names = append(names, filepath.Base(p))
		}
		return names
	}
	assert.ElementsMatch(t, base(originals), base(copies), "the chart's crds/ and deployments/crds hold the same files")
	assert.Contains(t, base(copies), "compassconnections.compass.kyma-project.io.yaml")
	for _, original := range originals {
		name := filepath.Base(original)
		a, err := os.ReadFile(original)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(chartDir, "crds", name))
		if !assert.NoError(t, err) {
			continue
		}
		assert.Equal(t, string(a), string(b), "%s differs from deployments/crds: cp %s %s", name, filepath.Join("deployments/crds", name), filepath.Join("deployments/helm", chartDir, "crds", name))
	}
}

func TestConnectorServesCertificateFromTLSSecret(t *testing.T) {
	container := func(objs []map[string]any) any {
		d := byKind(objs, "Deployment")["rel-appconnector-connector"]
		require.NotNil(t, d)
		return dig(d, "spec", "template", "spec", "containers").([]any)[0]
	}
	plain := container(Render(t))
	assert.NotContains(t, dig(plain, "args"), "--tls-cert=/etc/appconnector/tls/tls.crt")

	objs := Render(t, "connector.tlsSecret=connector-tls")
	c := container(objs)
	assert.Contains(t, dig(c, "args"), "--tls-cert=/etc/appconnector/tls/tls.crt")
	assert.Contains(t, dig(c, "args"), "--tls-key=/etc/appconnector/tls/tls.key")
	assert.Contains(t, dig(c, "volumeMounts"), map[string]any{"name": "tls", "mountPath": "/etc/appconnector/tls", "readOnly": true})
	vols := dig(byKind(objs, "Deployment")["rel-appconnector-connector"], "spec", "template", "spec", "volumes").([]any)
	found := false
	for _, v := range vols {
		if dig(v, "secret", "secretName") == "connector-tls" {
			found = true
		}
	}
	assert.True(t, found, "the TLS Secret is mounted")

	// Behind an ingress the listeners are plain HTTP: no certificate to serve.
	c = container(Render(t, "connector.tlsSecret=connector-tls", "connector.behindIngress=true"))
	assert.NotContains(t, dig(c, "args"), "--tls-cert=/etc/appconnector/tls/tls.crt")
	assert.Contains(t, dig(c, "args"), "--connector-tls=false")
}

// TestGCSettings: every container learns its memory limit (the binaries set the Go
// memory limit to 90 % of it); only the gateway gets a GOGC, and an empty value drops it.
func TestGCSettings(t *testing.T) {
	envOf := func(d map[string]any) map[string]any {
		out := map[string]any{}
		c := dig(d, "spec", "template", "spec", "containers").([]any)[0]
		for _, e := range dig(c, "env").([]any) {
			m := e.(map[string]any)
			if v, ok := m["value"]; ok {
				out[m["name"].(string)] = v
			} else {
				out[m["name"].(string)] = m["valueFrom"]
			}
		}
		return out
	}
	deps := byKind(Render(t, "runtimeAgent.enabled=true"), "Deployment")
	require.Len(t, deps, 5)
	for name, d := range deps {
		env := envOf(d)
		assert.Equal(t, "limits.memory", dig(env["APPCONNECTOR_MEMORY_LIMIT"], "resourceFieldRef", "resource"), name)
		assert.NotContains(t, env, "GOMEMLIMIT", name)
		if strings.HasSuffix(name, "-gateway") {
			assert.Equal(t, "200", env["GOGC"], name)
		} else {
			assert.NotContains(t, env, "GOGC", name)
		}
	}
	for name, d := range byKind(Render(t, "gateway.gogc="), "Deployment") {
		assert.NotContains(t, envOf(d), "GOGC", name)
	}
}
