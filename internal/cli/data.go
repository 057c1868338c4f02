package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/profile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func (a *app) dataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Profile datasets, gate new batches against a baseline, scan for poisoned rows",
		Long: `The data gate: profile a trusted dataset once, then check every new batch
of training data against that profile for schema breaks, drift, label
shifts, duplicated or conflicting rows and replays.

Inputs are CSV (with a header), Parquet, NumPy .npy (2-D features; labels
as a 1-D .npy with --labels), MNIST IDX (raw or gz) and JSONL; the format
is told from the file's first bytes or its extension.`,
		Example: `  poisonguard data profile train.csv --label target -o baseline.json
  poisonguard data check batch.csv --baseline baseline.json --label target
  poisonguard data merge shard-0.json shard-1.json -o baseline.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.dataProfileCommand(), a.dataMergeCommand(), a.dataCheckCommand(), a.dataScanCommand())
	return cmd
}

// inputFlags are the flags every command that reads a dataset shares.
type inputFlags struct {
	label, labels, id, format string
}

func (f *inputFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.label, "label", "", "column that holds the label")
	fs.StringVar(&f.labels, "labels", "", "separate labels file (1-D .npy, IDX labels, or one label a line)")
	fs.StringVar(&f.id, "id", "", "column that holds the row id (default: the row number)")
	fs.StringVar(&f.format, "format", "", "input format: csv, parquet, npy, idx or jsonl (default: detect)")
}

func (f *inputFlags) options() dataset.Options {
	return dataset.Options{Label: f.label, LabelsFile: f.labels, ID: f.id, Format: dataset.Format(f.format)}
}

// profileFile profiles one input file.
func (a *app) profileFile(ctx context.Context, path string, in inputFlags, opts profile.Options) (*profile.Profile, error) {
	src, err := dataset.Open(path, in.options())
	if err != nil {
		return nil, err
	}
	defer src.Close()
	opts.LabelColumn = in.label
	prog := a.newProgress("profiling " + filepath.Base(path))
	defer prog.done()
	opts.Progress = prog.rows
	start := time.Now()
	p, err := profile.FromSource(ctx, src, opts, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	sketched := 0
	for _, c := range p.Columns {
		if c.Sketch != nil {
			sketched++
		}
	}
	a.logger.Info("profiled", "file", path, "rows", p.Rows, "columns", len(p.Columns),
		"sketched_columns", sketched, "seconds", time.Since(start).Seconds())
	return p, nil
}

func (a *app) dataProfileCommand() *cobra.Command {
	var (
		in         inputFlags
		out        string
		exactLimit int64
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "profile INPUT... -o PROFILE.json",
		Short: "Profile a dataset in one pass into a mergeable JSON profile",
		Long: `Profile reads each input once and writes a versioned JSON profile: per
column counts, missing, NaN and Inf, moments, quantiles (exact up to
--exact-limit values, else a KLL sketch), categorical frequencies and a
distinct-count estimate; the label distribution and its entropy; a
content fingerprint; and a bounded set of row hashes for duplicate and
label-conflict checks. Several inputs are profiled and merged into one
profile. The format is documented in docs/profile-format.md.

A numeric column with at most 4096 distinct values stays exact at any
size. A .npy, Parquet or IDX file that declares more rows than
--exact-limit has its other columns sketched from the start.`,
		Example: `  poisonguard data profile train.csv --label target -o baseline.json
  poisonguard data profile features.npy --labels labels.npy -o baseline.json
  poisonguard data profile shard-*.parquet --label y -o baseline.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("-o PROFILE.json is required")}
			}
			if len(args) > 1 && in.labels != "" {
				return usageError{errors.New("--labels pairs one labels file with one input; profile each input separately and merge")}
			}
			start := time.Now()
			opts := profile.Options{ExactLimit: exactLimit}
			var parts []*profile.Profile
			for _, path := range args {
				p, err := a.profileFile(cmd.Context(), path, in, opts)
				if err != nil {
					return err
				}
				parts = append(parts, p)
			}
			p := parts[0]
			if len(parts) > 1 {
				var err error
				if p, err = profile.Merge(parts...); err != nil {
					return err
				}
			}
			if err := writeProfile(out, p); err != nil {
				return err
			}
			if asJSON {
				return finding.WriteJSON(a.stdout, profileSummary(p, out, time.Since(start)))
			}
			return writeProfileTable(a.stdout, p, out, time.Since(start))
		},
	}
	in.register(cmd.Flags())
	cmd.Flags().StringVarP(&out, "output", "o", "", "profile to write")
	cmd.Flags().Int64Var(&exactLimit, "exact-limit", profile.DefaultExactLimit,
		"numeric values per column kept exactly for exact tests (beyond: sketch)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary instead of a table")
	return cmd
}

func (a *app) dataMergeCommand() *cobra.Command {
	var (
		out    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "merge A.json B.json... -o C.json",
		Short: "Merge profiles of shards into the profile of the whole",
		Long: `Merge combines profiles of disjoint shards: counts, means, variances,
label counts and fingerprints exactly; quantiles within the sketch's
stated rank error; distinct counts within the HyperLogLog's error.`,
		Example: `  poisonguard data merge part-0.json part-1.json part-2.json -o whole.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("-o C.json is required")}
			}
			start := time.Now()
			var parts []*profile.Profile
			for _, path := range args {
				p, err := readProfile(path)
				if err != nil {
					return err
				}
				parts = append(parts, p)
			}
			p, err := profile.Merge(parts...)
			if err != nil {
				return err
			}
			if err := writeProfile(out, p); err != nil {
				return err
			}
			if asJSON {
				return finding.WriteJSON(a.stdout, profileSummary(p, out, time.Since(start)))
			}
			return writeProfileTable(a.stdout, p, out, time.Since(start))
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "merged profile to write")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary instead of a table")
	return cmd
}

func readProfile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Read(f)
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	return p, nil
}

func writeProfile(path string, p *profile.Profile) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return profile.Write(w, p) })
}

// summaryJSON is what --json prints after profile and merge.
type summaryJSON struct {
	Output      string          `json:"output"`
	Rows        int64           `json:"rows"`
	Columns     int             `json:"columns"`
	Fingerprint string          `json:"fingerprint"`
	Label       *profile.Labels `json:"label"`
	Duplicates  float64         `json:"duplicate_rows"`
	Seconds     float64         `json:"seconds"`
	ColumnStats []columnSummary `json:"column_stats"`
}

type columnSummary struct {
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Missing  int64          `json:"missing"`
	Mean     finding.Number `json:"mean"`
	Std      finding.Number `json:"std"`
	Min      finding.Number `json:"min"`
	Median   finding.Number `json:"median"`
	Max      finding.Number `json:"max"`
	Top      string         `json:"top,omitempty"`
	Distinct float64        `json:"distinct,omitempty"`
}

func profileSummary(p *profile.Profile, out string, took time.Duration) summaryJSON {
	dup, _ := p.RowHashes.Duplicates()
	s := summaryJSON{Output: out, Rows: p.Rows, Columns: len(p.Columns), Fingerprint: p.Fingerprint.String(),
		Label: p.Label, Duplicates: dup, Seconds: took.Seconds()}
	for _, c := range p.Columns {
		s.ColumnStats = append(s.ColumnStats, summarizeColumn(c))
	}
	return s
}

func summarizeColumn(c *profile.Column) columnSummary {
	cs := columnSummary{Name: c.Name, Type: c.Kind.String(), Missing: c.Missing}
	nan := finding.Number(math.NaN())
	cs.Mean, cs.Std, cs.Min, cs.Median, cs.Max = nan, nan, nan, nan, nan
	if m := c.Moments; m != nil && m.N > 0 {
		cs.Mean, cs.Std = finding.Number(m.Mean), finding.Number(m.Std())
		cs.Min, cs.Max = finding.Number(m.Min), finding.Number(m.Max)
		cs.Median = finding.Number(c.Quantile(0.5))
	}
	if c.Categories != nil {
		if top := c.Categories.Top(1); len(top) > 0 {
			cs.Top = top[0].Value
		}
		cs.Distinct = c.Cardinality
	}
	return cs
}

// maxTableColumns is how many columns the profile table lists before it
// summarises the rest in one line.
const maxTableColumns = 40

func writeProfileTable(w io.Writer, p *profile.Profile, out string, took time.Duration) error {
	dup, _ := p.RowHashes.Duplicates()
	fmt.Fprintf(w, "profiled %d rows × %d columns in %.2f s → %s\n", p.Rows, len(p.Columns), took.Seconds(), out)
	fmt.Fprintf(w, "fingerprint %s, %s duplicate rows\n", p.Fingerprint, finding.FormatNumber(dup))
	if p.Label != nil {
		fmt.Fprintf(w, "label: %d classes, entropy %.3f bits, %d missing\n", len(p.Label.Classes), p.Label.EntropyBits, p.Label.Missing)
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tMISSING\tMEAN\tSTD\tMIN\tMEDIAN\tMAX\tTOP\tDISTINCT")
	for i, c := range p.Columns {
		if i == maxTableColumns {
			break
		}
		s := summarizeColumn(c)
		distinct := ""
		if c.Categories != nil {
			distinct = finding.FormatNumber(float64(int64(s.Distinct + 0.5)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Type, s.Missing,
			num(s.Mean), num(s.Std), num(s.Min), num(s.Median), num(s.Max), orDash(s.Top), orDash(distinct))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more := len(p.Columns) - maxTableColumns; more > 0 {
		_, err := fmt.Fprintf(w, "… and %d more columns (see the profile, or --json)\n", more)
		return err
	}
	return nil
}

func num(n finding.Number) string { return finding.FormatNumber(float64(n)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }
