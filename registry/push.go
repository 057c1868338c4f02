package registry

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/sign"
	"github.com/poisonguard/poisonguard/store"
)

// PushOptions say what to trust and who pushes.
type PushOptions struct {
	Key           *ecdsa.PublicKey // the trusted signing key
	SignaturePath string           // the OMS bundle; default model.sig in the model directory
	Who           string           // recorded as pushed_by
	Workers       int
	Progress      func(n int64)
}

// VerificationError lists why a pushed or deployed model did not verify.
type VerificationError struct {
	Problems []sign.Problem
}

func (e *VerificationError) Error() string {
	var parts []string
	for _, p := range e.Problems {
		s := p.Kind
		if p.Path != "" {
			s += " " + p.Path
		}
		if p.Kind == sign.ProblemSignature {
			s += ": " + p.Detail
		}
		parts = append(parts, s)
	}
	return ErrNotVerified.Error() + ": " + strings.Join(parts, "; ")
}

func (e *VerificationError) Unwrap() error { return ErrNotVerified }

// Push verifies the model directory's OMS signature against the trusted
// key and, only if it verifies, stores its files and signature
// content-addressed, assigns the next version number of name and appends a
// model record to the ledger, all committed together.
func (r *Registry) Push(ctx context.Context, name, modelDir string, o PushOptions) (*Version, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if o.Key == nil {
		return nil, fmt.Errorf("a trusted public key is required")
	}
	if o.SignaturePath == "" {
		o.SignaturePath = filepath.Join(modelDir, "model.sig")
	}
	bundle, err := sign.ReadBundleFile(o.SignaturePath)
	if err != nil {
		return nil, err
	}
	res, err := sign.Verify(ctx, modelDir, bundle, sign.VerifyOptions{
		PublicKey: o.Key, SignaturePath: o.SignaturePath, Workers: o.Workers, Progress: o.Progress,
	})
	if err != nil {
		return nil, err
	}
	if !res.Verified() {
		return nil, &VerificationError{Problems: res.Problems}
	}
	files, err := r.storeFiles(modelDir, res.Manifest)
	if err != nil {
		return nil, err
	}
	bundleDigest, _, err := r.blobs.Put(bytes.NewReader(bundle))
	if err != nil {
		return nil, err
	}
	keyPEM, err := sign.MarshalPublicKey(o.Key)
	if err != nil {
		return nil, err
	}
	v := &Version{
		Name: name, RootDigest: "sha256:" + hex.EncodeToString(res.Manifest.RootDigest()),
		BundleDigest: "sha256:" + bundleDigest, Signer: res.Signer, PublicKey: string(keyPEM),
		PushedAt: store.Now(r.clock), PushedBy: o.Who, Files: files,
	}
	err = r.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM registry_versions WHERE name = ?`, name).Scan(&v.Version); err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{
			"name": name, "version": v.Version, "bundle_digest": v.BundleDigest, "subject_digest": v.RootDigest,
			"signer": v.Signer, "pushed_by": v.PushedBy,
		})
		es, err := r.log.AppendTx(ctx, tx, ledger.Record{Kind: ledger.KindModel, Body: body})
		if err != nil {
			return err
		}
		v.LedgerIndex = es[0].Index
		if _, err := tx.Exec(ctx, `INSERT INTO registry_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Name, v.Version, v.RootDigest, v.BundleDigest, v.Signer, v.PublicKey, v.LedgerIndex, v.PushedAt, v.PushedBy); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO registry_files (name, version, path, blob, size) VALUES (?, ?, ?, ?, ?)`, name, v.Version, f.Path, f.Blob, f.Size); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, r.checkpoint(ctx)
}

// storeFiles copies the signed files into the blob store and checks that
// what was stored is what was signed (the file could change after the
// verification read it).
func (r *Registry) storeFiles(modelDir string, m *sign.Manifest) ([]File, error) {
	digests := map[string][]byte{}
	whole := m.Serialization.Method == sign.MethodFiles && m.Serialization.HashType == sign.HashSHA256
	for _, res := range m.Resources {
		digests[res.Name] = res.Digest
	}
	root, err := os.OpenRoot(modelDir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var out []File
	for _, path := range m.Files() {
		f, err := root.Open(path)
		if err != nil {
			return nil, err
		}
		d, size, err := r.blobs.Put(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
		if whole && d != hex.EncodeToString(digests[path]) {
			return nil, fmt.Errorf("%s changed while it was pushed", path)
		}
		out = append(out, File{Path: path, Blob: d, Size: size})
	}
	return out, nil
}

// checkpoint signs the log after a change, when the registry's log holds
// its signer key; deploy checks need a checkpoint that covers the record.
func (r *Registry) checkpoint(ctx context.Context) error {
	if _, err := r.log.Checkpoint(ctx); err != nil && !errors.Is(err, ledger.ErrNoSigner) {
		return err
	}
	return nil
}
