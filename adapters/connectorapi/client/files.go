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
// file 0600, each through a temporary file and a rename so a crash leaves no torn file.
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
	for _, f := range []struct {
		name string
		data []byte
	}{{FileKey, keyPEM}, {FileCert, c.ClientPEM}, {FileChain, c.ChainPEM}, {FileCA, c.CAPEM}, {FileInfo, append(infoJSON, '\n')}} {
		if err := writeFile(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), tmpPattern)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(filePerm); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
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
