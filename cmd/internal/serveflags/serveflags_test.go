package serveflags

import (
	"errors"
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

// both is what a gateway binary's Config holds.
type both struct {
	Flags
	Gateway
}

func (b both) Validate() []error { return append(b.Flags.Validate(), b.Gateway.Validate()...) }

func parse(t *testing.T, args []string, env map[string]string) (both, error) {
	t.Helper()
	var f both
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Flags.Register(fs, "where the store is")
	f.Gateway.Register(fs)
	err := f.Parse(fs, args, func(k string) string { return env[k] })
	return f, err
}

func TestDefaultsMatchTheGateway(t *testing.T) {
	t.Parallel()
	f, err := parse(t, nil, nil)
	require.NoError(t, err)
	assert.Empty(t, f.Validate())
	d := gateway.DefaultConfig()
	assert.Equal(t, d, GatewayConfig(f.Gateway), "no flag given: the gateway runs on its own defaults")
	assert.Equal(t, d.ProxyTimeout, f.ProxyIdleTimeout, "--proxy-idle-timeout defaults to --proxy-timeout's default")
	assert.False(t, f.AccessLog)
	assert.Equal(t, slog.LevelInfo, f.LogLevel)
	assert.Equal(t, runner.StreamingLimits(), f.GatewayLimits)
	assert.Equal(t, storage.DataDir("./data"), StoreConfig(f.Flags).DataDir)
}

func TestFlagsAndEnvironmentReachTheGatewayConfig(t *testing.T) {
	t.Parallel()
	f, err := parse(t, []string{"--proxy-timeout=3s", "--access-log", "--retry-body-limit=7", "--retry-on-auth-failure=false", "--log-level=debug"},
		map[string]string{"APPCONNECTOR_PROXY_IDLE_TIMEOUT": "42s", "APPCONNECTOR_ACCESS_LOG": "false", "APPCONNECTOR_DATA_DIR": "/srv/x"})
	require.NoError(t, err)
	g := GatewayConfig(f.Gateway)
	assert.Equal(t, 3*time.Second, g.ProxyTimeout)
	assert.Equal(t, 42*time.Second, g.BodyIdleTimeout, "env fallback")
	assert.True(t, g.AccessLog, "the flag wins over the environment")
	assert.Equal(t, int64(7), g.RetryBodyLimit)
	assert.False(t, g.RetryOnAuthFailure)
	assert.Equal(t, slog.LevelDebug, f.LogLevel)
	assert.Equal(t, storage.DataDir("/srv/x"), StoreConfig(f.Flags).DataDir)

	f, err = parse(t, nil, map[string]string{"APPCONNECTOR_ACCESS_LOG": "true"})
	require.NoError(t, err)
	assert.True(t, GatewayConfig(f.Gateway).AccessLog)
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

func TestStoreFlags(t *testing.T) {
	t.Parallel()
	f, err := parse(t, nil, map[string]string{"APPCONNECTOR_STORE": "kubernetes", "APPCONNECTOR_KUBECONFIG": "/k"})
	require.NoError(t, err)
	assert.Empty(t, f.Validate())
	assert.Equal(t, storage.Config{Store: storage.Kubernetes, DataDir: "./data", Kubeconfig: "/k", Namespace: "kyma-system", Secrets: "default"}, withoutVault(StoreConfig(f.Flags)))
	assert.True(t, f.Kube())
	assert.False(t, f.DataDirGiven())

	f, err = parse(t, []string{"--store=embedded", "--namespace=x"}, map[string]string{"APPCONNECTOR_DATA_DIR": "/d"})
	require.NoError(t, err)
	assert.Equal(t, storage.Config{Store: storage.Embedded, DataDir: "/d", Namespace: "x", Secrets: "default"}, withoutVault(StoreConfig(f.Flags)))
	assert.True(t, f.DataDirGiven(), "the environment counts as given")

	f, err = parse(t, []string{"--store=etcd"}, nil)
	require.NoError(t, err)
	assert.ErrorContains(t, errors.Join(f.Validate()...), `--store must be embedded or kubernetes, got "etcd"`)
	f, err = parse(t, []string{"--store=kubernetes", "--namespace="}, nil)
	require.NoError(t, err)
	assert.ErrorContains(t, errors.Join(f.Validate()...), "--namespace must not be empty")
}

func TestManagementNeedsATokenFileWithoutADataDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--store=kubernetes"}, "--store kubernetes keeps no data dir: pass --admin-token-file"},
		{[]string{"--data-dir=:memory:"}, "--data-dir :memory: keeps nothing on disk"},
		{[]string{"--store=kubernetes", "--data-dir=/d"}, ""},
		{[]string{"--store=kubernetes", "--admin-token-file=/t"}, ""},
		{nil, ""},
	} {
		var f Flags
		var m Management
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		f.Register(fs, "d")
		m.Register(fs)
		require.NoError(t, f.Parse(fs, tc.args, func(string) string { return "" }))
		err := errors.Join(m.Validate(f)...)
		if tc.want == "" {
			assert.NoError(t, err, tc.args)
		} else {
			assert.ErrorContains(t, err, tc.want, tc.args)
		}
	}
}

func TestConnectorGroups(t *testing.T) {
	t.Parallel()
	parseC := func(groups Group, args ...string) (Connector, *flag.FlagSet, error) {
		var c Connector
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, groups)
		if err := fs.Parse(args); err != nil {
			return c, fs, err
		}
		return c, fs, c.Complete()
	}
	c, fs, err := parseC(Validator | XFCC | Eventing | CA)
	require.NoError(t, err)
	assert.Nil(t, fs.Lookup("connector-addr"), "a binary gets only its groups' flags")
	assert.NotNil(t, fs.Lookup("validator-addr"))
	assert.Equal(t, "https://127.0.0.1:8083", c.ConnectorURL, "defaults complete the Config")
	assert.Empty(t, c.Validate())

	c, _, err = parseC(AllConnector, "--connector-tls=false", "--mtls-addr=:9443")
	require.NoError(t, err)
	assert.Equal(t, "http://:9443", c.MTLSURL, "plain listeners announce http URLs")
	assert.ErrorContains(t, errors.Join(c.Validate()...), "pass --trust-xfcc")

	c, _, err = parseC(AllConnector, "--connector-tls=false", "--trust-xfcc")
	require.NoError(t, err)
	assert.Empty(t, c.Validate())
	assert.True(t, c.MTLSTrustXFCC())
	c, _, err = parseC(AllConnector, "--trust-xfcc")
	require.NoError(t, err)
	assert.False(t, c.MTLSTrustXFCC(), "a TLS mTLS listener trusts the connection's certificate, never a header")

	_, _, err = parseC(AllConnector, "--cert-subject=CN=x,O=y")
	assert.ErrorContains(t, err, "must not contain CN")
	c, _, err = parseC(AllConnector, "--ca-cert=x.pem", "--event-log-size=0", "--eventing-mode=odd")
	require.NoError(t, err)
	all := errors.Join(c.Validate()...).Error()
	for _, want := range []string{"--ca-key", "--event-log-size", "--eventing-mode"} {
		assert.Contains(t, all, want)
	}
}
