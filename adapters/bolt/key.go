package bolt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// keySize is the length of secret.key: raw bytes of an AES-256 key.
const keySize = 32

// loadKey reads the key file at path, or creates it when it does not exist and the
// database holds nothing encrypted yet (mustExist false). A key file that other users
// could read, or of the wrong size, is refused rather than used.
func loadKey(path string, mustExist bool) (aead cipher.AEAD, created bool, err error) {
	key, err := readKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && mustExist:
		return nil, false, fmt.Errorf("secret key %s is missing but the database holds data encrypted with it: restore the key file from backup", path)
	case errors.Is(err, fs.ErrNotExist):
		if key, err = createKey(path); err != nil {
			return nil, false, err
		}
		created = true
	case err != nil:
		return nil, false, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, false, fmt.Errorf("secret key %s: %w", path, err)
	}
	aead, err = cipher.NewGCM(block)
	if err != nil {
		return nil, false, fmt.Errorf("secret key %s: %w", path, err)
	}
	return aead, created, nil
}

func readKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key %s: not a regular file", path)
	}
	// Windows reports made-up permission bits; its ACLs are not checked here.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("secret key %s has mode %04o, readable by other users: run chmod 600 %s", path, perm, path)
	}
	if fi.Size() != keySize {
		return nil, fmt.Errorf("secret key %s has %d bytes, want %d (an AES-256 key)", path, fi.Size(), keySize)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key %s: %w", path, err)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("secret key %s has %d bytes, want %d (an AES-256 key)", path, len(key), keySize)
	}
	return key, nil
}

// createKey writes a new random key with O_EXCL, so it never overwrites a key that
// appeared meanwhile, and syncs it before the database records anything under it.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret key %s: %w", path, err)
	}
	_, werr := f.Write(key)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write secret key %s: %w", path, err)
	}
	return key, nil
}
