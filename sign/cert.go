package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// ParseCertificates reads every PEM certificate in data.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}

// trustedKey picks the key that must have signed the bundle: the trusted
// public key, or the leaf of a certificate chain that verifies to a
// trusted root. It names the signer, or says why the bundle cannot be
// trusted.
func trustedKey(b *Bundle, o VerifyOptions) (pub *ecdsa.PublicKey, signer, problem string) {
	vm := b.VerificationMaterial
	certs := vm.certificates()
	if o.PublicKey != nil {
		hint, _ := KeyHint(o.PublicKey)
		if len(certs) > 0 {
			return nil, hint, "the bundle is signed with a certificate; verify it with --certificate-chain"
		}
		if vm.PublicKey != nil && len(vm.PublicKey.RawBytes) > 0 {
			if k, err := parseRawPublicKey(vm.PublicKey.RawBytes); err != nil || !k.Equal(o.PublicKey) {
				return nil, hint, "the bundle carries a different public key than the trusted one"
			}
		}
		return o.PublicKey, hint, ""
	}
	if len(certs) == 0 {
		return nil, "", "the bundle is signed with a bare key; verify it with --key"
	}
	parsed := make([]*x509.Certificate, len(certs))
	for i, raw := range certs {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, "", fmt.Sprintf("certificate %d in the bundle: %v", i+1, err)
		}
		parsed[i] = c
	}
	leaf := parsed[0]
	if err := verifyChain(leaf, parsed[1:], o); err != nil {
		return nil, leaf.Subject.String(), err.Error()
	}
	k, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, leaf.Subject.String(), fmt.Sprintf("the leaf certificate holds a %T key, not ECDSA", leaf.PublicKey)
	}
	if _, err := hashFor(k); err != nil {
		return nil, leaf.Subject.String(), err.Error()
	}
	return k, leaf.Subject.String(), ""
}

// certificates returns the bundle's DER certificates, leaf first.
func (vm VerificationMaterial) certificates() [][]byte {
	var out [][]byte
	if vm.X509CertificateChain != nil {
		for _, c := range vm.X509CertificateChain.Certificates {
			out = append(out, c.RawBytes)
		}
	}
	if vm.Certificate != nil {
		out = append(out, vm.Certificate.RawBytes)
	}
	return out
}

// verifyChain checks that the leaf chains to a trusted root through the
// bundle's intermediates, that every certificate is valid now, and that
// the leaf may sign code (or names no extended key usage at all).
func verifyChain(leaf *x509.Certificate, intermediates []*x509.Certificate, o VerifyOptions) error {
	roots := x509.NewCertPool()
	for _, r := range o.Roots {
		roots.AddCert(r)
	}
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	now := o.Now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fmt.Errorf("the signing certificate is valid from %s to %s, not at %s",
			leaf.NotBefore.UTC().Format("2006-01-02"), leaf.NotAfter.UTC().Format("2006-01-02"), now.UTC().Format("2006-01-02 15:04"))
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	if err != nil {
		return fmt.Errorf("the signing certificate does not chain to a trusted root: %v", err)
	}
	return nil
}

// parseRawPublicKey reads publicKey.rawBytes: DER, or — as model_signing
// 1.0 wrote it — the PEM text.
func parseRawPublicKey(raw []byte) (*ecdsa.PublicKey, error) {
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")) {
		return ParsePublicKey(raw)
	}
	return parsePublicKeyDER(raw)
}
