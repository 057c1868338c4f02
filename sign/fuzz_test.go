package sign_test

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/sign"
)

// FuzzVerify feeds arbitrary signature files to the whole verifier: it
// must never panic, and a mangled bundle must never verify.
func FuzzVerify(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(kat, "bundles", "*.sig"))
	for _, p := range paths {
		f.Add(readFile(f, p))
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"signatures":[{}]}}`))
	pub := publicKey(f, "p256")
	model := filepath.Join(kat, "model")
	valid := readFile(f, filepath.Join(kat, "bundles", "files-p256.sig"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := sign.Verify(context.Background(), model, data, sign.VerifyOptions{PublicKey: pub})
		if err == nil && res.Verified() && !bytes.Equal(data, valid) {
			// Only whitespace or JSON-equivalent rewrites may still verify.
			if _, perr := sign.ParseBundle(data); perr != nil {
				t.Fatalf("an unparseable bundle verified")
			}
		}
	})
}

// FuzzParseStatement checks that a statement that parses re-encodes to
// one that parses to the same manifest.
func FuzzParseStatement(f *testing.F) {
	m, err := sign.BuildManifest(context.Background(), filepath.Join(kat, "model"), sign.ManifestOptions{ShardSize: 8})
	if err != nil {
		f.Fatal(err)
	}
	stmt, _ := m.Statement()
	f.Add(stmt)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://model_signing/Digests/v0.1","subject":[{"name":"a","digest":{"sha256":"00"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sign.ParseStatement(data)
		if err != nil {
			return
		}
		again, err := m.Statement()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := sign.ParseStatement(again)
		if err != nil {
			t.Fatalf("re-encoded statement does not parse: %v", err)
		}
		if !bytes.Equal(m.RootDigest(), m2.RootDigest()) || len(m.Resources) != len(m2.Resources) {
			t.Fatal("round trip changed the manifest")
		}
	})
}

// FuzzParseKeys feeds arbitrary PEM to the key and certificate parsers.
func FuzzParseKeys(f *testing.F) {
	for _, n := range []string{"p256.key", "p384.pub", "root-ca.pem"} {
		f.Add(readFile(f, filepath.Join(kat, "keys", n)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := sign.ParsePrivateKey(data); err == nil {
			if _, err := sign.KeyHint(&k.PublicKey); err != nil {
				t.Fatal(err)
			}
		}
		sign.ParsePublicKey(data)
		sign.ParseCertificates(data)
	})
}

// ExampleSign signs a model directory and verifies it.
func ExampleSign() {
	dir, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("weights"), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)

	priv, _, _ := sign.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := sign.ParsePrivateKey(priv)
	bundle, manifest, _ := sign.Sign(context.Background(), dir, key, sign.Options{})
	data, _ := bundle.Marshal()

	res, _ := sign.Verify(context.Background(), dir, data, sign.VerifyOptions{PublicKey: &key.PublicKey})
	fmt.Println(manifest.Files(), res.Verified())
	// Output: [config.json weights.bin] true
}
