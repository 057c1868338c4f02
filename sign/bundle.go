package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// BundleMediaType is the media type of the Sigstore bundles written.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// acceptedMediaTypes are the bundle versions read: v0.3 in both spellings
// Sigstore clients use, and v0.2 written by older signers.
var acceptedMediaTypes = map[string]bool{
	BundleMediaType: true,
	"application/vnd.dev.sigstore.bundle+json;version=0.3": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
}

// MaxBundle bounds the size of a signature file read.
const MaxBundle = 256 << 20

// ErrBundle reports a signature file that is not a Sigstore bundle with a
// DSSE envelope.
var ErrBundle = errors.New("invalid signature bundle")

// Bundle is a Sigstore bundle carrying a DSSE envelope.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *dsse.Envelope       `json:"dsseEnvelope"`
}

// VerificationMaterial says which key signed: a public-key hint (or the
// raw key, in bundles of model_signing before 1.1), a certificate chain,
// or a single certificate. Transparency-log entries are carried through
// but not checked.
type VerificationMaterial struct {
	PublicKey            *PublicKeyID      `json:"publicKey,omitempty"`
	X509CertificateChain *CertificateChain `json:"x509CertificateChain,omitempty"`
	Certificate          *RawBytes         `json:"certificate,omitempty"`
	TlogEntries          []json.RawMessage `json:"tlogEntries"`
}

// PublicKeyID identifies a signing key.
type PublicKeyID struct {
	Hint     string `json:"hint,omitempty"`
	RawBytes []byte `json:"rawBytes,omitempty"` // DER SubjectPublicKeyInfo
}

// CertificateChain lists DER certificates, leaf first.
type CertificateChain struct {
	Certificates []RawBytes `json:"certificates"`
}

// RawBytes is DER data, base64 in JSON.
type RawBytes struct {
	RawBytes []byte `json:"rawBytes"`
}

// ParseBundle decodes a signature file and checks its shape: a known media
// type and a DSSE envelope with at least one signature.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundle {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrBundle, len(data), MaxBundle)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if !acceptedMediaTypes[b.MediaType] {
		return nil, fmt.Errorf("%w: media type %q, want %q", ErrBundle, b.MediaType, BundleMediaType)
	}
	if b.DSSEEnvelope == nil {
		return nil, fmt.Errorf("%w: no dsseEnvelope (message signatures are not model signatures)", ErrBundle)
	}
	if len(b.DSSEEnvelope.Signatures) == 0 {
		return nil, fmt.Errorf("%w: the envelope carries no signature", ErrBundle)
	}
	return &b, nil
}

// ReadBundleFile reads a signature file, refusing one larger than
// MaxBundle.
func ReadBundleFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundle+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxBundle {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBundle, path, MaxBundle)
	}
	return data, nil
}

// Marshal encodes the bundle as indented JSON with a final newline.
func (b *Bundle) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// payload decodes the envelope's payload.
func (b *Bundle) payload() ([]byte, error) {
	p, err := b.DSSEEnvelope.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrBundle, err)
	}
	return p, nil
}

// decodeSig decodes one envelope signature; DSSE allows standard and URL
// base64.
func decodeSig(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}
