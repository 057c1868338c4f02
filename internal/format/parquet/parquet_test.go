package parquet_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/poisonguard/poisonguard/internal/format/parquet"
)

var update = flag.Bool("update", false, "rewrite the testdata files")

// row covers every supported physical and logical type.
type row struct {
	F64 float64  `parquet:"f64"`
	F32 float32  `parquet:"f32"`
	I32 int32    `parquet:"i32"`
	I64 int64    `parquet:"i64"`
	I8  int8     `parquet:"i8"`
	U32 uint32   `parquet:"u32"`
	U64 uint64   `parquet:"u64"`
	Dec int32    `parquet:"dec,decimal(2:9)"`
	B   bool     `parquet:"b"`
	S   string   `parquet:"s"`
	SD  string   `parquet:"sd,dict"`
	OF  *float64 `parquet:"of,optional"`
	OS  *string  `parquet:"os,optional,dict"`
	OI  *int32   `parquet:"oi,optional"`
	DI  int64    `parquet:"di,dict"`
}

func makeRow(i int) row {
	r := row{
		F64: float64(i)*0.5 - 3,
		F32: float32(i) / 4,
		I32: int32(i*7 - 100),
		I64: int64(i) * 1_000_000_007,
		I8:  int8(i%256 - 128),
		U32: uint32(4_000_000_000 - i),
		U64: 1<<63 + uint64(i)*2048,
		Dec: int32(i * 3),
		B:   i%3 == 0,
		S:   fmt.Sprintf("s%d", i),
		SD:  []string{"cat", "dog", "emu"}[i%3],
		DI:  int64(i%10) * 3,
	}
	if i%4 != 1 {
		v := float64(i) + 0.25
		r.OF = &v
	}
	if i%5 != 2 {
		v := "v" + strconv.Itoa(i%7)
		r.OS = &v
	}
	if i%2 == 1 {
		v := int32(-i)
		r.OI = &v
	}
	return r
}

// want returns the expected numeric and text value of column name in row i
// (ok false for a null).
func want(name string, i int) (num float64, text string, ok bool) {
	r := makeRow(i)
	switch name {
	case "f64":
		return r.F64, strconv.FormatFloat(r.F64, 'g', -1, 64), true
	case "f32":
		return float64(r.F32), strconv.FormatFloat(float64(r.F32), 'g', -1, 32), true
	case "i32":
		return float64(r.I32), strconv.Itoa(int(r.I32)), true
	case "i64":
		return float64(r.I64), strconv.FormatInt(r.I64, 10), true
	case "i8":
		return float64(r.I8), strconv.Itoa(int(r.I8)), true
	case "u32":
		return float64(r.U32), strconv.FormatUint(uint64(r.U32), 10), true
	case "u64":
		return float64(r.U64), strconv.FormatUint(r.U64, 10), true
	case "dec":
		v := float64(r.Dec) / 100
		return v, strconv.FormatFloat(v, 'g', -1, 64), true
	case "b":
		return 0, strconv.FormatBool(r.B), true
	case "s":
		return 0, r.S, true
	case "sd":
		return 0, r.SD, true
	case "of":
		if r.OF == nil {
			return 0, "", false
		}
		return *r.OF, strconv.FormatFloat(*r.OF, 'g', -1, 64), true
	case "os":
		if r.OS == nil {
			return 0, "", false
		}
		return 0, *r.OS, true
	case "di":
		return float64(r.DI), strconv.FormatInt(r.DI, 10), true
	case "oi":
		if r.OI == nil {
			return 0, "", false
		}
		return float64(*r.OI), strconv.Itoa(int(*r.OI)), true
	}
	panic("unknown column " + name)
}

func writeRows(t testing.TB, n int, opts ...pq.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[row](&buf, opts...)
	rows := make([]row, n)
	for i := range rows {
		rows[i] = makeRow(i)
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, data []byte, opts parquet.Options) *parquet.File {
	t.Helper()
	f, err := parquet.Open(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadAllTypes(t *testing.T) {
	const n = 1000
	small := []pq.WriterOption{pq.MaxRowsPerRowGroup(300), pq.PageBufferSize(512)}
	tests := []struct {
		name string
		opts []pq.WriterOption
	}{
		{"one row group", nil},
		{"row groups and pages v2", small},
		{"pages v1", append([]pq.WriterOption{pq.DataPageVersion(1)}, small...)},
		{"snappy", append([]pq.WriterOption{pq.Compression(&pq.Snappy)}, small...)},
		{"zstd v1", append([]pq.WriterOption{pq.Compression(&pq.Zstd), pq.DataPageVersion(1)}, small...)},
		{"gzip", append([]pq.WriterOption{pq.Compression(&pq.Gzip)}, small...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := open(t, writeRows(t, n, tt.opts...), parquet.Options{})
			if f.NumRows() != n {
				t.Fatalf("NumRows = %d, want %d", f.NumRows(), n)
			}
			for i, c := range f.Columns() {
				if c.Numeric() {
					checkFloat64(t, f, i, n)
				}
				checkString(t, f, i, n)
			}
		})
	}
}

func checkFloat64(t *testing.T, f *parquet.File, col, n int) {
	t.Helper()
	r, err := f.OpenColumn(col)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name := r.Column().Name
	null := math.Inf(-1)
	got := make([]float64, 0, n)
	buf := make([]float64, 7) // an odd size, so reads straddle pages
	for {
		k, err := r.ReadFloat64(buf, null)
		got = append(got, buf[:k]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if len(got) != n {
		t.Fatalf("%s: read %d values, want %d", name, len(got), n)
	}
	for i, v := range got {
		w, _, ok := want(name, i)
		if !ok {
			w = null
		}
		if v != w {
			t.Fatalf("%s row %d = %v, want %v", name, i, v, w)
		}
	}
}

func checkString(t *testing.T, f *parquet.File, col, n int) {
	t.Helper()
	r, err := f.OpenColumn(col)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name := r.Column().Name
	got := make([]string, 0, n)
	buf := make([]string, 11)
	for {
		k, err := r.ReadString(buf)
		got = append(got, buf[:k]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if len(got) != n {
		t.Fatalf("%s: read %d values, want %d", name, len(got), n)
	}
	for i, v := range got {
		if _, w, _ := want(name, i); v != w {
			t.Fatalf("%s row %d = %q, want %q", name, i, v, w)
		}
	}
}

func TestColumns(t *testing.T) {
	f := open(t, writeRows(t, 10), parquet.Options{})
	want := map[string]struct {
		typ      parquet.Type
		logical  string
		optional bool
	}{
		"f64": {parquet.Double, "", false},
		"i8":  {parquet.Int32, "INT(8,true)", false},
		"u64": {parquet.Int64, "INT(64,false)", false},
		"dec": {parquet.Int32, "DECIMAL(9,2)", false},
		"b":   {parquet.Boolean, "", false},
		"s":   {parquet.ByteArray, "STRING", false},
		"of":  {parquet.Double, "", true},
	}
	for _, c := range f.Columns() {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		if c.Type != w.typ || c.Logical != w.logical || c.Optional != w.optional {
			t.Errorf("column %s = %s %q optional=%t, want %s %q optional=%t",
				c.Name, c.Type, c.Logical, c.Optional, w.typ, w.logical, w.optional)
		}
	}
}

func TestRefused(t *testing.T) {
	type nested struct {
		A struct {
			X int32 `parquet:"x"`
		} `parquet:"a"`
	}
	type repeated struct {
		L []int32 `parquet:"l"`
	}
	valid := writeRows(t, 50)
	tests := []struct {
		name        string
		data        []byte
		opts        parquet.Options
		unsupported bool
	}{
		{"nested", writeAny(t, []nested{{}}), parquet.Options{}, true},
		{"repeated", writeAny(t, []repeated{{L: []int32{1, 2}}}), parquet.Options{}, true},
		{"too many columns", valid, parquet.Options{MaxColumns: 3}, false},
		{"footer too large", valid, parquet.Options{MaxMetadataBytes: 100}, false},
		{"empty", nil, parquet.Options{}, false},
		{"bad magic", append([]byte("PAR2"), valid[4:]...), parquet.Options{}, false},
		{"truncated", valid[:len(valid)-1], parquet.Options{}, false},
		{"footer length", append(valid[:len(valid)-8:len(valid)-8], 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), parquet.Options{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parquet.Open(bytes.NewReader(tt.data), int64(len(tt.data)), tt.opts)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if got := errors.Is(err, parquet.ErrUnsupported); got != tt.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %t", err, got)
			}
			t.Log(err)
		})
	}
}

func writeAny[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pq.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPageLimits checks that page limits are enforced when a chunk is
// read, before parquet-go allocates the page.
func TestPageLimits(t *testing.T) {
	data := writeRows(t, 1000, pq.Compression(&pq.Snappy))
	tests := []struct {
		name string
		opts parquet.Options
	}{
		{"bytes", parquet.Options{MaxPageBytes: 64}},
		{"values", parquet.Options{MaxPageValues: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := open(t, data, tt.opts)
			r, err := f.OpenColumn(0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.ReadFloat64(make([]float64, 10), 0)
			var fe *parquet.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 {
				t.Fatalf("err = %v, want a *FormatError with an offset", err)
			}
		})
	}
}

// TestCorruptPages flips bytes all over a small file: every read must end
// in a value or an error, never a panic.
func TestCorruptPages(t *testing.T) {
	data := writeRows(t, 200, pq.MaxRowsPerRowGroup(70), pq.PageBufferSize(256), pq.Compression(&pq.Snappy))
	for off := 4; off < len(data)-8; off += 3 {
		bad := bytes.Clone(data)
		bad[off] ^= 0x5a
		readAll(bad)
	}
}

// readAll opens data and reads every column, returning the first error.
func readAll(data []byte) error {
	f, err := parquet.Open(bytes.NewReader(data), int64(len(data)), parquet.Options{MaxPageBytes: 1 << 20, MaxPageValues: 1 << 16})
	if err != nil {
		return err
	}
	nums := make([]float64, 100)
	strs := make([]string, 100)
	for i, c := range f.Columns() {
		r, err := f.OpenColumn(i)
		if err != nil {
			return err
		}
		for {
			if c.Numeric() {
				_, err = r.ReadFloat64(nums, 0)
			} else {
				_, err = r.ReadString(strs)
			}
			if err != nil {
				break
			}
		}
		r.Close()
		if err != io.EOF {
			return err
		}
	}
	return nil
}

// seedRow is a narrow row for the fuzz seeds, which must stay small.
type seedRow struct {
	X  float64  `parquet:"x"`
	N  int32    `parquet:"n"`
	C  string   `parquet:"c,dict"`
	OF *float64 `parquet:"of,optional"`
	B  bool     `parquet:"b"`
}

func writeSeed(t *testing.T, n int, opts ...pq.WriterOption) []byte {
	t.Helper()
	rows := make([]seedRow, n)
	for i := range rows {
		r := makeRow(i)
		rows[i] = seedRow{X: r.F64, N: r.I32, C: r.SD, OF: r.OF, B: r.B}
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[seedRow](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTestdata checks the fuzz seeds in testdata (rewritten with -update).
func TestTestdata(t *testing.T) {
	fixtures := map[string][]byte{
		"types.parquet":       writeRows(t, 3),
		"groups_v1.parquet":   writeSeed(t, 10, pq.MaxRowsPerRowGroup(4), pq.DataPageVersion(1), pq.Compression(&pq.Snappy)),
		"pages_zstd.parquet":  writeSeed(t, 10, pq.PageBufferSize(32), pq.Compression(&pq.Zstd)),
		"pages_plain.parquet": writeSeed(t, 6, pq.PageBufferSize(32)),
	}
	for name, data := range fixtures {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if err := readAll(stored); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.parquet"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data)
	})
}
