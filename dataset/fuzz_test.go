package dataset_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

// FuzzOpen feeds arbitrary bytes through every format's source, end to
// end: detection, inference, labels and batching must return data or an
// error, never panic, and every error from bad bytes must be an
// *InputError naming the file.
func FuzzOpen(f *testing.F) {
	for _, seed := range []struct {
		ext  byte
		data string
	}{
		{0, "a,b,label\n1,2,x\n3,,y\nNA,5,x\n"},
		{0, "\"q\"\"uote\",b\n\"1\n2\",3\n"},
		{1, `{"a": 1, "b": "x", "label": 2}` + "\n" + `{"a": null, "b": "y", "label": 3}` + "\n"},
		{2, "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }" + string(make([]byte, 58)) + "\n" + string(make([]byte, 16))},
		{3, "\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04"},
		{4, "PAR1garbagePAR1"},
	} {
		f.Add(seed.ext, []byte(seed.data), true)
	}
	exts := []string{".csv", ".jsonl", ".npy", ".idx", ".parquet"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, ext byte, data []byte, withLabel bool) {
		path := filepath.Join(dir, "in"+exts[int(ext)%len(exts)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := dataset.Options{BatchRows: 3, InferRows: 4}
		if withLabel && (ext%5 == 0 || ext%5 == 1) {
			opts.Label = "label"
		}
		src, err := dataset.Open(path, opts)
		if err != nil {
			return
		}
		defer src.Close()
		width := len(src.Schema().Columns)
		for range 10_000 {
			b, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var ie *dataset.InputError
				if !errors.As(err, &ie) || ie.Path != path {
					t.Fatalf("error %v is not an InputError naming the file", err)
				}
				return
			}
			if len(b.Cols) != width || b.Rows < 0 {
				t.Fatalf("batch of %d columns and %d rows, schema %d", len(b.Cols), b.Rows, width)
			}
			for _, c := range b.Cols {
				if len(c.Num) < b.Rows && len(c.Str) < b.Rows {
					t.Fatalf("column shorter than the batch's %d rows", b.Rows)
				}
			}
		}
	})
}
