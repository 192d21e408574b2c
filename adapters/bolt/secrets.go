package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.SecretStore = (*SecretStore)(nil)

// SecretStore is the ports.SecretStore of the embedded store. Labels and values are
// sealed with AES-256-GCM; only the name and resource version are in the clear.
type SecretStore struct {
	s *bucketStore[credential.Secret]
}

// secretRecord is the plaintext that gets sealed.
type secretRecord struct {
	Labels map[string]string `json:"labels,omitempty"`
	Data   map[string][]byte `json:"data,omitempty"`
}

// NewSecretStore returns the store over db's secrets bucket. Every store of the same DB
// shares one set of watchers.
func NewSecretStore(db *DB) *SecretStore {
	return &SecretStore{s: newBucketStore(db, codec[credential.Secret]{
		noun:     "secret",
		bucket:   bucketSecrets,
		notFound: credential.ErrNotFound,
		conflict: credential.ErrConflict,
		invalid:  credential.ErrInvalid,
		name:     func(s credential.Secret) string { return s.Name },
		setName:  func(s *credential.Secret, n string) { s.Name = n },
		rv:       func(s credential.Secret) string { return s.ResourceVersion },
		setRV:    func(s *credential.Secret, rv string) { s.ResourceVersion = rv },
		copy:     credential.Secret.DeepCopy,
		encode:   encodeSecret,
		decode:   decodeSecret,
	})}
}

func encodeSecret(db *DB, name string, s credential.Secret) ([]byte, error) {
	plain, err := json.Marshal(secretRecord{Labels: s.Labels, Data: s.Data})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	sealed, err := db.seal(string(bucketSecrets), name, plain)
	clear(plain)
	return sealed, err
}

func decodeSecret(db *DB, name string, payload []byte) (credential.Secret, error) {
	plain, err := db.open(string(bucketSecrets), name, payload)
	if err != nil {
		return credential.Secret{}, err
	}
	var rec secretRecord
	err = json.Unmarshal(plain, &rec)
	clear(plain)
	if err != nil {
		// The JSON error could quote a value; report only that it failed.
		return credential.Secret{}, fmt.Errorf("decrypted value is not a secret record")
	}
	return credential.Secret{Labels: rec.Labels, Data: rec.Data}, nil
}

// Get implements ports.SecretStore. A value that does not decrypt gives an error
// wrapping ErrDecrypt.
func (s *SecretStore) Get(ctx context.Context, name string) (credential.Secret, error) {
	return s.s.get(ctx, name)
}

// List implements ports.SecretStore. It fails, naming the record, if any value does
// not decrypt.
func (s *SecretStore) List(ctx context.Context) ([]credential.Secret, error) {
	return s.s.list(ctx)
}

// Put implements ports.SecretStore. An empty name fails with an error wrapping
// credential.ErrInvalid.
func (s *SecretStore) Put(ctx context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	return s.s.put(ctx, sec)
}

// Delete implements ports.SecretStore. It also removes a record that no longer decrypts.
func (s *SecretStore) Delete(ctx context.Context, name string) error {
	return s.s.delete(ctx, name)
}

// Watch implements ports.SecretStore. Records that do not decrypt are left out of the
// snapshot and logged. Channels close when ctx is done or the DB is closed.
func (s *SecretStore) Watch(ctx context.Context) (<-chan ports.Event[credential.Secret], error) {
	return s.s.watch(ctx)
}
