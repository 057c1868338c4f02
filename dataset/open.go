package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format names an input file format.
type Format string

// The formats Open reads.
const (
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
	FormatNPY     Format = "npy"
	FormatIDX     Format = "idx"
	FormatJSONL   Format = "jsonl"
)

// DefaultBatchRows is the number of rows a source puts in one batch when
// Options.BatchRows is zero.
const DefaultBatchRows = 4096

// Options tells Open how to read a dataset. The zero value reads every
// column as a feature, with no labels and row numbers as ids.
type Options struct {
	// Format forces a format; empty means detect it from the file's magic
	// bytes, then its extension.
	Format Format
	// Label names the column that holds the label (CSV, Parquet, JSONL).
	Label string
	// LabelsFile is a separate file of labels, one per row (a 1-D .npy, an
	// IDX label file, or a CSV or text file with one label a line and an
	// optional header).
	LabelsFile string
	// ID names the column that holds the row id.
	ID string
	// BatchRows is the number of rows per batch (DefaultBatchRows if 0).
	BatchRows int
	// InferRows is how many leading rows text formats read to infer column
	// kinds (DefaultInferRows if 0).
	InferRows int
}

// DefaultInferRows is how many leading rows CSV and JSONL readers look at
// to infer each column's kind. A later value that does not fit the inferred
// kind of a numeric column is counted as invalid and read as missing.
const DefaultInferRows = 10000

func (o *Options) validate() error {
	switch o.Format {
	case "", FormatCSV, FormatParquet, FormatNPY, FormatIDX, FormatJSONL:
	default:
		return fmt.Errorf("unknown format %q (want csv, parquet, npy, idx or jsonl)", o.Format)
	}
	if o.BatchRows < 0 || o.InferRows < 0 {
		return errors.New("batch and infer row counts must not be negative")
	}
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.InferRows == 0 {
		o.InferRows = DefaultInferRows
	}
	if o.Label != "" && o.LabelsFile != "" {
		return errors.New("give either a label column or a labels file, not both")
	}
	if o.Label != "" && o.Label == o.ID {
		return errors.New("the label and id columns must differ")
	}
	return nil
}

// InputError reports malformed input: the file and, where known, the row
// (1-based, counting data rows) or byte offset at which reading stopped.
type InputError struct {
	Path   string
	Row    int64 // 0 when unknown
	Offset int64 // -1 when unknown
	Err    error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Row > 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": byte %d", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// Open opens a dataset file as a streaming Source.
func Open(path string, opts Options) (Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	format := opts.Format
	if format == "" {
		var err error
		if format, err = Detect(path); err != nil {
			return nil, err
		}
	}
	src, err := openFormat(path, format, opts)
	if err != nil {
		return nil, err
	}
	if opts.LabelsFile == "" {
		return src, nil
	}
	if src.HasLabels() {
		src.Close()
		return nil, fmt.Errorf("%s already carries labels; drop --labels", path)
	}
	labels, err := OpenLabels(opts.LabelsFile)
	if err != nil {
		src.Close()
		return nil, err
	}
	return &labelled{Source: src, labels: labels, path: opts.LabelsFile}, nil
}

func openFormat(path string, format Format, opts Options) (Source, error) {
	switch format {
	case FormatCSV:
		return openCSV(path, opts)
	case FormatParquet:
		return openParquet(path, opts)
	case FormatNPY:
		return openNPY(path, opts)
	case FormatIDX:
		return openIDX(path, opts)
	case FormatJSONL:
		return openJSONL(path, opts)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// Detect tells a file's format from its first bytes (gzip is looked
// through), falling back to its extension.
func Detect(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		if zr, err := gzip.NewReader(f); err == nil {
			inner := make([]byte, 16)
			m, _ := io.ReadFull(zr, inner)
			if ft := detectMagic(inner[:m]); ft != "" {
				return ft, nil
			}
		}
	} else if ft := detectMagic(head); ft != "" {
		return ft, nil
	}
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	switch {
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".tsv"), strings.HasSuffix(name, ".txt"):
		return FormatCSV, nil
	case strings.HasSuffix(name, ".parquet"), strings.HasSuffix(name, ".pq"):
		return FormatParquet, nil
	case strings.HasSuffix(name, ".npy"):
		return FormatNPY, nil
	case strings.HasSuffix(name, ".jsonl"), strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".json"):
		return FormatJSONL, nil
	case strings.Contains(name, "ubyte"), strings.HasSuffix(name, ".idx"):
		return FormatIDX, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from its content or name; pass --format", path)
}

func detectMagic(b []byte) Format {
	switch {
	case bytes.HasPrefix(b, []byte("\x93NUMPY")):
		return FormatNPY
	case bytes.HasPrefix(b, []byte("PAR1")):
		return FormatParquet
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] >= 0x08 && b[2] <= 0x0e && b[3] >= 1 && b[3] <= 4:
		return FormatIDX
	case len(b) > 0 && b[0] == '{':
		return FormatJSONL
	}
	return ""
}
