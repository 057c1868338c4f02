package sign_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poisonguard/poisonguard/sign"
)

// writeModel makes a small model directory and returns its path.
func writeModel(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"config.json":          `{"layers": 2}`,
		"weights/layer0.bin":   strings.Repeat("w0", 5000),
		"weights/layer1.bin":   strings.Repeat("w1", 7000),
		"weights/empty.bin":    "",
		"tokenizer/vocab.txt":  "a\nb\nc\n",
		".git/HEAD":            "ref: refs/heads/main\n",
		".gitattributes":       "*.bin filter=lfs\n",
		"nested/.git/objects":  "nested .git is hashed\n",
		"logs/train.log":       "epoch 1\n",
		"a-b/c.txt":            "order check\n",
		"a/b.txt":              "order check\n",
		"unicode/数据-ü.txt":     "unicode names are fine\n",
		"spaces and:colon.txt": "odd names\n",
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	return dir
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newKey(t testing.TB, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	priv, _, err := sign.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sign.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signModel signs dir and writes the bundle to dir/model.sig.
func signModel(t testing.TB, dir string, key *ecdsa.PrivateKey, o sign.Options) string {
	t.Helper()
	o.SignaturePath = filepath.Join(dir, "model.sig")
	b, _, err := sign.Sign(context.Background(), dir, key, o)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.SignaturePath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return o.SignaturePath
}

func verify(t testing.TB, dir string, o sign.VerifyOptions) *sign.Result {
	t.Helper()
	o.SignaturePath = filepath.Join(dir, "model.sig")
	res, err := sign.Verify(context.Background(), dir, readFile(t, o.SignaturePath), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func problems(r *sign.Result) string {
	var s []string
	for _, p := range r.Problems {
		s = append(s, p.Kind+" "+p.Path)
	}
	return strings.Join(s, ", ")
}

// TestTamperDetected signs with every curve, hash and method, then changes,
// removes and adds files and checks that each is named.
func TestTamperDetected(t *testing.T) {
	curves := map[string]elliptic.Curve{"p256": elliptic.P256(), "p384": elliptic.P384(), "p521": elliptic.P521()}
	for _, c := range []struct {
		curve string
		hash  string
		shard int64
	}{{"p256", "sha256", 0}, {"p384", "blake2b", 0}, {"p521", "sha256", 4096}, {"p256", "blake2b", 1000}} {
		t.Run(fmt.Sprintf("%s-%s-%d", c.curve, c.hash, c.shard), func(t *testing.T) {
			dir := writeModel(t)
			key := newKey(t, curves[c.curve])
			signModel(t, dir, key, sign.Options{ManifestOptions: sign.ManifestOptions{Hash: c.hash, ShardSize: c.shard, Ignore: []string{"logs"}}})
			opts := sign.VerifyOptions{PublicKey: &key.PublicKey}
			if r := verify(t, dir, opts); !r.Verified() {
				t.Fatalf("fresh signature: %s", problems(r))
			}
			// Logs are ignored: changing them changes nothing.
			writeFile(t, filepath.Join(dir, "logs/train.log"), "epoch 2\n")
			// One byte flipped deep inside a shard, a file removed, one added.
			raw := readFile(t, filepath.Join(dir, "weights/layer1.bin"))
			raw[9000] ^= 1
			writeFile(t, filepath.Join(dir, "weights/layer1.bin"), string(raw))
			os.Remove(filepath.Join(dir, "tokenizer/vocab.txt"))
			writeFile(t, filepath.Join(dir, "backdoor.py"), "import os\n")
			r := verify(t, dir, opts)
			want := "unsigned backdoor.py, missing tokenizer/vocab.txt, changed weights/layer1.bin"
			if got := problems(r); got != want {
				t.Fatalf("problems %q, want %q", got, want)
			}
			opts.IgnoreUnsignedFiles = true
			if got := problems(verify(t, dir, opts)); got != "missing tokenizer/vocab.txt, changed weights/layer1.bin" {
				t.Fatalf("with --ignore-unsigned-files: %q", got)
			}
		})
	}
}

// TestEnvelopeTamper changes the signed statement and the signature.
func TestEnvelopeTamper(t *testing.T) {
	dir := writeModel(t)
	key := newKey(t, elliptic.P256())
	path := signModel(t, dir, key, sign.Options{})
	orig := readFile(t, path)
	b, err := sign.ParseBundle(orig)
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	der[len(der)-1] ^= 1 // the last byte of s
	b.DSSEEnvelope.Signatures[0].Sig = base64.StdEncoding.EncodeToString(der)
	data, _ := b.Marshal()
	os.WriteFile(path, data, 0o644)
	if r := verify(t, dir, sign.VerifyOptions{PublicKey: &key.PublicKey}); r.Verified() || r.Problems[0].Kind != sign.ProblemSignature {
		t.Fatalf("a changed signature: %s", problems(r))
	}
	other := newKey(t, elliptic.P256())
	os.WriteFile(path, orig, 0o644)
	r := verify(t, dir, sign.VerifyOptions{PublicKey: &other.PublicKey})
	if r.Verified() || !strings.Contains(r.Problems[0].Detail, "names key") {
		t.Fatalf("another key: %+v", r.Problems)
	}
}

// TestSymlinks: refused by default; with AllowSymlinks a link inside the
// root is hashed as its target and one leaving the root is refused.
func TestSymlinks(t *testing.T) {
	dir := writeModel(t)
	key := newKey(t, elliptic.P256())
	if err := os.Symlink("config.json", filepath.Join(dir, "link.json")); err != nil {
		t.Skip(err)
	}
	_, _, err := sign.Sign(context.Background(), dir, key, sign.Options{})
	if !errors.Is(err, sign.ErrSymlink) {
		t.Fatalf("a symlink without --allow-symlinks: %v", err)
	}
	allow := sign.Options{ManifestOptions: sign.ManifestOptions{AllowSymlinks: true}}
	signModel(t, dir, key, allow)
	if r := verify(t, dir, sign.VerifyOptions{PublicKey: &key.PublicKey}); !r.Verified() {
		t.Fatalf("allowed symlink: %s", problems(r))
	}
	outside := filepath.Join(t.TempDir(), "secret")
	writeFile(t, outside, "outside the model")
	os.Symlink(outside, filepath.Join(dir, "escape"))
	if _, _, err := sign.Sign(context.Background(), dir, key, allow); err == nil || !strings.Contains(err.Error(), "escape") {
		t.Fatalf("a symlink out of the root: %v", err)
	}
}

// TestSingleFile signs a model that is one file.
func TestSingleFile(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.safetensors")
	writeFile(t, model, "tensor bytes")
	key := newKey(t, elliptic.P384())
	b, m, err := sign.Sign(context.Background(), model, key, sign.Options{SignaturePath: model + ".sig"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Resources) != 1 || m.Resources[0].Name != "model.safetensors" || m.ModelName != "model.safetensors" {
		t.Fatalf("manifest %+v", m)
	}
	data, _ := b.Marshal()
	res, err := sign.Verify(context.Background(), model, data, sign.VerifyOptions{PublicKey: &key.PublicKey})
	if err != nil || !res.Verified() {
		t.Fatalf("verify: %v %+v", err, res)
	}
	writeFile(t, model, "tensor bytez")
	if res, _ := sign.Verify(context.Background(), model, data, sign.VerifyOptions{PublicKey: &key.PublicKey}); res.Verified() {
		t.Fatal("a changed single-file model verified")
	}
}

// TestStatementRejectsUnsafeNames feeds signed statements whose resource
// names try to leave the model.
func TestStatementRejectsUnsafeNames(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "/etc/passwd", "a/../../b", "a/./b", "a//b", "bad\xffname", ""} {
		stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"%s"}}],
			"predicateType":"https://model_signing/signature/v1.0","predicate":{"serialization":{"method":"files","hash_type":"sha256","allow_symlinks":false},
			"resources":[{"name":%q,"algorithm":"sha256","digest":"%s"}]}}`, strings.Repeat("00", 32), name, strings.Repeat("ab", 32))
		if _, err := sign.ParseStatement([]byte(stmt)); !errors.Is(err, sign.ErrStatement) {
			t.Errorf("%q: %v", name, err)
		}
	}
}

// TestCertificateChain signs with a leaf certificate under an
// intermediate and checks chain, validity and key-usage rules.
func TestCertificateChain(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	root, rootKey := makeCert(t, "root", nil, nil, true, now, nil)
	inter, interKey := makeCert(t, "intermediate", root, rootKey, true, now, nil)
	leaf, leafKey := makeCert(t, "signer", inter, interKey, false, now, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning})
	server, serverKey := makeCert(t, "server", inter, interKey, false, now, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
	other, _ := makeCert(t, "other root", nil, nil, true, now, nil)
	clock := func() time.Time { return now }
	for _, c := range []struct {
		name   string
		chain  []*x509.Certificate
		key    *ecdsa.PrivateKey
		roots  []*x509.Certificate
		at     time.Time
		verify bool
	}{
		{"chain to root", []*x509.Certificate{leaf, inter}, leafKey, []*x509.Certificate{root}, now, true},
		{"untrusted root", []*x509.Certificate{leaf, inter}, leafKey, []*x509.Certificate{other}, now, false},
		{"missing intermediate", []*x509.Certificate{leaf}, leafKey, []*x509.Certificate{root}, now, false},
		{"expired leaf", []*x509.Certificate{leaf, inter}, leafKey, []*x509.Certificate{root}, now.AddDate(2, 0, 0), false},
		{"not yet valid", []*x509.Certificate{leaf, inter}, leafKey, []*x509.Certificate{root}, now.AddDate(0, 0, -2), false},
		{"server cert", []*x509.Certificate{server, inter}, serverKey, []*x509.Certificate{root}, now, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeModel(t)
			signModel(t, dir, c.key, sign.Options{Chain: c.chain})
			at := c.at
			r := verify(t, dir, sign.VerifyOptions{Roots: c.roots, Now: func() time.Time { return at }})
			if r.Verified() != c.verify {
				t.Fatalf("verified %v, want %v: %s", r.Verified(), c.verify, problems(r))
			}
		})
	}
	// A certificate bundle checked with --key, and a key bundle with roots.
	dir := writeModel(t)
	signModel(t, dir, leafKey, sign.Options{Chain: []*x509.Certificate{leaf, inter}})
	if r := verify(t, dir, sign.VerifyOptions{PublicKey: &leafKey.PublicKey}); r.Verified() {
		t.Fatal("a certificate bundle verified as a key bundle")
	}
	signModel(t, dir, leafKey, sign.Options{})
	if r := verify(t, dir, sign.VerifyOptions{Roots: []*x509.Certificate{root}, Now: clock}); r.Verified() {
		t.Fatal("a key bundle verified against a root")
	}
}

func makeCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, now time.Time, eku []x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t, elliptic.P256())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.AddDate(0, 0, -1), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
		BasicConstraintsValid: true, IsCA: ca,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.NotAfter = now.AddDate(10, 0, 0)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestIndependentVerifier checks that our signatures verify with
// testdata/oms_verify.py, a verifier written from the specification with
// hashlib and openssl, and that it rejects a changed model.
func TestIndependentVerifier(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	for _, o := range []sign.ManifestOptions{{}, {Hash: sign.HashBLAKE2b}, {ShardSize: 3000}} {
		for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P521()} {
			dir := writeModel(t)
			key := newKey(t, curve)
			sig := signModel(t, dir, key, sign.Options{ManifestOptions: o})
			pub, _ := sign.MarshalPublicKey(&key.PublicKey)
			pubPath := filepath.Join(t.TempDir(), "key.pub")
			os.WriteFile(pubPath, pub, 0o644)
			run := func() error {
				return exec.Command(python, "testdata/oms_verify.py", dir, sig, pubPath).Run()
			}
			if out, err := exec.Command(python, "testdata/oms_verify.py", dir, sig, pubPath).CombinedOutput(); err != nil {
				t.Fatalf("%+v %s: %v\n%s", o, curve.Params().Name, err, out)
			}
			writeFile(t, filepath.Join(dir, "config.json"), "{}")
			if run() == nil {
				t.Fatalf("%+v: the independent verifier accepted a changed model", o)
			}
		}
	}
}

// TestManyFiles signs and verifies a directory of 100,000 files.
func TestManyFiles(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	dir := t.TempDir()
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i%500))
		if i < 500 {
			os.Mkdir(sub, 0o755)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%06d", i)), []byte(fmt.Sprint(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key := newKey(t, elliptic.P256())
	signModel(t, dir, key, sign.Options{})
	r := verify(t, dir, sign.VerifyOptions{PublicKey: &key.PublicKey})
	if !r.Verified() || r.Files != n {
		t.Fatalf("verified %v, %d files: %s", r.Verified(), r.Files, problems(r))
	}
}

// TestRefusesUnsafeFiles: a non-UTF-8 name and a named pipe are refused
// with ErrUnsafePath, never hashed or skipped in silence.
func TestRefusesUnsafeFiles(t *testing.T) {
	key := newKey(t, elliptic.P256())
	dir := writeModel(t)
	if err := os.WriteFile(filepath.Join(dir, "bad\xffname"), []byte("x"), 0o644); err != nil {
		t.Skip(err)
	}
	if _, _, err := sign.Sign(context.Background(), dir, key, sign.Options{}); !errors.Is(err, sign.ErrUnsafePath) {
		t.Fatalf("non-UTF-8 name: %v", err)
	}
	dir = writeModel(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skip(err)
	}
	if _, _, err := sign.Sign(context.Background(), dir, key, sign.Options{}); !errors.Is(err, sign.ErrUnsafePath) {
		t.Fatalf("named pipe: %v", err)
	}
}
