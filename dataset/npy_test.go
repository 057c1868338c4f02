package dataset_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// npyTestdata holds the .npy fixtures NumPy wrote, with the values it
// read from them in expected.json.
const npyTestdata = "../internal/format/npy/testdata"

type npyFixture struct {
	Shape  []int64
	Values []float64
}

func npyExpected(t *testing.T) map[string]npyFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(npyTestdata, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]npyFixture
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// arrayTable is everything a source yields, rows in row-major order.
type arrayTable struct {
	schema  dataset.Schema
	values  []float64
	labels  []string
	rows    int
	batches int
}

// readArraySource drains src, checking the batches' offsets and sizes.
func readArraySource(t *testing.T, src dataset.Source) (arrayTable, error) {
	t.Helper()
	tb := arrayTable{schema: src.Schema()}
	cols := len(tb.schema.Columns)
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return tb, nil
		}
		if err != nil {
			return tb, err
		}
		if b.Offset != int64(tb.rows) || len(b.Cols) != cols {
			t.Fatalf("batch at offset %d with %d columns after %d rows", b.Offset, len(b.Cols), tb.rows)
		}
		for i := range b.Rows {
			for j := range cols {
				tb.values = append(tb.values, b.Cols[j].Num[i])
			}
		}
		if src.HasLabels() {
			tb.labels = append(tb.labels, b.Labels...)
		}
		tb.rows += b.Rows
		tb.batches++
	}
}

func openArray(t *testing.T, path string, opts dataset.Options) (arrayTable, error) {
	t.Helper()
	src, err := dataset.Open(path, opts)
	if err != nil {
		return arrayTable{}, err
	}
	defer src.Close()
	return readArraySource(t, src)
}

func TestOpenNPY(t *testing.T) {
	for name, want := range npyExpected(t) {
		if len(want.Shape) < 2 || name == "f4_le_f.npy.gz" { // see TestOpenNPYErrors
			continue
		}
		t.Run(name, func(t *testing.T) {
			tb, err := openArray(t, filepath.Join(npyTestdata, name), dataset.Options{BatchRows: 2})
			if err != nil {
				t.Fatal(err)
			}
			cols := 1
			for _, d := range want.Shape[1:] {
				cols *= int(d)
			}
			if len(tb.schema.Columns) != cols {
				t.Fatalf("%d columns, want %d", len(tb.schema.Columns), cols)
			}
			for j, c := range tb.schema.Columns {
				if c.Name != fmt.Sprintf("f%d", j) || c.Kind != dataset.Numeric {
					t.Errorf("column %d is %+v", j, c)
				}
			}
			if tb.rows != int(want.Shape[0]) || tb.batches != (tb.rows+1)/2 {
				t.Errorf("%d rows in %d batches, want %d rows", tb.rows, tb.batches, want.Shape[0])
			}
			if !slices.Equal(tb.values, want.Values) && len(want.Values) > 0 {
				t.Errorf("values\n got %v\nwant %v", tb.values, want.Values)
			}
		})
	}
}

// writeNPY writes an .npy file into a test's temporary folder.
func writeNPY[T npy.Value](t *testing.T, name string, shape []int64, data []T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.Write(&buf, shape, data); err != nil {
		t.Fatal(err)
	}
	return writeArrayFile(t, name, buf.Bytes())
}

func writeArrayFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipArray(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func readNPYFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(npyTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenNPYErrors(t *testing.T) {
	c := readNPYFixture(t, "f4_le_c.npy") // 3x4, header of 128 bytes
	f := readNPYFixture(t, "f4_le_f.npy")
	for _, tc := range []struct {
		name  string
		path  string
		opts  dataset.Options
		msg   string
		input bool // a *dataset.InputError
		row   int64
		off   int64
	}{
		{name: "1-D", path: filepath.Join(npyTestdata, "labels_i8.npy"), msg: "pass it with --labels"},
		{name: "scalar", path: filepath.Join(npyTestdata, "scalar.npy"), msg: "scalar"},
		{name: "no columns", path: writeNPY(t, "x.npy", []int64{3, 0}, []float32{}), msg: "no feature columns"},
		{name: "label column", path: filepath.Join(npyTestdata, "f4_le_c.npy"), opts: dataset.Options{Label: "y"}, msg: "--labels"},
		{name: "id column", path: filepath.Join(npyTestdata, "f4_le_c.npy"), opts: dataset.Options{ID: "id"}, msg: "no named columns"},
		{name: "object", path: filepath.Join(npyTestdata, "object.npy"), msg: "object dtype", input: true, off: 0},
		{name: "fortran gzip", path: filepath.Join(npyTestdata, "f4_le_f.npy.gz"), msg: "decompress it first"},
		{name: "truncated", path: writeArrayFile(t, "t.npy", c[:len(c)-5]), msg: "file is truncated", input: true, off: int64(len(c) - 5)},
		{name: "truncated fortran", path: writeArrayFile(t, "t.npy", f[:len(f)-5]), msg: "file is truncated", input: true, off: int64(len(f) - 5)},
		{name: "trailing", path: writeArrayFile(t, "t.npy", append(slices.Clone(c), 0)), msg: "data follows the array", input: true, off: int64(len(c))},
		{name: "truncated gzip", path: writeArrayFile(t, "t.npy.gz", gzipArray(c[:128+4*4*2+3])), msg: "unexpected EOF", input: true, row: 3, off: -1},
		{name: "trailing gzip", path: writeArrayFile(t, "t.npy.gz", gzipArray(append(slices.Clone(c), 1, 2))), msg: "data follows", input: true, off: -1},
		{name: "gzip cut in the header", path: writeArrayFile(t, "t.npy.gz", gzipArray(c)[:40]), msg: "npy header: unexpected EOF", input: true, off: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Format = dataset.FormatNPY
			_, err := openArray(t, tc.path, opts)
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

func TestNPYEmpty(t *testing.T) {
	tb, err := openArray(t, filepath.Join(npyTestdata, "empty.npy"), dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.rows != 0 || len(tb.schema.Columns) != 3 {
		t.Errorf("%d rows, %d columns; want 0 and 3", tb.rows, len(tb.schema.Columns))
	}
}

func TestNPYLabels(t *testing.T) {
	features := func(rows int) string {
		return writeNPY(t, "x.npy", []int64{int64(rows), 2}, make([]float64, 2*rows))
	}
	for _, tc := range []struct {
		name, labels string
		rows         int
		want         []string
		msg          string
		row          int64
	}{
		{name: "int64", labels: "labels_i8.npy", rows: 8, want: []string{"3", "1", "4", "1", "5", "9", "2", "6"}},
		{name: "integral float", labels: "labels_f4.npy", rows: 5, want: []string{"0", "1", "1", "0", "2"}},
		{name: "column", labels: "labels_col.npy", rows: 3, want: []string{"7", "8", "9"}},
		{name: "fraction", labels: "labels_frac.npy", rows: 2, msg: "label 1.5 is not an integer", row: 2},
		{name: "too few", labels: "labels_col.npy", rows: 4, msg: "fewer labels", row: 4},
		{name: "too many", labels: "labels_i8.npy", rows: 7, msg: "more labels", row: 8},
		{name: "2-D", labels: "f4_le_c.npy", rows: 3, msg: "must be a 1-D array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := openArray(t, features(tc.rows), dataset.Options{
				LabelsFile: filepath.Join(npyTestdata, tc.labels), BatchRows: 3})
			if tc.msg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.msg)
				}
				var ie *dataset.InputError
				if tc.row != 0 && (!errors.As(err, &ie) || ie.Row != tc.row) {
					t.Errorf("err = %#v, want an InputError at row %d", err, tc.row)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tb.labels, tc.want) {
				t.Errorf("labels %q, want %q", tb.labels, tc.want)
			}
		})
	}
}

func TestNPYLabelsGzip(t *testing.T) {
	path := writeArrayFile(t, "y.npy.gz", gzipArray(readNPYFixture(t, "labels_i8.npy")))
	lr, err := dataset.OpenLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lr.Close()
	var got []string
	for {
		l, err := lr.Read(3)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l...)
	}
	if want := []string{"3", "1", "4", "1", "5", "9", "2", "6"}; !slices.Equal(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
}

// TestNPYConstantMemory checks that reading more batches allocates
// nothing: the source reuses its buffers.
func TestNPYConstantMemory(t *testing.T) {
	const rows, cols = 1000, 7
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i)
	}
	c := writeNPY(t, "c.npy", []int64{rows, cols}, data)
	// The same values in Fortran order: (i, j) at j*rows + i.
	fdata := make([]float32, rows*cols)
	for i := range rows {
		for j := range cols {
			fdata[j*rows+i] = data[i*cols+j]
		}
	}
	var buf bytes.Buffer
	npy.Write(&buf, []int64{cols, rows}, fdata)
	fb := bytes.Replace(buf.Bytes(), []byte("'fortran_order': False, 'shape': (7, 1000)"),
		[]byte("'fortran_order': True, 'shape': (1000, 7) "), 1)
	f := writeArrayFile(t, "f.npy", fb)
	for _, path := range []string{c, f} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := dataset.Open(path, dataset.Options{BatchRows: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ctx := context.Background()
			first, err := src.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			next := int64(10)
			allocs := testing.AllocsPerRun(50, func() {
				b, err := src.Next(ctx)
				if err != nil || b != first || b.Offset != next || b.Cols[3].Num[2] != float64((next+2)*cols+3) {
					t.Fatalf("batch at %d: %v", next, err)
				}
				next += int64(b.Rows)
			})
			if allocs != 0 {
				t.Errorf("%v allocations per batch", allocs)
			}
		})
	}
}

// BenchmarkNPYSource reads an MNIST-shaped float32 array through Open.
func BenchmarkNPYSource(b *testing.B) {
	const rows, cols = 8192, 784
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i%255) / 255
	}
	var buf bytes.Buffer
	if err := npy.Write(&buf, []int64{rows, cols}, data); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "x.npy")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		src, err := dataset.Open(path, dataset.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Next(ctx); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
		src.Close()
	}
	b.ReportMetric(float64(b.N)*rows*cols/b.Elapsed().Seconds(), "values/s")
}

// TestNPYFortranColumnGzip reads a gzipped Fortran-order array whose
// layout is the same in C order, which needs no ReadAt.
func TestNPYFortranColumnGzip(t *testing.T) {
	var buf bytes.Buffer
	if err := npy.Write(&buf, []int64{3, 1}, []float64{4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	b := bytes.Replace(buf.Bytes(), []byte("'fortran_order': False,"), []byte("'fortran_order': True, "), 1)
	tb, err := openArray(t, writeArrayFile(t, "x.npy.gz", gzipArray(b)), dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.values, []float64{4, 5, 6}) {
		t.Errorf("values %v", tb.values)
	}
}
