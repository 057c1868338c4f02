package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/finding"
	modelscan "github.com/poisonguard/poisonguard/scan"
)

func (a *app) modelScanCommand() *cobra.Command {
	var strict, asJSON bool
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Scan model files for code that loading them would run",
		Long: `Scan judges model files without loading or unpickling them. Formats are
told by their magic bytes, never their names: pickles of every protocol,
PyTorch checkpoints (ZIP and legacy, every pickle in them), NumPy .npy and
.npz, safetensors (the header alone), Keras .keras and HDF5 .h5, and any
ZIP archive, whose members are each judged by their own magic. Folders
are walked without following symbolic links.

Pickle globals are judged allowlist-first: what PyTorch, NumPy and plain
containers need is safe; os, subprocess, eval, __import__, pip, asyncio
and their kin are dangerous; anything else is suspicious. Each file is
safe, suspicious, dangerous or invalid (malformed: it cannot be vouched
for).

Exit 1 when a file is dangerous or invalid, or suspicious with --strict;
2 when a path cannot be read.`,
		Example: `  poisonguard model scan ./checkpoint.pt
  poisonguard model scan ./downloaded-model --strict
  poisonguard model scan weights.safetensors model.keras --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := a.newProgress("scanning")
			opts := modelscan.Options{Progress: func(_ string, size int64) { p.bytes(size) }}
			rep, err := modelscan.Scan(cmd.Context(), args, opts)
			p.done()
			if err != nil {
				return err
			}
			if asJSON {
				err = finding.WriteJSON(a.stdout, rep)
			} else {
				err = writeModelScan(a.stdout, rep, strict)
			}
			if err != nil {
				return err
			}
			if modelScanFails(rep, strict) {
				return errFindings
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on suspicious files too")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// modelScanFails reports whether the scan fails the gate: any dangerous
// or invalid file, or any suspicious one when strict.
func modelScanFails(rep *modelscan.Report, strict bool) bool {
	s := rep.Summary
	return s.Dangerous > 0 || s.Invalid > 0 || (strict && s.Suspicious > 0)
}

// writeModelScan writes the verdict line, a table of files, a table of
// findings and what each rule that fired means.
func writeModelScan(w io.Writer, rep *modelscan.Report, strict bool) error {
	s := rep.Summary
	head := "PASS"
	switch {
	case modelScanFails(rep, strict):
		head = "FAIL"
	case s.Suspicious > 0:
		head = "WARN"
	}
	if _, err := fmt.Fprintf(w, "%-4s  model scan: %d dangerous, %d invalid, %d suspicious, %d safe — %s scanned\n\n",
		head, s.Dangerous, s.Invalid, s.Suspicious, s.Safe, finding.Plural(s.Files, "file")); err != nil {
		return err
	}
	files := finding.Table{Header: []string{"file", "format", "verdict", "findings"}, Text: []int{1, 2}}
	for _, f := range rep.Files {
		files.Rows = append(files.Rows, []string{f.Path, f.Format, string(f.Verdict), strconv.Itoa(len(f.Findings))})
	}
	if err := files.WriteText(w); err != nil {
		return err
	}
	return writeModelFindings(w, rep)
}

// writeModelFindings writes every finding, then one line per rule.
func writeModelFindings(w io.Writer, rep *modelscan.Report) error {
	t := finding.Table{Header: []string{"severity", "rule", "file", "member", "offset", "message"}, Text: []int{1, 2, 3, 5}}
	var rules []string
	for _, f := range rep.Files {
		for _, x := range f.Findings {
			member := x.Member
			if member == "" {
				member = "-"
			}
			msg := x.Message
			if x.Count > 1 {
				msg += fmt.Sprintf(" (×%d)", x.Count)
			}
			t.Rows = append(t.Rows, []string{x.Severity.String(), x.Rule, f.Path, member, strconv.FormatInt(x.Offset, 10), msg})
			if !slices.Contains(rules, x.Rule) {
				rules = append(rules, x.Rule)
			}
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	if err := t.WriteText(w); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	for _, r := range rules {
		if e := modelscan.Explain(r); e != "" {
			if _, err := fmt.Fprintf(w, "%s: %s.\n", r, e); err != nil {
				return err
			}
		}
	}
	return nil
}
