package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/sign"
)

func (a *app) modelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Sign, verify and scan model artifacts",
		Long: `Model commands protect the artifact between training and serving.
Signatures use the OpenSSF Model Signing (OMS) format: a Sigstore bundle
v0.3 whose DSSE envelope carries an in-toto statement listing every file's
digest, interoperable with the reference model_signing tool.`,
		Example: `  poisonguard model keygen -o release
  poisonguard model sign ./my-model --key release.key
  poisonguard model verify ./my-model --key release.pub
  poisonguard model scan ./downloaded-checkpoint`,
	}
	cmd.AddCommand(a.modelKeygenCommand(), a.modelSignCommand(), a.modelVerifyCommand(), a.modelScanCommand())
	return cmd
}

func (a *app) modelKeygenCommand() *cobra.Command {
	var out, curve string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -o NAME",
		Short: "Make an ECDSA key pair for signing models",
		Long: `Keygen writes NAME.key, the PKCS#8 PEM private key (mode 0600), and
NAME.pub, the SubjectPublicKeyInfo PEM public key that verifiers trust.
Existing files are kept unless --force.`,
		Example: `  poisonguard model keygen -o release
  poisonguard model keygen -o release --curve p384`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("give -o NAME")}
			}
			c, err := sign.Curve(curve)
			if err != nil {
				return usageError{err}
			}
			priv, pub, err := sign.GenerateKey(c, rand.Reader)
			if err != nil {
				return err
			}
			keyPath, pubPath := out+".key", out+".pub"
			if !force {
				for _, p := range []string{keyPath, pubPath} {
					if _, err := os.Lstat(p); err == nil {
						return usageError{fmt.Errorf("%s exists; use --force to replace it", p)}
					}
				}
			}
			if err := atomicfile.Write(keyPath, 0o600, writeBytes(priv)); err != nil {
				return err
			}
			if err := atomicfile.Write(pubPath, 0o644, writeBytes(pub)); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "wrote %s (private, %s) and %s (public)\n", keyPath, c.Params().Name, pubPath)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write NAME.key and NAME.pub")
	cmd.Flags().StringVar(&curve, "curve", "p256", "curve: p256, p384 or p521")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return cmd
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// signatureFor is where a model's signature lives by default: model.sig
// inside a model directory, FILE.sig next to a single-file model.
func signatureFor(modelPath, flag string) string {
	if flag != "" {
		return flag
	}
	if st, err := os.Stat(modelPath); err == nil && !st.IsDir() {
		return modelPath + ".sig"
	}
	return filepath.Join(modelPath, "model.sig")
}

// signReport is the outcome of model sign, as --json prints it.
type signReport struct {
	Model      string  `json:"model"`
	Signature  string  `json:"signature"`
	Method     string  `json:"method"`
	Hash       string  `json:"hash"`
	Resources  int     `json:"resources"`
	Files      int     `json:"files"`
	Bytes      int64   `json:"bytes"`
	RootDigest string  `json:"root_digest"`
	Signer     string  `json:"signer"`
	Seconds    float64 `json:"seconds"`
}

func (a *app) modelSignCommand() *cobra.Command {
	var (
		keyPath, certPath, sigPath string
		opts                       sign.Options
		asJSON                     bool
	)
	cmd := &cobra.Command{
		Use:   "sign MODEL_PATH --key KEY.pem",
		Short: "Sign a model directory or file (OpenSSF Model Signing format)",
		Long: `Sign hashes every file of the model in parallel (or every shard of
--shard-size bytes), builds the OMS in-toto statement and signs it with an
ECDSA key. The signature is written atomically to --signature, by default
model.sig inside a model directory or FILE.sig beside a single file.

Left out: .git, .gitignore, .gitattributes and .github at the model root,
the signature file, and every --ignore path (relative to the model root,
with its subtree). Symbolic links are refused unless --allow-symlinks, and
never followed outside the model root. With --certificate the bundle
carries the key's certificate chain instead of a key hint.`,
		Example: `  poisonguard model sign ./my-model --key release.key
  poisonguard model sign ./my-model --key release.key --shard-size 1000000000 --ignore logs
  poisonguard model sign model.safetensors --key release.key --signature model.safetensors.sig`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return usageError{errors.New("give --key KEY.pem")}
			}
			rep, err := a.signModel(cmd.Context(), args[0], keyPath, certPath, sigPath, opts)
			if err != nil {
				return err
			}
			if asJSON {
				return finding.WriteJSON(a.stdout, rep)
			}
			return rep.writeText(a.stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyPath, "key", "", "ECDSA private key, PEM (PKCS#8 or SEC 1)")
	f.StringVar(&certPath, "certificate", "", "the key's certificate, PEM, optionally followed by intermediates")
	f.StringVar(&sigPath, "signature", "", "where to write the signature (default model.sig in the model)")
	f.StringVar(&opts.Hash, "hash", sign.HashSHA256, "file hash: sha256 or blake2b")
	f.Int64Var(&opts.ShardSize, "shard-size", 0, "hash shards of this many bytes instead of whole files")
	f.StringArrayVar(&opts.Ignore, "ignore", nil, "leave out this path, relative to the model root (repeatable)")
	f.BoolVar(&opts.AllowSymlinks, "allow-symlinks", false, "hash symlinks' targets (inside the model) instead of refusing them")
	f.IntVar(&opts.Workers, "workers", 0, "parallel hashers (default: one per CPU)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) signModel(ctx context.Context, modelPath, keyPath, certPath, sigPath string, opts sign.Options) (*signReport, error) {
	keyPEM, err := readSmall(keyPath)
	if err != nil {
		return nil, err
	}
	key, err := sign.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if certPath != "" {
		certPEM, err := readSmall(certPath)
		if err != nil {
			return nil, err
		}
		if opts.Chain, err = sign.ParseCertificates(certPEM); err != nil {
			return nil, fmt.Errorf("%s: %w", certPath, err)
		}
	}
	opts.SignaturePath = signatureFor(modelPath, sigPath)
	bar := a.newProgress("hashing")
	defer bar.done()
	opts.Progress = bar.bytes
	start := time.Now()
	b, m, err := sign.Sign(ctx, modelPath, key, opts)
	if err != nil {
		return nil, err
	}
	data, err := b.Marshal()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(opts.SignaturePath, 0o644, writeBytes(data)); err != nil {
		return nil, err
	}
	rep := &signReport{
		Model: modelPath, Signature: opts.SignaturePath, Method: m.Serialization.Method, Hash: m.Serialization.HashType,
		Resources: len(m.Resources), Bytes: bar.total(), RootDigest: "sha256:" + hex.EncodeToString(m.RootDigest()),
		Seconds: time.Since(start).Seconds(),
	}
	rep.Files = len(m.Files())
	if pk := b.VerificationMaterial.PublicKey; pk != nil {
		rep.Signer = "key " + pk.Hint
	} else {
		rep.Signer = opts.Chain[0].Subject.String()
	}
	return rep, nil
}

func (r *signReport) writeText(w io.Writer) error {
	rate := ""
	if r.Seconds > 0 {
		rate = fmt.Sprintf(", %s/s", formatBytes(int64(float64(r.Bytes)/r.Seconds)))
	}
	_, err := fmt.Fprintf(w, "signed %s: %s, %s in %.2f s%s\n  signature    %s\n  root digest  %s\n  signer       %s\n",
		r.Model, finding.Plural(r.Files, "file"), formatBytes(r.Bytes), r.Seconds, rate, r.Signature, r.RootDigest, r.Signer)
	return err
}

// verifyReport is the outcome of model verify, as --json prints it.
type verifyReport struct {
	Verified   bool           `json:"verified"`
	Model      string         `json:"model"`
	Signature  string         `json:"signature"`
	Signer     string         `json:"signer"`
	Files      int            `json:"files"`
	RootDigest string         `json:"root_digest,omitempty"`
	Problems   []sign.Problem `json:"problems"`
	Seconds    float64        `json:"seconds"`
}

func (a *app) modelVerifyCommand() *cobra.Command {
	var (
		keyPath, chainPath, sigPath string
		opts                        sign.VerifyOptions
		asJSON                      bool
	)
	cmd := &cobra.Command{
		Use:   "verify MODEL_PATH --key PUB.pem | --certificate-chain CA.pem",
		Short: "Verify a model against its OMS signature",
		Long: `Verify checks the signature bundle against a trusted public key (--key) or
trusted root certificates (--certificate-chain: the chain must reach one of
them and every certificate must be valid now), checks the signed statement
and its root digest, then re-hashes the model the way the signature says
(files or shards, hash, symlinks, ignored paths) and names every file that
changed, is missing, or is not covered by the signature.

Accepts signatures from model_signing 0.2 to 1.1 and other OMS signers: a
float shard_size, sha256-sharded-N algorithm names, publicKey.rawBytes,
empty or null key ids. Exit 0 verified, 1 not verified, 2 unreadable input.`,
		Example: `  poisonguard model verify ./my-model --key release.pub
  poisonguard model verify ./my-model --certificate-chain ca.pem --json
  poisonguard model verify ./my-model --key release.pub --ignore-unsigned-files`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (keyPath == "") == (chainPath == "") {
				return usageError{errors.New("give one of --key PUB.pem and --certificate-chain CA.pem")}
			}
			rep, err := a.verifyModel(cmd.Context(), args[0], keyPath, chainPath, sigPath, opts)
			if err != nil {
				return err
			}
			if asJSON {
				err = finding.WriteJSON(a.stdout, rep)
			} else {
				err = rep.writeText(a.stdout)
			}
			if err == nil && !rep.Verified {
				return errFindings
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyPath, "key", "", "trusted public key, PEM")
	f.StringVar(&chainPath, "certificate-chain", "", "trusted root (and intermediate) certificates, PEM")
	f.StringVar(&sigPath, "signature", "", "the signature to check (default model.sig in the model)")
	f.BoolVar(&opts.IgnoreUnsignedFiles, "ignore-unsigned-files", false, "accept files the signature does not cover")
	f.StringArrayVar(&opts.Ignore, "ignore", nil, "leave out this path, relative to the model root (repeatable)")
	f.IntVar(&opts.Workers, "workers", 0, "parallel hashers (default: one per CPU)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) verifyModel(ctx context.Context, modelPath, keyPath, chainPath, sigPath string, opts sign.VerifyOptions) (*verifyReport, error) {
	if keyPath != "" {
		data, err := readSmall(keyPath)
		if err != nil {
			return nil, err
		}
		if opts.PublicKey, err = sign.ParsePublicKey(data); err != nil {
			return nil, fmt.Errorf("%s: %w", keyPath, err)
		}
	} else {
		data, err := readSmall(chainPath)
		if err != nil {
			return nil, err
		}
		if opts.Roots, err = sign.ParseCertificates(data); err != nil {
			return nil, fmt.Errorf("%s: %w", chainPath, err)
		}
	}
	opts.SignaturePath = signatureFor(modelPath, sigPath)
	bundle, err := sign.ReadBundleFile(opts.SignaturePath)
	if err != nil {
		return nil, err
	}
	bar := a.newProgress("hashing")
	defer bar.done()
	opts.Progress = bar.bytes
	start := time.Now()
	res, err := sign.Verify(ctx, modelPath, bundle, opts)
	if err != nil {
		return nil, fmt.Errorf("verify %s with %s: %w", modelPath, opts.SignaturePath, err)
	}
	rep := &verifyReport{
		Verified: res.Verified(), Model: modelPath, Signature: opts.SignaturePath, Signer: res.Signer,
		Files: res.Files, Problems: res.Problems, Seconds: time.Since(start).Seconds(),
	}
	if rep.Problems == nil {
		rep.Problems = []sign.Problem{}
	}
	if res.Manifest != nil {
		rep.RootDigest = "sha256:" + hex.EncodeToString(res.Manifest.RootDigest())
	}
	return rep, nil
}

func (r *verifyReport) writeText(w io.Writer) error {
	if r.Verified {
		verb := "match"
		if r.Files == 1 {
			verb = "matches"
		}
		_, err := fmt.Fprintf(w, "verified: %s — %s %s the signature\n  signature    %s\n  root digest  %s\n  signer       %s\n",
			r.Model, finding.Plural(r.Files, "file"), verb, r.Signature, r.RootDigest, r.Signer)
		return err
	}
	if _, err := fmt.Fprintf(w, "NOT VERIFIED: %s — %s\n", r.Model, finding.Plural(len(r.Problems), "problem")); err != nil {
		return err
	}
	t := finding.Table{Header: []string{"problem", "file", "detail"}, Text: []int{1, 2}}
	for _, p := range r.Problems {
		t.Rows = append(t.Rows, []string{p.Kind, orDash(p.Path), p.Detail})
	}
	return t.WriteText(w)
}

// readSmall reads a key or certificate file.
func readSmall(path string) ([]byte, error) { return readLimited(path, 1<<20) }

// readLimited reads a whole file that must not exceed limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than the limit of %s", path, formatBytes(limit))
	}
	return data, nil
}

// formatBytes renders a byte count with a binary unit.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i-1])
}
