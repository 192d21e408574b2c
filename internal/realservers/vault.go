package realservers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vaultStartTimeout bounds a dev server becoming healthy (under a second when idle; the
// binary is 361 MB, so a cold page cache on 2 busy cores takes longer).
const vaultStartTimeout = 60 * time.Second

// VaultRootToken is the root token of every dev server started here.
const VaultRootToken = "root"

// Vault is a running Vault dev server on loopback: in memory, unsealed, KV version 2
// mounted at secret/, root token VaultRootToken.
type Vault struct {
	// Addr is the server's URL, http://127.0.0.1:port: what VAULT_ADDR would hold.
	Addr string
	// UnsealKey is the single unseal key the dev server printed at start.
	UnsealKey string

	bin     string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

var unsealKeyRe = regexp.MustCompile(`(?m)^Unseal Key: (\S+)\s*$`)

// StartVault starts a dev server for the test and stops it when the test ends. Each call
// starts its own server (under a second), so a test may seal it or fill it freely.
func StartVault(t testing.TB) *Vault {
	t.Helper()
	bin := Binary(t, "vault")
	dir := t.TempDir()
	var lastErr error
	// The port is free when chosen but could be taken before Vault binds it; try again.
	for range 3 {
		v, err := startVault(bin, dir)
		if err == nil {
			t.Cleanup(v.stop)
			return v
		}
		lastErr = err
	}
	t.Fatalf("real Vault is needed and could not be started: %v", lastErr)
	return nil
}

func startVault(bin, dir string) (*Vault, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()

	logPath := filepath.Join(dir, "vault-"+strconv.Itoa(port)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", "-dev",
		"-dev-root-token-id="+VaultRootToken,
		"-dev-listen-address=127.0.0.1:"+strconv.Itoa(port),
		// Do not write ~/.vault-token: $HOME is shared with whoever runs the tests.
		"-dev-no-store-token")
	cmd.Env = append(vaultEnv(os.Environ()), "HOME="+dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A test binary killed by go test's timeout never runs its cleanups; the kernel then
	// kills the server instead of leaving it running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	v := &Vault{Addr: "http://127.0.0.1:" + strconv.Itoa(port), bin: bin, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		v.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(v.exited)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), vaultStartTimeout)
	defer cancel()
	if err := v.waitHealthy(ctx); err != nil {
		v.stop()
		return nil, err
	}
	// The banner with the key may come after the server answers.
	if err := v.waitLog(ctx, func(log string) bool {
		if m := unsealKeyRe.FindStringSubmatch(log); m != nil {
			v.UnsealKey = m[1]
			return true
		}
		return false
	}); err != nil {
		v.stop()
		return nil, fmt.Errorf("vault dev server printed no unseal key: %w", err)
	}
	return v, nil
}

// waitLog polls the server's output until cond holds, the server exits, or ctx ends.
func (v *Vault) waitLog(ctx context.Context, cond func(string) bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond(v.log()) {
			return nil
		}
		select {
		case <-v.exited:
			return fmt.Errorf("server exited (%v); log tail:\n%s", v.waitErr, tail(v.log(), 4000))
		case <-ctx.Done():
			return fmt.Errorf("%w; log tail:\n%s", ctx.Err(), tail(v.log(), 4000))
		case <-tick.C:
		}
	}
}

// vaultEnv drops VAULT_* variables of the caller's environment, which would point the
// server or the CLI at another Vault.
func vaultEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "VAULT_") {
			out = append(out, kv)
		}
	}
	return out
}

// waitHealthy polls sys/health until it says initialized, unsealed and active (200).
func (v *Vault) waitHealthy(ctx context.Context) error {
	c := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.Addr+"/v1/sys/health", nil)
		if err != nil {
			return err
		}
		if resp, err := c.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-v.exited:
			return fmt.Errorf("vault dev server exited (%v) before it was healthy; log tail:\n%s", v.waitErr, tail(v.log(), 4000))
		case <-ctx.Done():
			return fmt.Errorf("vault dev server not healthy after %s; log tail:\n%s", vaultStartTimeout, tail(v.log(), 4000))
		case <-tick.C:
		}
	}
}

// CLI runs the vault binary as a client of this server with the root token and returns
// its combined output; it fails the test if the command fails.
func (v *Vault) CLI(t testing.TB, args ...string) string {
	t.Helper()
	out, err := v.RunCLI(args...)
	if err != nil {
		t.Fatalf("vault %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// RunCLI is CLI for commands that are expected to fail.
func (v *Vault) RunCLI(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, v.bin, args...)
	cmd.Env = append(vaultEnv(os.Environ()), "VAULT_ADDR="+v.Addr, "VAULT_TOKEN="+VaultRootToken, "HOME="+filepath.Dir(v.logPath))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Seal seals the server: every request then fails with 503 until Unseal.
func (v *Vault) Seal(t testing.TB) {
	t.Helper()
	v.CLI(t, "operator", "seal")
}

// Unseal unseals the server with the dev unseal key and waits until it is active again.
func (v *Vault) Unseal(t testing.TB) {
	t.Helper()
	v.CLI(t, "operator", "unseal", v.UnsealKey)
	ctx, cancel := context.WithTimeout(context.Background(), vaultStartTimeout)
	defer cancel()
	if err := v.waitHealthy(ctx); err != nil {
		t.Fatalf("after unseal: %v", err)
	}
}

func (v *Vault) log() string {
	b, err := os.ReadFile(v.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Stop stops the server now (it is in memory: everything is lost), for tests of an
// unreachable Vault. The test's cleanup would stop it anyway.
func (v *Vault) Stop() { v.stop() }

func (v *Vault) stop() {
	select {
	case <-v.exited:
		return
	default:
	}
	_ = v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
		_ = v.cmd.Process.Kill()
		<-v.exited
	}
}
