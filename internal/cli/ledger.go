package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/ledger"
)

func (a *app) ledgerCommand() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Tamper-evident provenance log of datasets, runs, models and deploys",
		Long: `The ledger is an append-only Merkle tree (RFC 6962) of typed records:
dataset snapshots, training runs (SLSA Provenance v1 statements), model
signatures, deploys and incidents. Checkpoints are signed C2SP
tlog-checkpoint notes (Ed25519); an inclusion proof plus a checkpoint
verify offline, with no database. Kinds: ` + fmt.Sprint(ledger.Kinds()) + `.`,
		Example: `  poisonguard ledger init --origin example.com/ml-ledger
  poisonguard ledger append --kind dataset snapshot.json
  poisonguard ledger prove --index 0 -o proof.json
  poisonguard ledger checkpoint -o checkpoint.txt
  poisonguard ledger verify-proof proof.json --checkpoint checkpoint.txt --public-key ledger.pub
  poisonguard ledger verify`,
	}
	sf.register(cmd)
	cmd.AddCommand(a.ledgerInitCommand(&sf), a.ledgerAppendCommand(&sf), a.ledgerCheckpointCommand(&sf),
		a.ledgerProveCommand(&sf), a.ledgerVerifyProofCommand(&sf), a.ledgerConsistencyCommand(&sf),
		a.ledgerVerifyCommand(&sf), a.ledgerLogCommand(&sf))
	return cmd
}

func (a *app) ledgerInitCommand(sf *storeFlags) *cobra.Command {
	var origin string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the ledger and its signing key",
		Long: `Init creates the ledger's tables in the store and an Ed25519 note key
named after --origin (a schema-less URL). The private key goes to
--log-key (mode 0600), the public verifier key beside it as ledger.pub:
give that to whoever verifies proofs and checkpoints.`,
		Example: `  poisonguard ledger init --origin example.com/ml-ledger
  poisonguard ledger init --store postgres://ledger@db/ml --log-key /secrets/ledger.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := os.Stat(sf.logKey); err == nil {
				return usageError{fmt.Errorf("%s exists: this ledger has a key already", sf.logKey)}
			}
			skey, vkey, err := ledger.Init(ctx, db, origin, rand.Reader)
			if err != nil {
				return err
			}
			pubPath := filepath.Join(filepath.Dir(sf.logKey), "ledger.pub")
			if err := os.MkdirAll(filepath.Dir(sf.logKey), 0o700); err != nil {
				return err
			}
			if err := atomicfile.Write(sf.logKey, 0o600, writeBytes([]byte(skey+"\n"))); err != nil {
				return err
			}
			if err := atomicfile.Write(pubPath, 0o644, writeBytes([]byte(vkey+"\n"))); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "ledger %s created in %s\n  signer key    %s (keep secret)\n  verifier key  %s\n                %s\n", origin, db, sf.logKey, pubPath, vkey)
			return err
		},
	}
	cmd.Flags().StringVar(&origin, "origin", "poisonguard.local/ledger", "the log's name: the first line of its checkpoints and its key's name")
	return cmd
}

func (a *app) ledgerAppendCommand(sf *storeFlags) *cobra.Command {
	var kind string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "append --kind KIND FILE",
		Short: "Validate a JSON record and append it (FILE - reads stdin)",
		Long: `Append validates the record against its kind, appends it in one
transaction and signs a new checkpoint when the signer key is at hand.

Kinds and their required fields:
  dataset       name, source, profile_digest (sha256:HEX), files [{name, digest}]
  training-run  an in-toto Statement v1 with an SLSA Provenance v1 predicate:
                subjects (outputs with digests), buildDefinition.buildType,
                externalParameters, resolvedDependencies (inputs with digests),
                runDetails.builder.id, metadata.startedOn and finishedOn
  model         name, bundle_digest, subject_digest (sha256:HEX)
  deploy        model, version, environment, time (RFC 3339), who
  incident      title, severity (low|medium|high|critical), time`,
		Example: `  poisonguard ledger append --kind training-run provenance.json
  echo '{"title":"trigger found in batch 12","severity":"high","time":"2026-11-26T09:00:00Z"}' | poisonguard ledger append --kind incident -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if kind == "" {
				return usageError{errors.New("give --kind")}
			}
			body, err := readRecord(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				es, err := l.Append(ctx, ledger.Record{Kind: kind, Body: body})
				if err != nil {
					return err
				}
				e := es[0]
				leaf, err := e.Leaf()
				if err != nil {
					return err
				}
				cp, err := l.Checkpoint(ctx)
				if err != nil && !errors.Is(err, ledger.ErrNoSigner) {
					return err
				}
				h := ledger.LeafHash(leaf)
				out := map[string]any{"index": e.Index, "kind": e.Kind, "time": e.Time, "leaf_hash": hex.EncodeToString(h[:])}
				if cp != nil {
					out["checkpoint_size"] = cp.Size
				}
				if asJSON {
					return finding.WriteJSON(a.stdout, out)
				}
				_, err = fmt.Fprintf(a.stdout, "appended %s record as entry %d (leaf %x)\n", e.Kind, e.Index, h[:8])
				return err
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "record kind: dataset, training-run, model, deploy or incident")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// readRecord reads a record file (or stdin for "-") within the entry limit.
func readRecord(path string) ([]byte, error) {
	if path != "-" {
		return readLimited(path, ledger.MaxEntry)
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, ledger.MaxEntry+1))
	if err != nil {
		return nil, err
	}
	if len(b) > ledger.MaxEntry {
		return nil, fmt.Errorf("stdin: more than %d bytes", ledger.MaxEntry)
	}
	return b, nil
}

func (a *app) ledgerCheckpointCommand(sf *storeFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "checkpoint [-o FILE]",
		Short:   "Sign and print the log's current size and root (C2SP tlog-checkpoint)",
		Example: "  poisonguard ledger checkpoint -o checkpoint.txt",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				cp, err := l.Checkpoint(ctx)
				if err != nil {
					return err
				}
				return writeOut(a.stdout, out, cp.Note)
			})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the checkpoint here instead of stdout")
	return cmd
}

// writeOut writes data atomically to path, or to w when path is "".
func writeOut(w io.Writer, path string, data []byte) error {
	if path == "" {
		_, err := w.Write(data)
		return err
	}
	return atomicfile.Write(path, 0o644, writeBytes(data))
}

func (a *app) ledgerProveCommand(sf *storeFlags) *cobra.Command {
	var index int64
	var checkpoint, out string
	cmd := &cobra.Command{
		Use:   "prove --index N [-o PROOF.json]",
		Short: "Write the inclusion proof of an entry, verifiable offline",
		Long: `Prove writes a JSON proof holding the entry's exact bytes, its audit path
and the signed checkpoint of the latest tree (or of the tree --checkpoint
signs), which verify-proof checks with no database.`,
		Example: "  poisonguard ledger prove --index 42 -o proof.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if index < 0 {
				return usageError{errors.New("give --index N")}
			}
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				var size int64
				if checkpoint != "" {
					b, err := readLimited(checkpoint, 1<<16)
					if err != nil {
						return err
					}
					vkey, err := l.VerifierKey(ctx)
					if err != nil {
						return err
					}
					cp, err := ledger.ParseCheckpoint(b, vkey)
					if err != nil {
						return fmt.Errorf("%s: %w", checkpoint, err)
					}
					size = cp.Size
				}
				p, err := l.Prove(ctx, index, size)
				if err != nil {
					return err
				}
				data, err := json.MarshalIndent(p, "", "  ")
				if err != nil {
					return err
				}
				return writeOut(a.stdout, out, append(data, '\n'))
			})
		},
	}
	cmd.Flags().Int64Var(&index, "index", -1, "the entry's index")
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "prove against the tree this checkpoint signs (default: the latest)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the proof here instead of stdout")
	return cmd
}

func (a *app) ledgerVerifyProofCommand(sf *storeFlags) *cobra.Command {
	var checkpoint, pub string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify-proof PROOF.json --checkpoint FILE --public-key ledger.pub",
		Short: "Check an inclusion proof offline against a trusted checkpoint",
		Long: `Verify-proof needs no database: it checks the checkpoint's signature with
the log's public key, then the proof's audit path from the entry's bytes
to the checkpoint's root. Exit 0 included, 1 not, 2 unreadable input.`,
		Example: "  poisonguard ledger verify-proof proof.json --checkpoint checkpoint.txt --public-key ledger.pub",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if checkpoint == "" {
				return usageError{errors.New("give --checkpoint FILE (a checkpoint you trust)")}
			}
			if pub == "" {
				if err := sf.resolve(); err != nil {
					return err
				}
				pub = filepath.Join(filepath.Dir(sf.logKey), "ledger.pub")
			}
			vkey, err := readLimited(pub, 1<<12)
			if err != nil {
				return err
			}
			cpData, err := readLimited(checkpoint, 1<<16)
			if err != nil {
				return err
			}
			proofData, err := readLimited(args[0], 4<<20)
			if err != nil {
				return err
			}
			cp, err := ledger.ParseCheckpoint(cpData, string(vkey))
			if err != nil {
				return fmt.Errorf("%s: %w", checkpoint, err)
			}
			p, err := ledger.ParseInclusionProof(proofData)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			verr := ledger.VerifyInclusion(p, cp)
			e, _ := p.Entry()
			if asJSON {
				out := map[string]any{"included": verr == nil, "index": p.Index, "tree_size": cp.Size, "kind": e.Kind, "entry": e}
				if verr != nil {
					out["reason"] = verr.Error()
				}
				if err := finding.WriteJSON(a.stdout, out); err != nil {
					return err
				}
			} else if verr == nil {
				fmt.Fprintf(a.stdout, "included: entry %d (%s, %s) is in the tree of %d entries that %s signed\n", p.Index, e.Kind, e.Time, cp.Size, cp.Origin)
			} else {
				fmt.Fprintf(a.stdout, "NOT INCLUDED: %v\n", verr)
			}
			if verr != nil {
				return errFindings
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "a signed checkpoint you trust")
	cmd.Flags().StringVar(&pub, "public-key", "", "the log's verifier key (default: ledger.pub beside the signer key)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) ledgerConsistencyCommand(sf *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "consistency OLD_CHECKPOINT",
		Short: "Prove that the log today extends an older checkpoint",
		Long: `Consistency checks an older checkpoint's signature, then proves and checks
that its tree is a prefix of the latest signed tree: nothing the log
signed before was changed or dropped since. Exit 1 when it is not.`,
		Example: "  poisonguard ledger consistency last-week.txt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				b, err := readLimited(args[0], 1<<16)
				if err != nil {
					return err
				}
				vkey, err := l.VerifierKey(ctx)
				if err != nil {
					return err
				}
				old, err := ledger.ParseCheckpoint(b, vkey)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				latest, err := l.LatestCheckpoint(ctx)
				if err != nil {
					return err
				}
				if old.Size > latest.Size {
					fmt.Fprintf(a.stdout, "NOT CONSISTENT: the old checkpoint signs %d entries, the log's latest only %d\n", old.Size, latest.Size)
					return errFindings
				}
				p, err := l.ProveConsistency(ctx, old.Size, latest.Size)
				if err != nil {
					return err
				}
				if err := ledger.VerifyConsistency(p, old, latest); err != nil {
					fmt.Fprintf(a.stdout, "NOT CONSISTENT: %v\n", err)
					return errFindings
				}
				_, err = fmt.Fprintf(a.stdout, "consistent: the tree of %d entries extends the checkpoint of %d (%s)\n", latest.Size, old.Size, finding.Plural(len(p.Hashes), "proof hash"))
				return err
			})
		},
	}
}

func (a *app) ledgerVerifyCommand(sf *storeFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the whole tree and check it against every signed checkpoint",
		Long: `Verify reads every stored entry, recomputes the Merkle tree and compares it
with the stored hashes and with every checkpoint the log signed. It names
the first entry that was changed, dropped, reordered or inserted. Exit 0
verified, 1 tampered.`,
		Example: "  poisonguard ledger verify --store postgres://ledger@db/ml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				res, err := l.Audit(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					if err := finding.WriteJSON(a.stdout, res); err != nil {
						return err
					}
				} else if res.OK() {
					fmt.Fprintf(a.stdout, "verified: %s, %s signed by %s\n", finding.Plural(int(res.Entries), "entry"), finding.Plural(res.Checkpoints, "checkpoint"), l.Origin())
				} else {
					fmt.Fprintf(a.stdout, "TAMPERED: first bad index %d: %s\n", res.FirstBad, res.Problem)
				}
				if !res.OK() {
					return errFindings
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) ledgerLogCommand(sf *storeFlags) *cobra.Command {
	var from, limit int64
	var kind string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "log",
		Short:   "List entries",
		Example: "  poisonguard ledger log --kind deploy --limit 20",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return sf.withLedger(ctx, func(l *ledger.Log) error {
				var entries []ledger.Entry
				err := l.Entries(ctx, from, 1<<62, func(e ledger.Entry) error {
					if kind == "" || e.Kind == kind {
						entries = append(entries, e)
					}
					if limit > 0 && int64(len(entries)) >= limit {
						return errStop
					}
					return nil
				})
				if err != nil && !errors.Is(err, errStop) {
					return err
				}
				if asJSON {
					if entries == nil {
						entries = []ledger.Entry{}
					}
					return finding.WriteJSON(a.stdout, entries)
				}
				t := finding.Table{Header: []string{"index", "time", "kind", "record"}, Text: []int{1, 2, 3}}
				for _, e := range entries {
					t.Rows = append(t.Rows, []string{strconv.FormatInt(e.Index, 10), e.Time, e.Kind, summarise(e.Body, 80)})
				}
				return t.WriteText(a.stdout)
			})
		},
	}
	cmd.Flags().Int64Var(&from, "from", 0, "first index")
	cmd.Flags().Int64Var(&limit, "limit", 0, "at most this many entries (0: all)")
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print entries as JSON")
	return cmd
}

var errStop = errors.New("stop")

// summarise shortens a JSON body to at most n characters.
func summarise(body []byte, n int) string {
	r := []rune(string(body))
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
