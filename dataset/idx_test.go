package dataset_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

// idxTestdata holds IDX fixtures: 3 records of 2x2 values k*100 + i
// (see gen.py there).
const idxTestdata = "../internal/format/idx/testdata"

// idxFile builds an IDX file of unsigned bytes.
func idxFile(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func TestOpenIDX(t *testing.T) {
	want := []float64{0, 1, 2, 3, -100, -101, -102, -103, 200, 201, 202, 203}
	for _, tc := range []struct {
		file string
		want []float64
	}{
		{"ubyte-idx3", []float64{0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203}},
		{"ubyte-idx3.gz", []float64{0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203}},
		{"sbyte-idx3", []float64{0, 1, 2, 3, -10, -11, -12, -13, 20, 21, 22, 23}},
		{"short-idx3", want},
		{"int-idx3", want},
		{"float-idx3", want},
		{"double-idx3", want},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tb, err := openArray(t, filepath.Join(idxTestdata, tc.file), dataset.Options{Format: dataset.FormatIDX, BatchRows: 2})
			if err != nil {
				t.Fatal(err)
			}
			if tb.rows != 3 || tb.batches != 2 || len(tb.schema.Columns) != 4 {
				t.Fatalf("%d rows in %d batches, %d columns", tb.rows, tb.batches, len(tb.schema.Columns))
			}
			for j, c := range tb.schema.Columns {
				if c.Name != fmt.Sprintf("px%d", j) || c.Kind != dataset.Numeric {
					t.Errorf("column %d is %+v", j, c)
				}
			}
			if !slices.Equal(tb.values, tc.want) {
				t.Errorf("values %v, want %v", tb.values, tc.want)
			}
		})
	}
}

func TestIDXLabels(t *testing.T) {
	features := writeArrayFile(t, "x-idx2-ubyte", idxFile([]uint32{5, 3}, make([]byte, 15)))
	tb, err := openArray(t, features, dataset.Options{LabelsFile: filepath.Join(idxTestdata, "labels-idx1-ubyte"), BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	// gen.py writes (k*100) mod 256 for label k.
	if want := []string{"0", "100", "200", "44", "144"}; !slices.Equal(tb.labels, want) {
		t.Errorf("labels %q, want %q", tb.labels, want)
	}
}

func TestOpenIDXErrors(t *testing.T) {
	good := idxFile([]uint32{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name   string
		path   string
		opts   dataset.Options
		labels bool
		msg    string
		input  bool
		row    int64
		off    int64
	}{
		{name: "label file", path: filepath.Join(idxTestdata, "labels-idx1-ubyte"), msg: "pass it with --labels"},
		{name: "label column", path: filepath.Join(idxTestdata, "ubyte-idx3"), opts: dataset.Options{Label: "y"}, msg: "--labels"},
		{name: "bad type", path: writeArrayFile(t, "x.idx", []byte{0, 0, 0x0a, 1, 0, 0, 0, 0}), msg: "unknown IDX element type", input: true},
		{name: "truncated", path: writeArrayFile(t, "x.idx", good[:len(good)-1]), msg: "file is truncated", input: true, off: int64(len(good) - 1)},
		{name: "trailing", path: writeArrayFile(t, "x.idx", append(slices.Clone(good), 0)), msg: "data follows the records", input: true, off: int64(len(good))},
		{name: "truncated gzip", path: writeArrayFile(t, "x.idx.gz", gzipArray(good[:len(good)-1])), msg: "record 3 of 3: unexpected EOF", input: true, row: 3, off: -1},
		{name: "trailing gzip", path: writeArrayFile(t, "x.idx.gz", gzipArray(append(slices.Clone(good), 0))), msg: "data after the 3 records", input: true, off: -1},
		{name: "labels of records", path: filepath.Join(idxTestdata, "ubyte-idx3"), labels: true, msg: "single values"},
		{name: "truncated labels", path: writeArrayFile(t, "y.idx.gz", gzipArray(idxFile([]uint32{9}, []byte{1, 2}))), labels: true, msg: "record 3 of 9", input: true, row: 3, off: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.labels {
				features := writeArrayFile(t, "x-idx2-ubyte", idxFile([]uint32{9, 1}, make([]byte, 9)))
				_, err = openArray(t, features, dataset.Options{LabelsFile: tc.path})
			} else {
				opts := tc.opts
				opts.Format = dataset.FormatIDX
				_, err = openArray(t, tc.path, opts)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.msg)
			}
			var ie *dataset.InputError
			if errors.As(err, &ie) != tc.input {
				t.Fatalf("err %v is an InputError: %v, want %v", err, !tc.input, tc.input)
			}
			if tc.input && (ie.Path != tc.path || ie.Row != tc.row || ie.Offset != tc.off) {
				t.Errorf("InputError at %s row %d byte %d, want row %d byte %d", ie.Path, ie.Row, ie.Offset, tc.row, tc.off)
			}
		})
	}
}
