package certificate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// Key size limits. The upper RSA bound keeps signature checks of hostile CSRs cheap.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// CheckPublicKey accepts RSA keys of 2048 to 8192 bits and ECDSA keys on P-256 or P-384,
// and otherwise returns a *CSRError naming the key and the requirement.
func CheckPublicKey(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil {
			return csrErrorf("RSA key has no modulus")
		}
		bits := k.N.BitLen()
		if bits < MinRSABits {
			return csrErrorf(fmt.Sprintf("weak key: RSA key of %d bits, at least %d required", bits, MinRSABits))
		}
		if bits > MaxRSABits {
			return csrErrorf(fmt.Sprintf("RSA key of %d bits is larger than the supported %d", bits, MaxRSABits))
		}
		if k.E < 3 || k.E%2 == 0 {
			return csrErrorf(fmt.Sprintf("weak key: RSA public exponent %d", k.E))
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384():
			return nil
		}
		name := "unknown"
		if k.Curve != nil && k.Curve.Params() != nil {
			name = k.Curve.Params().Name
		}
		return csrErrorf(fmt.Sprintf("weak or unsupported key: ECDSA curve %s, P-256 or P-384 required", name))
	case nil:
		return csrErrorf("no public key")
	default:
		return csrErrorf(fmt.Sprintf("unsupported key type %T: RSA (>= %d bits) or ECDSA P-256/P-384 required", pub, MinRSABits))
	}
}

// KeyAlgorithm names a public key the way Kyma's info responses do ("rsa2048"), with
// "ecdsa-p256"/"ecdsa-p384" for EC keys; "" for anything else.
func KeyAlgorithm(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil {
			return ""
		}
		return fmt.Sprintf("rsa%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ecdsa-p256"
		case elliptic.P384():
			return "ecdsa-p384"
		}
	}
	return ""
}

// AnnouncedKeyAlgorithm is what the info endpoints announce. Kyma always announced
// "rsa2048" (and then ignored the key); keeping the string keeps existing clients
// generating the key they always did, while CheckPublicKey also accepts stronger ones.
const AnnouncedKeyAlgorithm = "rsa2048"
