package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
)

func (a *app) dataScanCommand() *cobra.Command {
	var (
		features, labels, inputs, probs, ids string
		opts                                 detect.Options
		out, policyPath                      string
		top, chunkRows                       int
		asJSON                               bool
	)
	cmd := &cobra.Command{
		Use:   "scan --features FILE --labels FILE",
		Short: "Find poisoned training rows: backdoor triggers and flipped labels",
		Long: `Scan ranks the training rows that look poisoned. FEATURES are the rows'
features or, better, a model's embeddings (its last hidden layer); with
--inputs (the raw rows: pixels, tabular features) the scan compares each
row's neighbourhood in both views: a backdoor row looks like another class
in its inputs but sits with its label in the embeddings; a flipped label
disagrees in both.

A class-level gate first decides whether a class holds poison at all, so
clean classes are not flagged; rows are flagged only in poisoned classes,
within a budget of 1.5 × the expected poison rate when --expected-poison-rate
is given. Detectors: auto (both views fused), spectral, activation-clustering,
spectre, knn-label, confident-learning (with --probs, out-of-sample class
probabilities, or k-fold logistic regression when not given), duplicates.
spectral reads the features in two streaming passes, holding only a
dim×dim matrix per class, so it scans files larger than memory.

Matrices are .npy (any float or integer dtype; N×H×W images are flattened),
Parquet or CSV; labels a 1-D .npy of integers or a CSV/text file. Exit 1
when a class is judged poisoned.`,
		Example: `  # After a drill kept its artefacts: embeddings plus raw pixels
  poisonguard drill run --out d
  poisonguard data scan --features d/embeddings.npy --labels d/train-labels.npy \
      --inputs d/train-features.npy -o suspicious.csv

  # Features only, a known poison budget, JSON for a pipeline
  poisonguard data scan --features emb.npy --labels y.npy --expected-poison-rate 0.01 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if features == "" || labels == "" {
				return usageError{fmt.Errorf("give --features and --labels")}
			}
			if ids != "" {
				var err error
				if opts.IDs, err = readIDs(ids); err != nil {
					return err
				}
			}
			pf, err := loadPolicyFile(policyPath)
			if err != nil {
				return err
			}
			opts.Policy = pf.Scan
			boundMemory(features, inputs, probs)
			rep, err := scan(cmd.Context(), features, labels, inputs, probs, chunkRows, opts)
			if err != nil {
				return err
			}
			if out != "" {
				if err := atomicfile.Write(out, 0o644, rep.WriteCSV); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			} else {
				err = rep.WriteText(a.stdout, top)
			}
			if err != nil {
				return err
			}
			if rep.Poisoned() {
				return errFindings
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&features, "features", "", "features or embeddings, one row per training row")
	fs.StringVar(&labels, "labels", "", "labels, one per row")
	fs.StringVar(&inputs, "inputs", "", "the raw training rows: a second view for auto")
	fs.StringVar(&probs, "probs", "", "out-of-sample class probabilities (N×classes) for confident-learning")
	fs.StringVar(&ids, "ids", "", "row ids, one a line, for the report")
	fs.StringVar(&opts.Detector, "detector", detect.Auto, "detector: "+strings.Join(detect.Detectors, ", "))
	fs.Float64Var(&opts.ExpectedRate, "expected-poison-rate", 0, "share of rows expected to be poisoned (sets the removal budget)")
	fs.IntVar(&opts.K, "k", 10, "neighbours of the kNN detectors")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the randomised steps")
	fs.StringVarP(&out, "out", "o", "", "write the suspicious rows as CSV")
	fs.IntVar(&chunkRows, "chunk-rows", 0, "knn-label: hold this many rows at a time and stream the rest (0: all in memory, unless the file is larger than half the available memory)")
	fs.StringVar(&policyPath, "policy", "", "policy file whose scan section overrides the gate and row thresholds (docs/policy.md)")
	fs.IntVar(&top, "top", 20, "suspicious rows to print (-1: all)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// scan runs the scan; spectral signatures stream the features in two
// passes instead of loading them, so they scale past memory.
func scan(ctx context.Context, features, labels, inputs, probs string, chunkRows int, opts detect.Options) (*detect.Report, error) {
	if opts.Detector == detect.SpectralName && inputs == "" && probs == "" {
		y, names, err := dataset.ReadLabels(labels)
		if err != nil {
			return nil, err
		}
		opts.Names = names
		open := func() (dataset.Source, error) { return dataset.Open(features, dataset.Options{}) }
		rep, err := detect.ScanSpectralStream(ctx, open, y, len(names), opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", features, err)
		}
		return rep, nil
	}
	if opts.Detector == detect.KNNLabelName && inputs == "" && probs == "" {
		chunk, err := knnChunkRows(features, chunkRows)
		if err != nil {
			return nil, err
		}
		if chunk > 0 {
			y, names, err := dataset.ReadLabels(labels)
			if err != nil {
				return nil, err
			}
			opts.Names = names
			// Small batches: the source decodes a batch into float64 columns.
			open := func() (dataset.Source, error) { return dataset.Open(features, dataset.Options{BatchRows: 1024}) }
			rep, err := detect.ScanKNNLabelStream(ctx, open, y, len(names), chunk, opts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", features, err)
			}
			return rep, nil
		}
	}
	d, names, err := loadScanData(ctx, features, labels, inputs, probs)
	if err != nil {
		return nil, err
	}
	opts.Names = names
	opts.Reuse = true // the matrices were read for this scan alone
	return detect.Scan(ctx, d, opts)
}

// loadScanData reads the scan's matrices and labels and checks they agree.
func loadScanData(ctx context.Context, features, labels, inputs, probs string) (*detect.Data, []string, error) {
	var shape dataset.Shape
	matrix := func(path string) (*detect.Matrix, error) {
		s, err := dataset.LoadFeaturesFile(ctx, path, dataset.Options{})
		if err != nil {
			return nil, err
		}
		shape = s.Shape
		return &detect.Matrix{Data: s.X, Rows: s.N, Cols: s.D}, nil
	}
	f, err := matrix(features)
	if err != nil {
		return nil, nil, err
	}
	y, names, err := dataset.ReadLabels(labels)
	if err != nil {
		return nil, nil, err
	}
	if len(y) != f.Rows {
		return nil, nil, fmt.Errorf("%s has %d labels for the %d rows of %s", labels, len(y), f.Rows, features)
	}
	d := &detect.Data{Features: *f, Labels: y, Classes: len(names)}
	if inputs != "" {
		if d.Inputs, err = matrix(inputs); err != nil {
			return nil, nil, err
		}
		if d.Inputs.Rows != f.Rows {
			return nil, nil, fmt.Errorf("%s has %d rows, %s %d", inputs, d.Inputs.Rows, features, f.Rows)
		}
		d.InputShape = shape
	}
	if probs != "" {
		if d.Probs, err = matrix(probs); err != nil {
			return nil, nil, err
		}
		if d.Probs.Rows != f.Rows || d.Probs.Cols != d.Classes {
			return nil, nil, fmt.Errorf("%s is %d×%d; want %d rows × %d classes", probs, d.Probs.Rows, d.Probs.Cols, f.Rows, d.Classes)
		}
	}
	return d, names, nil
}

// readIDs reads one id a line.
func readIDs(path string) ([]string, error) {
	r, err := dataset.OpenLabels(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var ids []string
	for {
		batch, err := r.Read(dataset.DefaultBatchRows)
		ids = append(ids, batch...)
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// knnChunkRows is how many rows a knn-label scan holds at once: the flag
// when given; else none (all in memory) unless the features file is larger
// than half the memory available, in which case the chunk takes a quarter
// of that memory.
func knnChunkRows(features string, flag int) (int, error) {
	if flag != 0 {
		if flag < 0 {
			return 0, usageError{fmt.Errorf("--chunk-rows %d must be positive", flag)}
		}
		return flag, nil
	}
	st, err := os.Stat(features)
	if err != nil {
		return 0, err
	}
	avail := memAvailable()
	if avail == 0 || st.Size() < avail/2 {
		return 0, nil
	}
	src, err := dataset.Open(features, dataset.Options{})
	if err != nil {
		return 0, err
	}
	dim := int64(len(src.Schema().Columns))
	src.Close()
	return int(max(avail/4/(4*max(dim, 1)), 1)), nil
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes; 0 when it
// cannot tell.
func memAvailable() int64 {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// boundMemory sets a soft memory limit of 1.75 × the input files' size (at
// least 256 MiB), unless GOMEMLIMIT is set: the collector then returns
// what the scan's stages leave behind before the next one grows the heap,
// which keeps a scan within about twice its input (BENCHMARKS.md). It is a
// soft limit: a scan that needs more gets more.
func boundMemory(paths ...string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var total int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && p != "" {
			total += st.Size()
		}
	}
	debug.SetMemoryLimit(max(total*7/4, 256<<20))
}
