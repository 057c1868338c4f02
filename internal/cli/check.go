package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/profile"
	"github.com/spf13/cobra"
)

// batchExactValues is the total number of numeric values a checked batch
// keeps exactly (spread over its columns, at least the baseline's exact
// limit per column), so that tests of a batch are exact whenever memory
// allows: 20 million values take 160 MB.
const batchExactValues = 20_000_000

func (a *app) dataCheckCommand() *cobra.Command {
	var (
		in         inputFlags
		baseline   string
		policyPath string
		asJSON     bool
		all        bool
		sarif      string
	)
	cmd := &cobra.Command{
		Use:   "check INPUT --baseline PROFILE.json",
		Short: "Gate a new batch against a baseline profile",
		Long: `Check profiles a new batch and compares it with a baseline profile:
schema (missing, unexpected or retyped columns, NaN and missing rates,
values out of range, unseen categories), drift per column (PSI, KS,
Wasserstein, Jensen–Shannon, chi-square), the label distribution,
duplicated rows, rows that repeat the baseline with another label (a
label-flip signal) and replayed snapshots.

INPUT may also be a profile made by data profile or data merge: a batch
profiled where it lives, or in shards and merged, is checked without
reading its data again (tests are then exact up to that profile's exact
limit, sketched beyond).

Exit 0 on pass or warn, 1 on fail, 2 on errors. Thresholds come from
--policy (YAML or JSON, section "drift"); see docs/policy.md.`,
		Example: `  poisonguard data check batch.csv --baseline baseline.json --label target
  poisonguard data check batch.parquet --baseline baseline.json --label y --json
  poisonguard data check x.npy --labels y.npy --baseline baseline.json --policy policy.yaml
  poisonguard data check batch.csv --baseline baseline.json --sarif data-gate.sarif
  poisonguard data check batch-profile.json --baseline baseline.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if baseline == "" {
				return usageError{errors.New("--baseline PROFILE.json is required")}
			}
			policy, err := loadPolicy(policyPath)
			if err != nil {
				return err
			}
			base, err := readProfile(baseline)
			if err != nil {
				return err
			}
			start := time.Now()
			var batch *profile.Profile
			if isProfile(args[0]) {
				batch, err = readProfile(args[0])
			} else {
				batch, err = a.profileFile(cmd.Context(), args[0], in, profile.Options{
					ExactLimit:  max(base.Settings.ExactLimit, batchExactValues/int64(max(len(base.Columns), 1))),
					KLLK:        base.Settings.KLLK,
					RowCapacity: base.Settings.RowCapacity,
				})
			}
			if err != nil {
				return err
			}
			profiled := time.Since(start)
			res, err := drift.Check(base, batch, policy)
			if err != nil {
				return err
			}
			res.Report.Time("profile_batch", profiled)
			res.Report.Time("compare", time.Since(start)-profiled)
			about := fmt.Sprintf("%s (%d rows) against %s (%d rows)", filepath.Base(args[0]), batch.Rows,
				filepath.Base(baseline), base.Rows)
			if err := a.renderCheck(res, about, asJSON, all); err != nil {
				return err
			}
			if sarif != "" {
				if err := atomicfile.Write(sarif, 0o644, func(w io.Writer) error {
					return res.Report.WriteSARIF(w, version(), args[0])
				}); err != nil {
					return err
				}
			}
			if res.Report.Verdict == finding.Fail {
				return errFindings
			}
			return nil
		},
	}
	in.register(cmd.Flags())
	cmd.Flags().StringVar(&baseline, "baseline", "", "baseline profile (from data profile)")
	cmd.Flags().StringVar(&policyPath, "policy", "", "policy file overriding default thresholds (YAML or JSON)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&all, "all", false, "also list informational findings and every column's statistics")
	cmd.Flags().StringVar(&sarif, "sarif", "", "also write the findings as a SARIF 2.1.0 log for CI code scanning")
	return cmd
}

// isProfile reports whether path holds a poisonguard profile rather than
// data: its JSON opens with the profile format's name.
func isProfile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`"format": "`+profile.FormatName+`"`))
}

// checkJSON is the --json document of data check.
type checkJSON struct {
	*finding.Report
	Columns []drift.ColumnResult `json:"columns"`
	Label   *drift.LabelResult   `json:"label"`
}

func (a *app) renderCheck(res *drift.Result, about string, asJSON, all bool) error {
	if asJSON {
		return finding.WriteJSON(a.stdout, checkJSON{Report: &res.Report, Columns: res.Columns, Label: res.Label})
	}
	min := finding.Warn
	if all {
		min = finding.Info
	}
	var buf bytes.Buffer
	if err := res.Report.WriteText(&buf, about, min); err != nil {
		return err
	}
	if all {
		buf.WriteString("\n")
		writeColumnStats(&buf, res.Columns)
	}
	buf.WriteString("\n")
	if err := res.Report.WriteSummary(&buf); err != nil {
		return err
	}
	_, err := a.stdout.Write(buf.Bytes())
	return err
}

func writeColumnStats(w io.Writer, cols []drift.ColumnResult) {
	tw := newTable(w)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tPSI\tKS D\tKS P\tW/STD\tJS\tCHI2 P\tEXACT\tDRIFTED")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%v\n", c.Name, c.Type, num(c.PSI), num(c.KSStatistic),
			num(c.KSPValue), num(c.WassersteinNorm), num(c.JSDistance), num(c.Chi2PValue), c.Exact, c.Drifted)
	}
	tw.Flush()
}

// loadPolicy reads the drift section of a policy file.
func loadPolicy(path string) (drift.Policy, error) {
	pf, err := loadPolicyFile(path)
	return pf.Drift, err
}
