// Package realservers starts the real servers that integration tests run against (etcd,
// kube-apiserver, Vault) from binaries that hack/realservers.sh builds once per machine
// from the Go module proxy and caches under $HOME. A test that needs one never skips: if
// the binary cannot be had, it fails and says why.
package realservers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	binMu  sync.Mutex
	binDir = map[string]string{}
)

// Binary returns the path of the named server binary (etcd, kube-apiserver, vault, helm),
// building it with hack/realservers.sh when it is not cached yet. `make test` builds them
// all before the tests start, so that no test spends the cold build (minutes) inside go
// test's timeout.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := binary(name)
	if err != nil {
		t.Fatalf("real %s is needed and could not be had: %v", name, err)
	}
	return p
}

func binary(name string) (string, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if d, ok := binDir[name]; ok {
		return filepath.Join(d, name), nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join(root, "hack", "realservers.sh"), name)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/realservers.sh %s: %w\n%s", name, err, tail(stderr.String(), 4000))
	}
	dir := strings.TrimSpace(out.String())
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("hack/realservers.sh %s printed %q but %s is missing: %w", name, dir, p, err)
	}
	binDir[name] = dir
	return p, nil
}

// repoRoot walks up from the test's working directory (its package) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
