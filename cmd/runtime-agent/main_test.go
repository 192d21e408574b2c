package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

// TestHelp: -h is not an error and lists the agent's flags with Kyma's defaults.
func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	err := binary.Run(context.Background(), []string{"-h"}, func(string) string { return "" }, &stderr, nil)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{"-compass-ca", "-compass-sync-period", "-compass-min-sync-time", "-compass-renewal-threshold",
		"-compass-lease", "-compass-config-secret", "-gateway-base-url", "-runtime-events-url", "-store", "-namespace", "-health-addr"} {
		assert.Contains(t, stderr.String(), want)
	}
	assert.Contains(t, stderr.String(), "20s", "the default sync period is Kyma's")
}

// TestBadFlags: every bad value is refused before anything starts, with an error naming
// the flag; an environment variable is checked as its flag is.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		flag string
	}{
		{"sync period zero", []string{"--compass-sync-period", "0"}, nil, "--compass-sync-period"},
		{"sync period not a duration", []string{"--compass-sync-period", "soon"}, nil, "compass-sync-period"},
		{"negative minimal sync time", []string{"--compass-min-sync-time", "-1s"}, nil, "--compass-min-sync-time"},
		{"threshold one", []string{"--compass-renewal-threshold", "1"}, nil, "--compass-renewal-threshold"},
		{"threshold zero", []string{"--compass-renewal-threshold", "0"}, nil, "--compass-renewal-threshold"},
		{"threshold not a number", []string{"--compass-renewal-threshold", "30%"}, nil, "compass-renewal-threshold"},
		{"timeout zero", []string{"--compass-timeout", "0s"}, nil, "--compass-timeout"},
		{"relative events url", []string{"--runtime-events-url", "/events"}, nil, "--runtime-events-url"},
		{"console url without scheme", []string{"--runtime-console-url", "console.example.com"}, nil, "--runtime-console-url"},
		{"empty config secret", []string{"--compass-config-secret", ""}, nil, "--compass-config-secret"},
		{"empty certificate secret", []string{"--compass-certificate-secret", ""}, nil, "--compass-certificate-secret"},
		{"empty CA secret", []string{"--compass-ca-secret", ""}, nil, "--compass-ca-secret"},
		{"empty lease", []string{"--compass-lease", ""}, nil, "--compass-lease"},
		{"missing CA file", []string{"--compass-ca", "/nonexistent/compass-ca.pem"}, nil, "--compass-ca"},
		{"empty gateway base url", []string{"--gateway-base-url", ""}, nil, "--gateway-base-url"},
		{"relative gateway base url", []string{"--gateway-base-url", "gateway:8082"}, nil, "--gateway-base-url must be an absolute http(s) URL"},
		{"empty health addr", []string{"--health-addr", ""}, nil, "--health-addr"},
		{"unknown store", []string{"--store", "etcd"}, nil, "--store"},
		{"empty namespace", []string{"--store", "kubernetes", "--namespace", ""}, nil, "--namespace"},
		{"unknown flag", []string{"--compass-token", "x"}, nil, "compass-token"},
		{"bad environment value", nil, map[string]string{"APPCONNECTOR_COMPASS_SYNC_PERIOD": "0"}, "--compass-sync-period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"--data-dir", ":memory:", "--health-addr", "127.0.0.1:0"}, tc.args...)
			err := binary.Run(context.Background(), args, func(k string) string { return tc.env[k] }, &stderr, func(map[string]string) {
				t.Error("the agent started with a bad value")
			})
			require.Error(t, err)
			assert.False(t, errors.Is(err, flag.ErrHelp))
			assert.Contains(t, err.Error(), tc.flag)
		})
	}
}

// TestEmbeddedStoreStarts: the flags the Kubernetes tests use are accepted, and without a
// configuration Secret the agent serves its probes and waits.
func TestEmbeddedStoreStarts(t *testing.T) {
	a := startAgent(t, "agent", "--data-dir", ":memory:", "--health-addr", "127.0.0.1:0", "--metrics-addr=",
		"--compass-sync-period", "200ms", "--compass-min-sync-time", "50ms")
	componenttest.WaitHealthy(t, a.addrs[components.ServerHealth])
}
