package bolt

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// sealFormat is the first byte of every sealed value, so the format can change later
// without guessing.
const sealFormat byte = 1

// keyCheckPlaintext is sealed into the meta bucket to recognise the right key at Open.
var keyCheckPlaintext = []byte("appconnector secret key check")

// ErrDecrypt is matched (errors.Is) by every error of a value that does not decrypt:
// a wrong key, a corrupted file, or a ciphertext moved to another name.
var ErrDecrypt = errors.New("stored value cannot be decrypted")

// seal encrypts plaintext for the record name of bucket. The result is
// format byte || nonce || ciphertext+tag.
func (db *DB) seal(bucket, name string, plaintext []byte) ([]byte, error) {
	ns := db.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+db.aead.Overhead())
	out[0] = sealFormat
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("seal %s/%s: generate nonce: %w", bucket, name, err)
	}
	return db.aead.Seal(out, out[1:1+ns], plaintext, additionalData(bucket, name)), nil
}

// open decrypts what seal produced for the same bucket and name. Errors wrap ErrDecrypt
// and never include the data.
func (db *DB) open(bucket, name string, sealed []byte) ([]byte, error) {
	ns := db.aead.NonceSize()
	if len(sealed) < 1+ns+db.aead.Overhead() {
		return nil, fmt.Errorf("open %s/%s: %w: value too short (%d bytes)", bucket, name, ErrDecrypt, len(sealed))
	}
	if sealed[0] != sealFormat {
		return nil, fmt.Errorf("open %s/%s: %w: unknown format %d", bucket, name, ErrDecrypt, sealed[0])
	}
	plain, err := db.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], additionalData(bucket, name))
	if err != nil {
		return nil, fmt.Errorf("open %s/%s: %w: authentication failed (wrong key, corrupted file, or value moved from another record)", bucket, name, ErrDecrypt)
	}
	return plain, nil
}

// additionalData binds a ciphertext to its place. Length-prefixing the bucket keeps
// ("ab","c") and ("a","bc") apart.
func additionalData(bucket, name string) []byte {
	ad := make([]byte, 0, 16+len(bucket)+len(name))
	ad = append(ad, "appconnector/v1"...)
	ad = binary.AppendUvarint(ad, uint64(len(bucket)))
	ad = append(ad, bucket...)
	return append(ad, name...)
}

// verifyKey checks the loaded key against the sealed check value, or stores one in a
// database that has none yet.
func (db *DB) verifyKey(meta *bbolt.Bucket, check []byte) error {
	if check == nil {
		sealed, err := db.seal(string(bucketMeta), string(metaKeyCheck), keyCheckPlaintext)
		if err != nil {
			return err
		}
		if err := meta.Put(metaKeyCheck, sealed); err != nil {
			return fmt.Errorf("write key check: %w", err)
		}
		return nil
	}
	plain, err := db.open(string(bucketMeta), string(metaKeyCheck), check)
	if err != nil || !bytes.Equal(plain, keyCheckPlaintext) {
		return fmt.Errorf("secret key does not match the database (was %s replaced?): %w", KeyFileName, ErrDecrypt)
	}
	return nil
}
