package client

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names WriteFiles uses inside the output directory.
const (
	FileKey    = "client.key"
	FileCert   = "client.crt"
	FileChain  = "client-chain.crt"
	FileCA     = "ca.crt"
	FileInfo   = "info.json"
	filePerm   = 0o600
	dirPerm    = 0o700
	tmpPattern = ".appctl-*"
)

// StoredInfo is info.json: where the certificate can be used and renewed.
type StoredInfo struct {
	Application       string `json:"application"`
	Subject           string `json:"subject"`
	EventsURL         string `json:"eventsUrl"`
	ManagementInfoURL string `json:"managementInfoUrl"`
	RenewCertURL      string `json:"renewCertUrl,omitempty"`
	RevokeCertURL     string `json:"revokeCertUrl,omitempty"`
}

// WriteFiles writes the key, certificates and info.json into dir (created 0700), every
// file 0600. All files are first written to temporary files in dir and synced; only
// when every one is on disk are they renamed over the old ones, key and certificate
// first, and the directory synced. A failure before that leaves the old files as they
// were, so a renewal never leaves a key next to a certificate it does not belong to.
func WriteFiles(dir string, c *Credentials, info StoredInfo) error {
	keyPEM, err := c.KeyPEM()
	if err != nil {
		return err
	}
	infoJSON, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
		tmp  string
	}{{FileKey, keyPEM, ""}, {FileCert, c.ClientPEM, ""}, {FileChain, c.ChainPEM, ""}, {FileCA, c.CAPEM, ""}, {FileInfo, append(infoJSON, '\n'), ""}}
	defer func() {
		for _, f := range files {
			if f.tmp != "" {
				_ = os.Remove(f.tmp)
			}
		}
	}()
	for i := range files {
		if files[i].tmp, err = stageFile(dir, files[i].data); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, files[i].name), err)
		}
	}
	for i, f := range files {
		if err := os.Rename(f.tmp, filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.name), err)
		}
		files[i].tmp = ""
	}
	return syncDir(dir)
}

// syncFile is (*os.File).Sync, replaced by tests to fail a write part-way.
var syncFile = (*os.File).Sync

// stageFile writes data to a new temporary file in dir, mode 0600, synced, and returns
// its name.
func stageFile(dir string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	err = tmp.Chmod(filePerm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// ReadFiles loads what WriteFiles wrote.
func ReadFiles(dir string) (*Credentials, StoredInfo, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return b, nil
	}
	var info StoredInfo
	b, err := read(FileInfo)
	if err != nil {
		return nil, info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, info, fmt.Errorf("decode %s: %w", FileInfo, err)
	}
	c := &Credentials{}
	if c.ClientPEM, err = read(FileCert); err != nil {
		return nil, info, err
	}
	if c.ChainPEM, err = read(FileChain); err != nil {
		return nil, info, err
	}
	if c.CAPEM, err = read(FileCA); err != nil {
		return nil, info, err
	}
	keyPEM, err := read(FileKey)
	if err != nil {
		return nil, info, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, info, err
	}
	c.Key = key
	return c, info, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	cert, err := tlsKey(keyPEM)
	if err != nil {
		return nil, err
	}
	s, ok := cert.(crypto.Signer)
	if !ok {
		return nil, errors.New("key is not a signing key")
	}
	return s, nil
}
