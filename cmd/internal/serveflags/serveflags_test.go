package serveflags

import (
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

func parse(t *testing.T, args []string, env map[string]string) (Flags, error) {
	t.Helper()
	var f Flags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs, "where the store is")
	err := f.Parse(fs, args, func(k string) string { return env[k] })
	return f, err
}

func TestDefaultsMatchTheGateway(t *testing.T) {
	t.Parallel()
	f, err := parse(t, nil, nil)
	require.NoError(t, err)
	assert.Empty(t, f.Validate())
	d := gateway.DefaultConfig()
	assert.Equal(t, d, GatewayConfig(f), "no flag given: the gateway runs on its own defaults")
	assert.Equal(t, d.ProxyTimeout, f.ProxyIdleTimeout, "--proxy-idle-timeout defaults to --proxy-timeout's default")
	assert.False(t, f.AccessLog)
	assert.Equal(t, slog.LevelInfo, f.LogLevel)
	assert.Equal(t, runner.StreamingLimits(), f.GatewayLimits)
	assert.Equal(t, storage.DataDir("./data"), DataDir(f))
}

func TestFlagsAndEnvironmentReachTheGatewayConfig(t *testing.T) {
	t.Parallel()
	f, err := parse(t, []string{"--proxy-timeout=3s", "--access-log", "--retry-body-limit=7", "--retry-on-auth-failure=false", "--log-level=debug"},
		map[string]string{"APPCONNECTOR_PROXY_IDLE_TIMEOUT": "42s", "APPCONNECTOR_ACCESS_LOG": "false", "APPCONNECTOR_DATA_DIR": "/srv/x"})
	require.NoError(t, err)
	g := GatewayConfig(f)
	assert.Equal(t, 3*time.Second, g.ProxyTimeout)
	assert.Equal(t, 42*time.Second, g.BodyIdleTimeout, "env fallback")
	assert.True(t, g.AccessLog, "the flag wins over the environment")
	assert.Equal(t, int64(7), g.RetryBodyLimit)
	assert.False(t, g.RetryOnAuthFailure)
	assert.Equal(t, slog.LevelDebug, f.LogLevel)
	assert.Equal(t, storage.DataDir("/srv/x"), DataDir(f))

	f, err = parse(t, nil, map[string]string{"APPCONNECTOR_ACCESS_LOG": "true"})
	require.NoError(t, err)
	assert.True(t, GatewayConfig(f).AccessLog)
}

func TestValidateNamesEveryBadFlag(t *testing.T) {
	t.Parallel()
	f, err := parse(t, []string{"--data-dir=", "--gateway-addr=", "--gateway-compass-addr=", "--proxy-timeout=0s",
		"--proxy-idle-timeout=-1s", "--retry-body-limit=-1", "--shutdown-timeout=-1s"}, nil)
	require.NoError(t, err)
	var msgs []string
	for _, e := range f.Validate() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, name := range []string{"--data-dir", "--gateway-addr", "--gateway-compass-addr", "--proxy-timeout", "--proxy-idle-timeout", "--retry-body-limit", "--shutdown-timeout"} {
		assert.Contains(t, all, name+" must")
	}
	_, err = parse(t, []string{"--log-level=loud"}, nil)
	assert.ErrorContains(t, err, "--log-level")
	_, err = parse(t, nil, map[string]string{"APPCONNECTOR_PROXY_IDLE_TIMEOUT": "soon"})
	assert.ErrorContains(t, err, "APPCONNECTOR_PROXY_IDLE_TIMEOUT")
}
