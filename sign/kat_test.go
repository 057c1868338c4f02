package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poisonguard/poisonguard/sign"
)

// The vectors in testdata/kat were made by gen_vectors.py with Python's
// hashlib and the openssl command line, from the specification alone.
const kat = "testdata/kat"

type katExpected struct {
	FilesSHA256 map[string]string `json:"files_sha256"`
	Bundles     map[string]struct {
		RootDigest *string `json:"root_digest"`
		PAESHA256  string  `json:"pae_sha256"`
		PAE        string  `json:"pae"`
	} `json:"bundles"`
}

func readKAT(t *testing.T) katExpected {
	t.Helper()
	var e katExpected
	if err := json.Unmarshal(readFile(t, filepath.Join(kat, "expected.json")), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func publicKey(t testing.TB, name string) *ecdsa.PublicKey {
	t.Helper()
	k, err := sign.ParsePublicKey(readFile(t, filepath.Join(kat, "keys", name+".pub")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKnownAnswerDigests checks our per-file digests and root digest
// against hashlib's.
func TestKnownAnswerDigests(t *testing.T) {
	e := readKAT(t)
	m, err := sign.BuildManifest(context.Background(), filepath.Join(kat, "model"), sign.ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Resources) != len(e.FilesSHA256) {
		t.Fatalf("%d resources, want %d: %v", len(m.Resources), len(e.FilesSHA256), m.Files())
	}
	for _, r := range m.Resources {
		if got, want := hex.EncodeToString(r.Digest), e.FilesSHA256[r.Name]; got != want {
			t.Errorf("%s: digest %s, want %s", r.Name, got, want)
		}
	}
	if got, want := hex.EncodeToString(m.RootDigest()), *e.Bundles["files-p256"].RootDigest; got != want {
		t.Errorf("root digest %s, want %s", got, want)
	}
	sharded, err := sign.BuildManifest(context.Background(), filepath.Join(kat, "model"), sign.ManifestOptions{ShardSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(sharded.RootDigest()), *e.Bundles["shards-p384"].RootDigest; got != want {
		t.Errorf("sharded root digest %s, want %s", got, want)
	}
	b2, err := sign.BuildManifest(context.Background(), filepath.Join(kat, "model"), sign.ManifestOptions{Hash: sign.HashBLAKE2b})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(b2.RootDigest()), *e.Bundles["blake2b-p521"].RootDigest; got != want {
		t.Errorf("blake2b root digest %s, want %s", got, want)
	}
}

// TestKnownAnswerPAE checks the pre-authentication encoding of each
// vector's payload against the bytes openssl signed.
func TestKnownAnswerPAE(t *testing.T) {
	e := readKAT(t)
	for name, want := range e.Bundles {
		b, err := sign.ParseBundle(readFile(t, filepath.Join(kat, "bundles", name+".sig")))
		if err != nil {
			t.Fatal(name, err)
		}
		payload, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
		if err != nil {
			t.Fatal(name, err)
		}
		got := sign.PAE(b.DSSEEnvelope.PayloadType, payload)
		if !bytes.Equal(got, readFile(t, filepath.Join(kat, "bundles", want.PAE))) {
			t.Errorf("%s: PAE differs from the signed bytes", name)
		}
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != want.PAESHA256 {
			t.Errorf("%s: PAE sha256 %x, want %s", name, sum, want.PAESHA256)
		}
	}
}

// TestKnownAnswerVerify verifies every vector, signed by openssl, and
// checks that the same bundles fail with the wrong key.
func TestKnownAnswerVerify(t *testing.T) {
	root, err := sign.ParseCertificates(readFile(t, filepath.Join(kat, "keys", "root-ca.pem")))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		bundle string
		opts   sign.VerifyOptions
		files  int
		single string // the model is this one file
	}{
		{"files-p256", sign.VerifyOptions{PublicKey: publicKey(t, "p256")}, 6, ""},
		{"shards-p384", sign.VerifyOptions{PublicKey: publicKey(t, "p384")}, 5, ""}, // an empty file has no shards
		{"blake2b-p521", sign.VerifyOptions{PublicKey: publicKey(t, "p521")}, 6, ""},
		{"chain-p256", sign.VerifyOptions{Roots: root}, 6, ""},
		{"v0.2-p256", sign.VerifyOptions{PublicKey: publicKey(t, "p256")}, 6, ""},
		{"single-file-v1.0-p384", sign.VerifyOptions{PublicKey: publicKey(t, "p384")}, 1, "config.json"},
	}
	for _, c := range cases {
		t.Run(c.bundle, func(t *testing.T) {
			model := filepath.Join(kat, "model")
			if c.single != "" {
				model = filepath.Join(model, c.single)
			}
			res, err := sign.Verify(context.Background(), model, readFile(t, filepath.Join(kat, "bundles", c.bundle+".sig")), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified() {
				t.Fatalf("not verified: %+v", res.Problems)
			}
			if res.Files != c.files {
				t.Errorf("%d files checked, want %d", res.Files, c.files)
			}
			if c.single != "" { // the legacy name must match with --ignore-unsigned-files too
				c.opts.IgnoreUnsignedFiles = true
				res, err := sign.Verify(context.Background(), model, readFile(t, filepath.Join(kat, "bundles", c.bundle+".sig")), c.opts)
				if err != nil || !res.Verified() {
					t.Fatalf("with IgnoreUnsignedFiles: %v %+v", err, res)
				}
			}
		})
	}
	wrong := sign.VerifyOptions{PublicKey: publicKey(t, "leaf")}
	res, err := sign.Verify(context.Background(), filepath.Join(kat, "model"), readFile(t, filepath.Join(kat, "bundles", "files-p256.sig")), wrong)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified() || res.Problems[0].Kind != sign.ProblemSignature {
		t.Fatalf("wrong key: %+v", res.Problems)
	}
	expired := sign.VerifyOptions{Roots: root, Now: func() time.Time { return time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }}
	res, err = sign.Verify(context.Background(), filepath.Join(kat, "model"), readFile(t, filepath.Join(kat, "bundles", "chain-p256.sig")), expired)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified() {
		t.Fatal("a certificate 100 years past its end verified")
	}
}
