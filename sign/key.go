package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrKey reports a key file that holds no usable ECDSA key.
var ErrKey = errors.New("not an ECDSA P-256, P-384 or P-521 key")

// Curve returns the elliptic curve of a name: p256, p384 or p521 (also
// P-256 and friends).
func Curve(name string) (elliptic.Curve, error) {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "")) {
	case "p256", "":
		return elliptic.P256(), nil
	case "p384":
		return elliptic.P384(), nil
	case "p521":
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("curve %q: want p256, p384 or p521", name)
}

// GenerateKey makes an ECDSA key pair and returns the private key as PKCS#8
// PEM and the public key as SubjectPublicKeyInfo PEM.
func GenerateKey(curve elliptic.Curve, rand io.Reader) (private, public []byte, err error) {
	k, err := ecdsa.GenerateKey(curve, rand)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	public, err = MarshalPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), public, nil
}

// MarshalPublicKey encodes a public key as SubjectPublicKeyInfo PEM.
func MarshalPublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads an ECDSA private key from PEM: PKCS#8 ("PRIVATE
// KEY") or SEC 1 ("EC PRIVATE KEY"). Encrypted keys are refused.
func ParsePrivateKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%w: the key is encrypted; decrypt it first (openssl pkcs8 -in KEY -out PLAIN)", ErrKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrKey, key)
	}
	if _, err := hashFor(&k.PublicKey); err != nil {
		return nil, err
	}
	return k, nil
}

// ParsePublicKey reads an ECDSA public key from SubjectPublicKeyInfo PEM
// ("PUBLIC KEY").
func ParsePublicKey(data []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: PEM block %q is not a public key", ErrKey, block.Type)
	}
	return parsePublicKeyDER(block.Bytes)
}

func parsePublicKeyDER(der []byte) (*ecdsa.PublicKey, error) {
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	k, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrKey, key)
	}
	if _, err := hashFor(k); err != nil {
		return nil, err
	}
	return k, nil
}

// KeyHint is the key hint of a key-based bundle: the hex SHA-256 of the
// public key's SubjectPublicKeyInfo PEM text, as the reference
// implementation computes it.
func KeyHint(pub *ecdsa.PublicKey) (string, error) {
	p, err := MarshalPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:]), nil
}

// hashFor is the digest an ECDSA signature uses on each curve: SHA-256 on
// P-256, SHA-384 on P-384, SHA-512 on P-521.
func hashFor(pub *ecdsa.PublicKey) (crypto.Hash, error) {
	switch pub.Curve {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: curve %s", ErrKey, pub.Curve.Params().Name)
}

// digest hashes a message for a signature by pub.
func digest(pub *ecdsa.PublicKey, msg []byte) ([]byte, error) {
	h, err := hashFor(pub)
	if err != nil {
		return nil, err
	}
	w := h.New()
	w.Write(msg)
	return w.Sum(nil), nil
}
