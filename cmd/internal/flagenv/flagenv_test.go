package flagenv

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApply(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	addr := fs.String("api-addr", "a", "")
	timeout := fs.Duration("proxy-timeout", time.Second, "")
	level := fs.String("log-level", "info", "")
	require.NoError(t, fs.Parse([]string{"--api-addr", "flag"}))
	env := map[string]string{"APPCONNECTOR_API_ADDR": "env", "APPCONNECTOR_PROXY_TIMEOUT": "3s"}
	require.NoError(t, Apply(fs, func(k string) string { return env[k] }))
	assert.Equal(t, "flag", *addr, "flag wins")
	assert.Equal(t, 3*time.Second, *timeout, "env fallback")
	assert.Equal(t, "info", *level, "default stays")

	env["APPCONNECTOR_PROXY_TIMEOUT"] = "soon"
	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	fs2.Duration("proxy-timeout", time.Second, "")
	require.NoError(t, fs2.Parse(nil))
	assert.ErrorContains(t, Apply(fs2, func(k string) string { return env[k] }), "APPCONNECTOR_PROXY_TIMEOUT")
}

func TestParse(t *testing.T) {
	t.Parallel()
	newFS := func() (*flag.FlagSet, *string) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.String("data-dir", "./data", "")
	}
	fs, dir := newFS()
	require.NoError(t, Parse(fs, nil, func(k string) string { return map[string]string{"APPCONNECTOR_DATA_DIR": "/env"}[k] }))
	assert.Equal(t, "/env", *dir)
	fs, _ = newFS()
	assert.EqualError(t, Parse(fs, []string{"--data-dir", "d", "stray", "words"}, func(string) string { return "" }), "unexpected arguments: stray words")
	fs, _ = newFS()
	assert.Error(t, Parse(fs, []string{"--no-such-flag"}, func(string) string { return "" }))
}
