package cli

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/registry"
	"github.com/poisonguard/poisonguard/sign"
	"github.com/poisonguard/poisonguard/store"
)

// registryFlags are the flags every registry command shares.
type registryFlags struct {
	storeFlags
	blobs string
	who   string
}

func (a *app) registryCommand() *cobra.Command {
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Signed, immutable model versions, stages, deploy checks and audits",
		Long: `The registry accepts only models whose OMS signature verifies against a
trusted key, numbers their versions once and for all, stores their files
content-addressed, and records every push, promotion and rollback in the
ledger (run "poisonguard ledger init" first).`,
		Example: `  poisonguard registry push fraud ./model --key release.pub
  poisonguard registry promote fraud 3 --stage production
  poisonguard registry verify-deploy /models/fraud --name fraud --stage production
  poisonguard registry audit --deployed deployed.json`,
	}
	rf.register(cmd)
	cmd.PersistentFlags().StringVar(&rf.blobs, "blobs", "", "content-addressed blob directory (default: blobs in the data directory)")
	cmd.PersistentFlags().StringVar(&rf.who, "who", "", "who acts, recorded in the ledger (default: the OS user)")
	cmd.AddCommand(a.registryPushCommand(&rf), a.registryListCommand(&rf), a.registryShowCommand(&rf),
		a.registryPromoteCommand(&rf), a.registryRollbackCommand(&rf), a.registryVerifyDeployCommand(&rf),
		a.registryAuditCommand(&rf))
	return cmd
}

// withRegistry runs fn with the registry open (store, ledger, blobs), and
// closes the store.
func (rf *registryFlags) withRegistry(ctx context.Context, fn func(*registry.Registry) error) error {
	db, reg, err := rf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(reg)
}

// open opens the store, ledger, blobs and registry.
func (rf *registryFlags) open(ctx context.Context) (*store.DB, *registry.Registry, error) {
	db, l, err := rf.openLedger(ctx)
	if err != nil {
		return nil, nil, err
	}
	if rf.blobs == "" {
		rf.blobs = filepath.Join(rf.dataDir, "blobs")
	}
	blobs, err := store.NewBlobs(rf.blobs)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	reg, err := registry.Open(ctx, db, l, blobs, registry.Options{})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if rf.who == "" {
		rf.who = "unknown"
		if u, err := user.Current(); err == nil {
			rf.who = u.Username
		}
	}
	return db, reg, nil
}

// readPublicKey reads a PEM public key file.
func readPublicKey(path string) (*ecdsa.PublicKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	k, err := sign.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func (a *app) registryPushCommand(rf *registryFlags) *cobra.Command {
	var keyPath, sigPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "push NAME MODEL_DIR --key PUB.pem",
		Short: "Register a signed model as the next version of NAME",
		Long: `Push verifies MODEL_DIR against its OMS signature (model.sig, or
--signature) with the trusted key; only a model that verifies is accepted.
Its version number is assigned and never reused, its files and signature
are stored content-addressed, and a model record goes to the ledger.`,
		Example: "  poisonguard registry push fraud ./model --key release.pub",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return usageError{errors.New("give --key PUB.pem, the key the model must be signed with")}
			}
			pub, err := readPublicKey(keyPath)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				bar := a.newProgress("verifying")
				v, err := reg.Push(ctx, args[0], args[1], registry.PushOptions{Key: pub, SignaturePath: sigPath, Who: rf.who, Progress: bar.bytes})
				bar.done()
				var verr *registry.VerificationError
				if errors.As(err, &verr) {
					fmt.Fprintf(a.stdout, "REFUSED: %s is not pushed: %v\n", args[1], err)
					return errFindings
				}
				if err != nil {
					return err
				}
				if asJSON {
					return finding.WriteJSON(a.stdout, v)
				}
				_, err = fmt.Fprintf(a.stdout, "pushed %s@%d: %s, digest %s, ledger entry %d\n", v.Name, v.Version, finding.Plural(len(v.Files), "file"), v.RootDigest, v.LedgerIndex)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "the trusted public key, PEM")
	cmd.Flags().StringVar(&sigPath, "signature", "", "the model's signature (default model.sig in MODEL_DIR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}

func (a *app) registryListCommand(rf *registryFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List models, their latest version and what each stage runs",
		Example: "  poisonguard registry list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				list, err := reg.List(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					if list == nil {
						list = []registry.Summary{}
					}
					return finding.WriteJSON(a.stdout, list)
				}
				t := finding.Table{Header: []string{"model", "latest", "staging", "production", "pushed"}, Text: []int{4}}
				for _, s := range list {
					t.Rows = append(t.Rows, []string{s.Name, strconv.FormatInt(s.Latest, 10), versionOrDash(s.Stages["staging"]), versionOrDash(s.Stages["production"]), s.PushedAt})
				}
				return t.WriteText(a.stdout)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func versionOrDash(v int64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

// parseRef splits NAME[@VERSION]; version 0 means the latest.
func parseRef(ref string) (string, int64, error) {
	name, ver, found := strings.Cut(ref, "@")
	if !found {
		return name, 0, nil
	}
	v, err := strconv.ParseInt(ver, 10, 64)
	if err != nil || v < 1 {
		return "", 0, usageError{fmt.Errorf("version %q: want a positive number", ver)}
	}
	return name, v, nil
}

func (a *app) registryShowCommand(rf *registryFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show NAME[@VERSION]",
		Short:   "Show a version: digest, signer, files, and the model's stage history",
		Example: "  poisonguard registry show fraud@3",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := parseRef(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				v, err := reg.Get(ctx, name, version)
				if err != nil {
					return err
				}
				hist, err := reg.History(ctx, name)
				if err != nil {
					return err
				}
				if asJSON {
					return finding.WriteJSON(a.stdout, map[string]any{"version": v, "history": hist})
				}
				fmt.Fprintf(a.stdout, "%s@%d\n  digest        %s\n  signature     %s\n  signer        %s\n  pushed        %s by %s\n  ledger entry  %d\n\n",
					v.Name, v.Version, v.RootDigest, v.BundleDigest, v.Signer, v.PushedAt, v.PushedBy, v.LedgerIndex)
				files := finding.Table{Header: []string{"file", "size", "blob"}, Text: []int{2}}
				for _, f := range v.Files {
					files.Rows = append(files.Rows, []string{f.Path, formatBytes(f.Size), f.Blob[:16]})
				}
				if err := files.WriteText(a.stdout); err != nil {
					return err
				}
				if len(hist) == 0 {
					return nil
				}
				fmt.Fprintln(a.stdout)
				h := finding.Table{Header: []string{"time", "stage", "action", "version", "who", "ledger"}, Text: []int{1, 2, 4}}
				for _, e := range hist {
					h.Rows = append(h.Rows, []string{e.At, e.Stage, e.Action, strconv.FormatInt(e.Version, 10), e.Who, strconv.FormatInt(e.LedgerIndex, 10)})
				}
				return h.WriteText(a.stdout)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func (a *app) registryPromoteCommand(rf *registryFlags) *cobra.Command {
	var stage string
	cmd := &cobra.Command{
		Use:     "promote NAME VERSION --stage staging|production",
		Short:   "Make a version the one a stage runs (recorded in the ledger)",
		Example: "  poisonguard registry promote fraud 3 --stage production",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || version < 1 {
				return usageError{fmt.Errorf("version %q: want a positive number", args[1])}
			}
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				ev, err := reg.Promote(ctx, args[0], version, stage, rf.who)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s@%d promoted to %s by %s (ledger entry %d)\n", ev.Name, ev.Version, ev.Stage, ev.Who, ev.LedgerIndex)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "staging or production")
	return cmd
}

func (a *app) registryRollbackCommand(rf *registryFlags) *cobra.Command {
	var stage string
	cmd := &cobra.Command{
		Use:     "rollback NAME --stage production",
		Short:   "Return a stage to the version it ran before (recorded in the ledger)",
		Example: "  poisonguard registry rollback fraud --stage production",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				ev, err := reg.Rollback(ctx, args[0], stage, rf.who)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s in %s rolled back to version %d by %s (ledger entry %d)\n", ev.Name, ev.Stage, ev.Version, ev.Who, ev.LedgerIndex)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "production", "staging or production")
	return cmd
}

func (a *app) registryVerifyDeployCommand(rf *registryFlags) *cobra.Command {
	var check registry.DeployCheck
	var keyPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify-deploy MODEL_DIR --name NAME --stage production",
		Short: "The deploy-time check: signed, the stage's current version, in the ledger",
		Long: `Verify-deploy is what an init container or admission hook runs before a
model is served. It passes only when the model's OMS signature verifies
(with the key its version was pushed with, or --key), its digest is the
version currently promoted to the stage, and that version's ledger record
has an inclusion proof that verifies against the ledger's signed
checkpoint. Exit 0 pass, 1 with the reasons, 2 when it cannot check.`,
		Example: "  poisonguard registry verify-deploy /models/fraud --name fraud --stage production --store postgres://registry@db/ml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if check.Name == "" {
				return usageError{errors.New("give --name NAME")}
			}
			if keyPath != "" {
				pub, err := readPublicKey(keyPath)
				if err != nil {
					return err
				}
				check.Key = pub
			}
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				bar := a.newProgress("verifying")
				check.Progress = bar.bytes
				res, err := reg.VerifyDeploy(ctx, args[0], check)
				bar.done()
				if err != nil {
					return err
				}
				if asJSON {
					err = finding.WriteJSON(a.stdout, res)
				} else if res.OK {
					_, err = fmt.Fprintf(a.stdout, "pass: %s is %s@%d, current in %s, signed, and in the ledger (entry %d, tree of %d)\n",
						args[0], res.Name, res.Version, res.Stage, res.LedgerIndex, res.TreeSize)
				} else {
					_, err = fmt.Fprintf(a.stdout, "FAIL: %s must not be deployed to %s: %s\n", args[0], res.Stage, strings.Join(res.Reasons, "; "))
				}
				if err == nil && !res.OK {
					return errFindings
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&check.Name, "name", "", "the model's registry name")
	cmd.Flags().StringVar(&check.Stage, "stage", "production", "the stage being deployed to")
	cmd.Flags().StringVar(&check.SignaturePath, "signature", "", "the model's signature (default model.sig in MODEL_DIR)")
	cmd.Flags().StringVar(&keyPath, "key", "", "verify with this key instead of the one the version was pushed with")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) registryAuditCommand(rf *registryFlags) *cobra.Command {
	var deployedPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit --deployed DEPLOYED.json",
		Short: "Compare what runs in each environment with the registry",
		Long: `Audit reads what runs where — a JSON list of {"model", "environment",
"digest"} — and reports every deployment whose digest is unknown, belongs
to another model, is another stage's version, is older than the version
promoted to its environment, or was not promoted there: the
artifact-version-mismatch SLI. Exit 1 on any mismatch.`,
		Example: `  kubectl get pods -o json | jq '[.items[] | {model: .metadata.labels.model, environment: "production", digest: .metadata.annotations["model-digest"]}]' > deployed.json
  poisonguard registry audit --deployed deployed.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if deployedPath == "" {
				return usageError{errors.New("give --deployed DEPLOYED.json")}
			}
			data, err := readLimited(deployedPath, 64<<20)
			if err != nil {
				return err
			}
			deployed, err := registry.ParseDeployments(data)
			if err != nil {
				return fmt.Errorf("%s: %w", deployedPath, err)
			}
			ctx := cmd.Context()
			return rf.withRegistry(ctx, func(reg *registry.Registry) error {
				mismatches, err := reg.Audit(ctx, deployed)
				if err != nil {
					return err
				}
				if asJSON {
					if mismatches == nil {
						mismatches = []registry.Mismatch{}
					}
					err = finding.WriteJSON(a.stdout, map[string]any{"deployments": len(deployed), "mismatches": mismatches})
				} else {
					err = writeAudit(a.stdout, len(deployed), mismatches)
				}
				if err == nil && len(mismatches) > 0 {
					return errFindings
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&deployedPath, "deployed", "", "what runs where: [{model, environment, digest}]")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// writeAudit prints the verdict line and a table of the mismatches.
func writeAudit(w io.Writer, total int, ms []registry.Mismatch) error {
	if len(ms) == 0 {
		_, err := fmt.Fprintf(w, "pass: %s match the registry\n", finding.Plural(total, "deployment"))
		return err
	}
	if _, err := fmt.Fprintf(w, "FAIL: %d of %s do not match the registry\n\n", len(ms), finding.Plural(total, "deployment")); err != nil {
		return err
	}
	t := finding.Table{Header: []string{"model", "environment", "mismatch", "running", "expected", "detail"}, Text: []int{1, 2, 5}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{m.Model, m.Environment, m.Kind, versionOrDash(m.Deployed), versionOrDash(m.Expected), m.Message})
	}
	return t.WriteText(w)
}
