package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Problem kinds a verification reports.
const (
	ProblemSignature = "signature" // the envelope signature or signer is not trusted
	ProblemChanged   = "changed"   // a file's content differs from the signed digest
	ProblemMissing   = "missing"   // a signed file is gone
	ProblemUnsigned  = "unsigned"  // a file that the signature does not cover
)

// Problem is one reason a model does not verify.
type Problem struct {
	Kind   string `json:"kind"`
	Path   string `json:"path"` // the file, or "" for signature problems
	Detail string `json:"detail"`
}

// VerifyOptions say what to trust and how to compare.
type VerifyOptions struct {
	// PublicKey trusts bundles signed by this key.
	PublicKey *ecdsa.PublicKey
	// Roots trusts bundles whose certificate chains to one of these.
	Roots []*x509.Certificate
	// Now is the time at which certificates must be valid; time.Now when nil.
	Now func() time.Time
	// SignaturePath is the bundle's path; inside the model it is not a file
	// of the model.
	SignaturePath string
	// IgnoreUnsignedFiles accepts files that the signature does not cover.
	IgnoreUnsignedFiles bool
	// Ignore leaves out more paths, relative to the model root.
	Ignore   []string
	Workers  int
	Progress func(n int64)
}

func (o *VerifyOptions) validate() error {
	if (o.PublicKey == nil) == (len(o.Roots) == 0) {
		return errors.New("give exactly one of a public key and trusted root certificates")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Result is the outcome of a verification.
type Result struct {
	Signer   string    // who signed: the key hint, or the certificate's subject
	Manifest *Manifest // what the signature covers, once the signature verified
	Files    int       // files hashed
	Problems []Problem // empty when the model verified
}

// Verified reports whether the model verified.
func (r *Result) Verified() bool { return len(r.Problems) == 0 }

// Verify checks a bundle for the model at modelPath: the envelope signature
// against the trusted key or roots, the statement and its subject digest,
// then every file, re-hashed the way the signature says. A signature that
// does not verify or a model that differs is a Result with problems; an
// error means the check could not be made (unreadable files, a malformed
// bundle).
func Verify(ctx context.Context, modelPath string, bundle []byte, o VerifyOptions) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	b, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	pub, signer, problem := trustedKey(b, o)
	res.Signer = signer
	if problem != "" {
		res.Problems = append(res.Problems, Problem{Kind: ProblemSignature, Detail: problem})
		return res, nil
	}
	payload, err := b.payload()
	if err != nil {
		return nil, err
	}
	if !verifyEnvelope(b, pub, payload) {
		detail := "the envelope signature does not verify with the trusted key"
		if o.PublicKey != nil && b.VerificationMaterial.PublicKey != nil && b.VerificationMaterial.PublicKey.Hint != "" && b.VerificationMaterial.PublicKey.Hint != signer {
			detail += fmt.Sprintf(" (the bundle names key %s)", b.VerificationMaterial.PublicKey.Hint)
		}
		res.Problems = append(res.Problems, Problem{Kind: ProblemSignature, Detail: detail})
		return res, nil
	}
	if b.DSSEEnvelope.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("%w: payload type %q, want %q", ErrStatement, b.DSSEEnvelope.PayloadType, InTotoPayloadType)
	}
	want, err := ParseStatement(payload)
	if err != nil {
		return nil, err
	}
	res.Manifest = want
	got, err := BuildManifest(ctx, modelPath, o.rehashOptions(modelPath, want))
	if err != nil {
		return nil, err
	}
	if isLegacySingleFile(want) && len(got.Resources) == 1 {
		if st, err := os.Stat(modelPath); err == nil && !st.IsDir() {
			got.Resources[0].Name = legacySingleFile
		}
	}
	res.Files = len(got.files())
	res.Problems = compare(want, got, o.IgnoreUnsignedFiles)
	return res, nil
}

// rehashOptions re-derive the serialization from the signed manifest.
func (o *VerifyOptions) rehashOptions(modelPath string, want *Manifest) ManifestOptions {
	s := want.Serialization
	mo := ManifestOptions{
		Hash: s.HashType, ShardSize: s.ShardSize, AllowSymlinks: s.AllowSymlinks,
		Workers: o.Workers, Progress: o.Progress,
	}
	mo.Ignore = append(append(mo.Ignore, s.IgnorePaths...), o.Ignore...)
	if rel, inside := relativeTo(modelPath, o.SignaturePath); inside {
		mo.Ignore = append(mo.Ignore, rel)
	}
	if o.IgnoreUnsignedFiles && !isLegacySingleFile(want) {
		mo.only = want.files()
	}
	return mo
}

// verifyEnvelope reports whether any of the envelope's signatures is a
// valid ECDSA signature by pub over the pre-authentication encoding. Key
// ids are not consulted: they may be absent, empty or null.
func verifyEnvelope(b *Bundle, pub *ecdsa.PublicKey, payload []byte) bool {
	d, err := digest(pub, dsse.PAE(b.DSSEEnvelope.PayloadType, payload))
	if err != nil {
		return false
	}
	for _, s := range b.DSSEEnvelope.Signatures {
		sig, err := decodeSig(s.Sig)
		if err == nil && ecdsa.VerifyASN1(pub, d, sig) {
			return true
		}
	}
	return false
}

// compare lists, file by file, how the model on disk differs from the
// signed manifest. A file with any differing shard is changed once.
func compare(want, got *Manifest, ignoreUnsigned bool) []Problem {
	method := want.Serialization.Method
	wantDigests, gotDigests := digestsByName(want), digestsByName(got)
	wantFiles, gotFiles := want.files(), got.files()
	kinds := map[string]string{}
	for name, d := range gotDigests {
		path := resourcePath(name, method)
		if !wantFiles[path] {
			if !ignoreUnsigned {
				kinds[path] = ProblemUnsigned
			}
			continue
		}
		if w, ok := wantDigests[name]; !ok || !bytes.Equal(w, d) {
			kinds[path] = ProblemChanged
		}
	}
	for name := range wantDigests {
		path := resourcePath(name, method)
		switch {
		case !gotFiles[path]:
			kinds[path] = ProblemMissing
		case gotDigests[name] == nil:
			kinds[path] = ProblemChanged
		}
	}
	out := make([]Problem, 0, len(kinds))
	for path, kind := range kinds {
		out = append(out, Problem{Kind: kind, Path: path, Detail: problemDetails[kind]})
	}
	sort.Slice(out, func(i, j int) bool { return pathLess(out[i].Path, out[j].Path) })
	return out
}

var problemDetails = map[string]string{
	ProblemChanged:  "content differs from the signed digest",
	ProblemMissing:  "signed file is missing",
	ProblemUnsigned: "file is not covered by the signature",
}

// digestsByName indexes a manifest's digests by resource name.
func digestsByName(m *Manifest) map[string][]byte {
	out := make(map[string][]byte, len(m.Resources))
	for _, r := range m.Resources {
		out[r.Name] = r.Digest
	}
	return out
}

// PAE is the DSSE pre-authentication encoding that envelope signatures
// cover.
func PAE(payloadType string, payload []byte) []byte { return dsse.PAE(payloadType, payload) }

// isLegacySingleFile reports a model_signing 1.0 single-file manifest,
// whose one resource is named ".".
func isLegacySingleFile(m *Manifest) bool {
	return len(m.Resources) == 1 && m.Resources[0].Name == legacySingleFile
}
