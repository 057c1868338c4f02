package cli

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

func (a *app) attackCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "Poison a staging copy of a dataset with a known attack",
	}
	cmd.AddCommand(a.attackApplyCommand())
	return cmd
}

// Files attack apply writes besides the poisoned data.
const (
	attackSpecFile    = "attack.json"
	attackIndicesFile = "poisoned.npy"
)

func (a *app) attackApplyCommand() *cobra.Command {
	var (
		in     inputFlags
		atk    attackFlags
		seed   uint64
		specIn string
		out    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "apply INPUT -o DIR",
		Short: "Write a poisoned copy of a dataset, its ground truth and the recipe",
		Long: `Apply poisons a copy of a labelled dataset and writes to DIR:

  the poisoned copy, in the input's format and under the input's file names
  (CSV, JSONL or Parquet with the label column; .npy or IDX features and their labels
  file, gzipped when the input was);
  poisoned.npy, the sorted 0-based indices of the poisoned rows (int64);
  attack.json, everything needed to reproduce the attack, the trigger's
  pattern included.

Teams then train their own pipeline on the copy. Trigger attacks need image
rows: IDX files, or .npy arrays of N×H×W or N×H×W×C. --spec attack.json
repeats an earlier attack exactly (the attack flags are then ignored).`,
		Example: `  # BadNets on MNIST's training files, 10% of rows, target 0
  poisonguard attack apply train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz -o poisoned/

  # Flip 20% of the labels of a CSV
  poisonguard attack apply train.csv --label target --attack label-flip --poison-rate 0.2 -o flipped/

  # Repeat it on another copy of the data
  poisonguard attack apply train.csv --label target --spec flipped/attack.json -o again/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("name the output folder with -o DIR")}
			}
			spec := atk.build(seed)
			if specIn != "" {
				var err error
				if spec, err = readSpec(specIn); err != nil {
					return err
				}
			}
			return a.applyAttack(cmd, args[0], in, spec, out, asJSON)
		},
	}
	fs := cmd.Flags()
	in.register(fs)
	atk.register(fs, "badnets")
	fs.Uint64Var(&seed, "seed", 1, "seed of the victims and of noise patterns")
	fs.StringVar(&specIn, "spec", "", "repeat the attack an attack.json describes")
	fs.StringVarP(&out, "out", "o", "", "output folder")
	fs.BoolVar(&asJSON, "json", false, "print a JSON summary")
	return cmd
}

// maxSpecBytes bounds an attack.json: a blend pattern of a 4096×4096 RGB
// image, base64-encoded, with room to spare.
const maxSpecBytes = 80 << 20

// readSpec reads an attack.json.
func readSpec(path string) (attack.Spec, error) {
	var spec attack.Spec
	f, err := os.Open(path)
	if err != nil {
		return spec, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, maxSpecBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return spec, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

func (a *app) applyAttack(cmd *cobra.Command, input string, in inputFlags, spec attack.Spec, out string, asJSON bool) error {
	format := dataset.Format(in.format)
	if format == "" {
		var err error
		if format, err = dataset.Detect(input); err != nil {
			return err
		}
	}
	switch format {
	case dataset.FormatCSV, dataset.FormatJSONL, dataset.FormatParquet:
		if in.label == "" {
			return usageError{fmt.Errorf("%s: name the label column with --label", input)}
		}
	case dataset.FormatNPY, dataset.FormatIDX:
		if in.labels == "" {
			return usageError{fmt.Errorf("%s: give the labels file with --labels", input)}
		}
	default:
		return fmt.Errorf("%s: attack apply cannot write %s files", input, format)
	}
	if in.id != "" {
		return usageError{fmt.Errorf("--id is not supported by attack apply: row ids are not carried into the copy")}
	}
	set, err := dataset.LoadFile(cmd.Context(), input, in.options())
	if err != nil {
		return err
	}
	res, err := attack.Apply(spec, set)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	written := []string{}
	write := func(name string, fill func(io.Writer) error) error {
		path := filepath.Join(out, name)
		if err := atomicfile.Write(path, 0o644, fill); err != nil {
			return err
		}
		written = append(written, path)
		return nil
	}
	if err := write(filepath.Base(input), gzipIf(input, func(w io.Writer) error {
		return dataset.WriteFeatures(w, res.Poisoned, format, in.label)
	})); err != nil {
		return err
	}
	if in.labels != "" {
		lf, err := dataset.Detect(in.labels)
		if err != nil {
			return err
		}
		if err := write(filepath.Base(in.labels), gzipIf(in.labels, func(w io.Writer) error {
			return dataset.WriteLabels(w, res.Poisoned, lf)
		})); err != nil {
			return err
		}
	}
	idx := make([]int64, len(res.Indices))
	for i, v := range res.Indices {
		idx[i] = int64(v)
	}
	if err := write(attackIndicesFile, func(w io.Writer) error {
		return npy.Write(w, []int64{int64(len(idx))}, idx)
	}); err != nil {
		return err
	}
	if err := write(attackSpecFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Spec)
	}); err != nil {
		return err
	}
	summary := struct {
		Attack   attack.Kind `json:"attack"`
		Rows     int         `json:"rows"`
		Poisoned int         `json:"poisoned_rows"`
		Files    []string    `json:"files"`
	}{res.Spec.Kind, set.N, len(res.Indices), written}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}
	fmt.Fprintf(a.stdout, "%s: poisoned %d of %d rows (%.2f%%) of %s\n", res.Spec.Kind, len(res.Indices), set.N,
		100*float64(len(res.Indices))/float64(set.N), input)
	for _, p := range written {
		fmt.Fprintf(a.stdout, "  wrote %s\n", p)
	}
	return nil
}

// gzipIf wraps fill in gzip compression when like names a .gz file.
func gzipIf(like string, fill func(io.Writer) error) func(io.Writer) error {
	if !strings.HasSuffix(like, ".gz") {
		return fill
	}
	return func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		if err := fill(zw); err != nil {
			return err
		}
		return zw.Close()
	}
}
