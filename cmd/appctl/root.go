package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appconnector/appconnector/adapters/httpapi/client"
)

// Defaults and environment variables of the global flags.
const (
	defaultServer  = "http://127.0.0.1:8081"
	defaultDataDir = "./data"
	envServer      = "APPCONNECTOR_SERVER"
	envToken       = "APPCONNECTOR_TOKEN"
	envDataDir     = "APPCONNECTOR_DATA_DIR"
	tokenFileName  = "admin.token"
)

// Command registries. Each file adds its commands in init(), so new commands (from
// other areas) need no edit here: append a constructor to commands for a top-level
// command, to getCommands for "appctl get <resource>", to deleteCommands for
// "appctl delete <resource>".
var (
	commands       []func(*globals) *cobra.Command
	getCommands    []func(*globals) *cobra.Command
	deleteCommands []func(*globals) *cobra.Command
)

// globals holds the global flags and the I/O of one run. Commands reach the server
// through Client and print to Out/ErrOut.
type globals struct {
	server  string
	token   string
	dataDir string

	in     io.Reader
	out    io.Writer
	errOut io.Writer
	getenv func(string) string
}

// ServerURL returns --server, else $APPCONNECTOR_SERVER, else http://127.0.0.1:8081.
func (g *globals) ServerURL() string {
	return firstSet(g.server, g.getenv(envServer), defaultServer)
}

// DataDir returns --data-dir, else $APPCONNECTOR_DATA_DIR, else ./data.
func (g *globals) DataDir() string {
	return firstSet(g.dataDir, g.getenv(envDataDir), defaultDataDir)
}

// Token returns --token, else $APPCONNECTOR_TOKEN, else the content of
// <data-dir>/admin.token, which a local server writes on first start.
func (g *globals) Token() (string, error) {
	if t := firstSet(g.token, g.getenv(envToken)); t != "" {
		return t, nil
	}
	path := filepath.Join(g.DataDir(), tokenFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no admin token: pass --token, set %s, or point --data-dir (%s) at the server's data directory: %w", envToken, envDataDir, err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("no admin token: %s is empty", path)
	}
	return t, nil
}

// Client returns a management API client for ServerURL and Token.
func (g *globals) Client() (*client.Client, error) {
	token, err := g.Token()
	if err != nil {
		return nil, err
	}
	return client.New(g.ServerURL(), token)
}

// In, Out and ErrOut are the streams of the run.
func (g *globals) In() io.Reader     { return g.in }
func (g *globals) Out() io.Writer    { return g.out }
func (g *globals) ErrOut() io.Writer { return g.errOut }

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "appctl",
		Short: "Manage the Applications and Secrets of an appconnector server",
		Long: "appctl talks to the appconnector management API. It applies Kyma Application and\n" +
			"Kubernetes Secret manifests (the same files kubectl applies on a Kyma cluster) and\n" +
			"lists, shows and deletes them. Secret values are never shown.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.server, "server", "", "management API address (env "+envServer+", default "+defaultServer+")")
	f.StringVar(&g.token, "token", "", "admin token (env "+envToken+", default: read from <data-dir>/"+tokenFileName+")")
	f.StringVar(&g.dataDir, "data-dir", "", "data directory of a local server, for its admin token (env "+envDataDir+", default "+defaultDataDir+")")
	for _, c := range commands {
		root.AddCommand(c(g))
	}
	return root
}

// run executes appctl with args and returns the process exit code: 0 on success, 1
// on any error (printed to stderr).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{in: stdin, out: stdout, errOut: stderr, getenv: os.Getenv}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		var reported errReported
		if !errors.As(err, &reported) {
			fmt.Fprintf(stderr, "error: %v\n", explain(err, g))
		}
		return 1
	}
	return 0
}

// unknownResource is the error of "get" or "delete" without a known resource type.
func unknownResource(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	known := strings.Join(names, ", ")
	if len(args) == 0 {
		return fmt.Errorf("specify a resource type: %s", known)
	}
	return fmt.Errorf("unknown resource type %q: use %s", args[0], known)
}

// explain adds a hint to errors a user can act on.
func explain(err error, g *globals) error {
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("cannot reach the management API at %s (is appconnector running? see --server): %w", g.ServerURL(), err)
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w (check --token, %s or <data-dir>/%s)", err, envToken, tokenFileName)
	}
	return err
}

// errReported is returned by commands that already printed their errors (for example
// one per failed object of apply) and only need the exit code to say so.
type errReported struct{ failed int }

func (e errReported) Error() string { return fmt.Sprintf("%d operations failed", e.failed) }
