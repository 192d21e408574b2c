package serveflags

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// TestTelemetryFlags: every serving binary has --metrics-addr (loopback by default,
// APPCONNECTOR_METRICS_ADDR, empty turns it off), --pprof and --otlp-endpoint; the
// OTEL_* variables are read through the binary's getenv; the service name is the
// binary's.
func TestTelemetryFlags(t *testing.T) {
	t.Parallel()
	parse := func(args []string, env map[string]string) Flags {
		var f Flags
		fs := flag.NewFlagSet("connector", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.Register(fs, "dir")
		require.NoError(t, f.Parse(fs, args, func(k string) string { return env[k] }))
		return f
	}
	f := parse(nil, nil)
	assert.Equal(t, telemetry.DefaultMetricsAddr, f.Telemetry.MetricsAddr)
	assert.False(t, f.Telemetry.Pprof)
	assert.Empty(t, f.Telemetry.OTLPEndpoint)
	assert.Equal(t, "connector", f.Telemetry.ServiceName)

	env := map[string]string{"APPCONNECTOR_METRICS_ADDR": ":9464", "APPCONNECTOR_PPROF": "true", "OTEL_TRACES_SAMPLER": "always_off"}
	f = parse([]string{"--otlp-endpoint", "http://127.0.0.1:4318"}, env)
	assert.Equal(t, ":9464", f.Telemetry.MetricsAddr)
	assert.True(t, f.Telemetry.Pprof)
	assert.Equal(t, "http://127.0.0.1:4318", f.Telemetry.OTLPEndpoint)
	require.NotNil(t, f.Telemetry.Getenv)
	assert.Equal(t, "always_off", f.Telemetry.Getenv("OTEL_TRACES_SAMPLER"))

	assert.Empty(t, parse([]string{"--metrics-addr="}, env).Telemetry.MetricsAddr, "the flag wins and empty is off")
}
