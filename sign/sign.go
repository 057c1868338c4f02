package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Options say how to sign a model.
type Options struct {
	ManifestOptions
	// SignaturePath is where the bundle will be written; when it lies inside
	// the model it is left out of the manifest.
	SignaturePath string
	// Chain, when set, is the signing key's certificate followed by its
	// intermediates: the bundle then carries the chain instead of a key hint.
	Chain []*x509.Certificate
}

// Sign serialises the model at modelPath and signs the statement with key.
// It returns the bundle to write and the manifest that was signed.
func Sign(ctx context.Context, modelPath string, key *ecdsa.PrivateKey, o Options) (*Bundle, *Manifest, error) {
	if len(o.Chain) > 0 {
		if pub, ok := o.Chain[0].PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
			return nil, nil, errors.New("the certificate does not hold the signing key's public key")
		}
	}
	if rel, inside := relativeTo(modelPath, o.SignaturePath); inside {
		o.Ignore = append(o.Ignore[:len(o.Ignore):len(o.Ignore)], rel)
	}
	m, err := BuildManifest(ctx, modelPath, o.ManifestOptions)
	if err != nil {
		return nil, nil, err
	}
	if len(m.Resources) == 0 {
		return nil, nil, fmt.Errorf("model %s has no files to sign", modelPath)
	}
	stmt, err := m.Statement()
	if err != nil {
		return nil, nil, err
	}
	env, err := signEnvelope(ctx, key, stmt)
	if err != nil {
		return nil, nil, err
	}
	b := &Bundle{MediaType: BundleMediaType, DSSEEnvelope: env, VerificationMaterial: VerificationMaterial{TlogEntries: []json.RawMessage{}}}
	if len(o.Chain) > 0 {
		chain := &CertificateChain{}
		for _, c := range o.Chain {
			chain.Certificates = append(chain.Certificates, RawBytes{RawBytes: c.Raw})
		}
		b.VerificationMaterial.X509CertificateChain = chain
	} else {
		hint, err := KeyHint(&key.PublicKey)
		if err != nil {
			return nil, nil, err
		}
		b.VerificationMaterial.PublicKey = &PublicKeyID{Hint: hint}
	}
	return b, m, nil
}

// ecdsaSigner signs DSSE pre-authentication encodings with an ECDSA key,
// hashing with the curve's hash; signatures are ASN.1 DER.
type ecdsaSigner struct{ key *ecdsa.PrivateKey }

func (s ecdsaSigner) Sign(_ context.Context, data []byte) ([]byte, error) {
	d, err := digest(&s.key.PublicKey, data)
	if err != nil {
		return nil, err
	}
	return ecdsa.SignASN1(rand.Reader, s.key, d)
}

// KeyID is empty: OMS signatures identify the key in the bundle instead.
func (s ecdsaSigner) KeyID() (string, error) { return "", nil }

// signEnvelope signs the statement as a DSSE envelope.
func signEnvelope(ctx context.Context, key *ecdsa.PrivateKey, stmt []byte) (*dsse.Envelope, error) {
	es, err := dsse.NewEnvelopeSigner(ecdsaSigner{key})
	if err != nil {
		return nil, err
	}
	return es.SignPayload(ctx, InTotoPayloadType, stmt)
}
