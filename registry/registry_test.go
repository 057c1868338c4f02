package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/registry"
	"github.com/poisonguard/poisonguard/sign"
	"github.com/poisonguard/poisonguard/store"
	"github.com/poisonguard/poisonguard/store/storetest"
)

type fixture struct {
	reg   *registry.Registry
	log   *ledger.Log
	blobs *store.Blobs
	key   *ecdsa.PrivateKey
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, b)
	skey, _, err := ledger.Init(ctx, db, "poisonguard.test/registry", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, db, ledger.Options{SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := store.NewBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, db, l, blobs, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	priv, _, _ := sign.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := sign.ParsePrivateKey(priv)
	return &fixture{reg: reg, log: l, blobs: blobs, key: key}
}

// model writes and signs a model directory whose weights say what.
func (f *fixture) model(t *testing.T, what string) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"layers":2}`), 0o644)
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte(strings.Repeat(what, 1000)), 0o644)
	sig := filepath.Join(dir, "model.sig")
	b, _, err := sign.Sign(context.Background(), dir, f.key, sign.Options{SignaturePath: sig})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := b.Marshal()
	os.WriteFile(sig, data, 0o644)
	return dir
}

func TestRegistryLifecycle(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, b)
			pub := &f.key.PublicKey
			m1, m2, m3 := f.model(t, "v1"), f.model(t, "v2"), f.model(t, "v3")

			// Only verified models are accepted; a refused push uses no number.
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if _, err := f.reg.Push(ctx, "fraud", m1, registry.PushOptions{Key: &other.PublicKey}); !errors.Is(err, registry.ErrNotVerified) {
				t.Fatalf("push with the wrong key: %v", err)
			}
			tampered := f.model(t, "v9")
			os.WriteFile(filepath.Join(tampered, "weights.bin"), []byte("backdoored"), 0o644)
			if _, err := f.reg.Push(ctx, "fraud", tampered, registry.PushOptions{Key: pub}); !errors.Is(err, registry.ErrNotVerified) || !strings.Contains(err.Error(), "weights.bin") {
				t.Fatalf("push of a tampered model: %v", err)
			}
			for i, dir := range []string{m1, m2, m3} {
				v, err := f.reg.Push(ctx, "fraud", dir, registry.PushOptions{Key: pub, Who: "ci"})
				if err != nil {
					t.Fatal(err)
				}
				if v.Version != int64(i+1) {
					t.Fatalf("version %d, want %d", v.Version, i+1)
				}
			}
			// Files are stored content-addressed.
			v2, err := f.reg.Get(ctx, "fraud", 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, file := range v2.Files {
				r, err := f.blobs.Open(file.Blob)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(r)
				r.Close()
				want, _ := os.ReadFile(filepath.Join(m2, file.Path))
				if string(got) != string(want) {
					t.Fatalf("%s: stored bytes differ", file.Path)
				}
			}

			promote := func(v int64, stage string) {
				if _, err := f.reg.Promote(ctx, "fraud", v, stage, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			promote(1, "production")
			promote(2, "production")
			promote(3, "staging")
			deployCheck := func(dir string) *registry.DeployResult {
				res, err := f.reg.VerifyDeploy(ctx, dir, registry.DeployCheck{Name: "fraud", Stage: "production"})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if res := deployCheck(m2); !res.OK || res.Version != 2 {
				t.Fatalf("v2 in production: %+v", res)
			}
			if res := deployCheck(m1); res.OK || !strings.Contains(res.Reasons[0], "it is fraud@1") {
				t.Fatalf("v1 against production v2: %+v", res)
			}
			os.WriteFile(filepath.Join(m2, "extra.py"), []byte("import os"), 0o644)
			if res := deployCheck(m2); res.OK || !strings.Contains(res.Reasons[0], "unsigned extra.py") {
				t.Fatalf("v2 with an extra file: %+v", res)
			}
			os.Remove(filepath.Join(m2, "extra.py"))

			// Rollback pops the stage's promotions.
			ev, err := f.reg.Rollback(ctx, "fraud", "production", "bob")
			if err != nil || ev.Version != 1 {
				t.Fatalf("rollback: %+v %v", ev, err)
			}
			if res := deployCheck(m1); !res.OK {
				t.Fatalf("v1 after the rollback: %+v", res)
			}
			if _, err := f.reg.Rollback(ctx, "fraud", "production", "bob"); !errors.Is(err, registry.ErrNoPrevious) {
				t.Fatalf("rollback past the first version: %v", err)
			}

			digest := func(v int64) string {
				ver, _ := f.reg.Get(ctx, "fraud", v)
				return ver.RootDigest
			}
			mismatches, err := f.reg.Audit(ctx, []registry.Deployment{
				{Model: "fraud", Environment: "production", Digest: digest(1)},                           // fine
				{Model: "fraud", Environment: "staging", Digest: digest(3)},                              // fine
				{Model: "fraud", Environment: "production", Digest: digest(3)},                           // the staging version
				{Model: "fraud", Environment: "staging", Digest: digest(2)},                              // older than staging's
				{Model: "fraud", Environment: "production", Digest: "sha256:" + strings.Repeat("0", 64)}, // unknown
				{Model: "churn", Environment: "production", Digest: digest(1)},                           // another model's digest
			})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, m := range mismatches {
				kinds = append(kinds, m.Kind)
			}
			want := "wrong_model wrong_stage outdated_version unknown_digest"
			if strings.Join(kinds, " ") != want {
				t.Fatalf("mismatches %q, want %q", strings.Join(kinds, " "), want)
			}

			// Every state change is in the ledger, and the ledger verifies.
			n, _ := f.log.Size(ctx)
			if n != 3+3+1 {
				t.Fatalf("%d ledger entries, want 7 (3 pushes, 3 promotions, 1 rollback)", n)
			}
			if res, err := f.log.Audit(ctx); err != nil || !res.OK() {
				t.Fatalf("ledger audit: %+v %v", res, err)
			}
		})
	}
}
