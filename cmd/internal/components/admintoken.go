package components

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// AdminTokenFile is where the management API token lives in the data dir; appctl reads
// the same file, so a local user needs no copy-and-paste.
const AdminTokenFile = "admin.token"

// AdminToken is the management API's bearer token, a distinct type so Wire cannot
// confuse it with any other string.
type AdminToken string

// ProvideAdminToken reads (or creates) the token file --admin-token-file names, else
// <data-dir>/admin.token. Without a file and without a data dir to put one in (memory,
// or Kubernetes mode without --data-dir) it refuses, so nothing lands in the working
// directory.
func ProvideAdminToken(f serveflags.Flags, m serveflags.Management) (AdminToken, error) {
	path := m.AdminTokenFile
	if path == "" {
		if f.Kube() && !f.DataDirGiven() {
			return "", errors.New("--store kubernetes needs --admin-token-file")
		}
		if !f.Kube() && f.DataDir == storage.MemoryDataDir {
			return "", errors.New("--data-dir :memory: needs --admin-token-file")
		}
		path = filepath.Join(f.DataDir, AdminTokenFile)
	}
	tok, err := LoadOrCreateAdminToken(path)
	return AdminToken(tok), err
}

// LoadOrCreateAdminToken reads the token from path, creating it (256 random bits, mode
// 0600) on first start. A file readable by group or others is refused: the token grants
// full control over every credential.
func LoadOrCreateAdminToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createAdminToken(path)
	}
	if err != nil {
		return "", fmt.Errorf("read admin token %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && looseMode(fi) {
		return "", fmt.Errorf("admin token %s is accessible by group or others (mode %o): chmod 600 it", path, fi.Mode().Perm())
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return "", fmt.Errorf("admin token %s is shorter than 16 characters", path)
	}
	return tok, nil
}

func createAdminToken(path string) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create directory for admin token: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a different token.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateAdminToken(path)
	}
	if err != nil {
		return "", fmt.Errorf("create admin token %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(tok + "\n"); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	return tok, f.Sync()
}

// looseMode reports a token file others can read. Group access counts too, unless the
// group is one of this process's own: Kubernetes mounts a Secret as root:<fsGroup> mode
// 0440 for a non-root container, and that group is the Pod's alone.
func looseMode(fi fs.FileInfo) bool {
	perm := fi.Mode().Perm()
	if perm&0o007 != 0 {
		return true
	}
	if perm&0o070 == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	groups, _ := os.Getgroups()
	return !slices.Contains(append(groups, os.Getgid()), int(st.Gid))
}
