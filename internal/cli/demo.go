package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/poisonguard/poisonguard/dataset/example"
	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/profile"
	"github.com/spf13/cobra"
)

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the data gate on the shipped example data",
		Long: `Demo profiles the shipped digits baseline (1200 rows), then checks two
batches against it: a clean one, which should pass, and a tampered one
(replayed rows with flipped labels and a backdoor trigger patch), which
should fail. It exits 0 when both verdicts are as expected.`,
		Example: "  poisonguard demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "poisonguard-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			paths, err := example.Extract(dir, example.DigitsTrain, example.DigitsBatch, example.DigitsTampered)
			if err != nil {
				return err
			}
			in := inputFlags{label: "label"}
			base, err := a.profileFile(cmd.Context(), paths[0], in, profile.Options{})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "baseline: %s, %d rows × %d columns, %d classes\n\n",
				filepath.Base(paths[0]), base.Rows, len(base.Columns), len(base.Label.Classes))
			want := []finding.Verdict{finding.Pass, finding.Fail}
			ok := true
			for i, path := range paths[1:] {
				batch, err := a.profileFile(cmd.Context(), path, in, profile.Options{})
				if err != nil {
					return err
				}
				res, err := drift.Check(base, batch, drift.DefaultPolicy())
				if err != nil {
					return err
				}
				about := fmt.Sprintf("%s against the baseline", filepath.Base(path))
				if err := a.renderCheck(res, about, false, false); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout)
				ok = ok && (res.Report.Verdict == want[i] || (want[i] == finding.Pass && res.Report.Verdict == finding.WarnVerdict))
			}
			if !ok {
				fmt.Fprintln(a.stdout, "demo: the verdicts were not the expected pass and fail")
				return errFindings
			}
			fmt.Fprintln(a.stdout, "demo: the clean batch passed and the tampered batch failed, as expected")
			return nil
		},
	}
}
