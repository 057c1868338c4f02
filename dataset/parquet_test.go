package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/poisonguard/poisonguard/dataset"
)

type pqRow struct {
	ID    string   `parquet:"id"`
	X     float64  `parquet:"x"`
	N     int32    `parquet:"n"`
	Opt   *float32 `parquet:"opt,optional"`
	Color string   `parquet:"color,dict"`
	Note  *string  `parquet:"note,optional"`
	Flag  bool     `parquet:"flag"`
	OFlag *bool    `parquet:"oflag,optional"`
	Y     int64    `parquet:"y"`
}

func makePQRow(i int) pqRow {
	r := pqRow{
		ID:    fmt.Sprintf("r%03d", i),
		X:     float64(i)/8 - 2,
		N:     int32(i * -3),
		Color: []string{"red", "green", "blue"}[i%3],
		Flag:  i%2 == 0,
		Y:     int64(i % 4),
	}
	if i%3 != 0 {
		v := float32(i) * 0.5
		r.Opt = &v
	}
	if i%4 == 0 {
		v := "note" + strconv.Itoa(i)
		r.Note = &v
	}
	if i%5 != 0 {
		v := i%5 == 1
		r.OFlag = &v
	}
	return r
}

func writeParquet[T any](t testing.TB, rows []T, opts ...pq.WriterOption) string {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "data.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pqTable is a whole source read into memory, one text cell per value
// (numbers in FormatLabel form, missing numbers as "NA").
type pqTable struct {
	schema  dataset.Schema
	cells   [][]string // row-major
	labels  []string
	ids     []string
	offsets []int64
}

func readParquetTable(t *testing.T, path string, opts dataset.Options) (pqTable, error) {
	t.Helper()
	src, err := dataset.Open(path, opts)
	if err != nil {
		return pqTable{}, err
	}
	defer src.Close()
	tab := pqTable{schema: src.Schema()}
	for {
		b, err := src.Next(context.Background())
		if err == io.EOF {
			return tab, nil
		}
		if err != nil {
			return tab, err
		}
		tab.offsets = append(tab.offsets, b.Offset)
		for i := range b.Rows {
			var row []string
			for j, c := range tab.schema.Columns {
				if c.Kind == dataset.Numeric {
					v := b.Cols[j].Num[i]
					if dataset.IsMissing(v) {
						row = append(row, "NA")
					} else {
						row = append(row, dataset.FormatLabel(v))
					}
				} else {
					row = append(row, b.Cols[j].Str[i])
				}
			}
			tab.cells = append(tab.cells, row)
		}
		if b.Labels != nil {
			tab.labels = append(tab.labels, b.Labels...)
		}
		if b.IDs != nil {
			tab.ids = append(tab.ids, b.IDs...)
		}
	}
}

// wantCells renders row i of makePQRow the way readParquetTable does,
// leaving out the named columns.
func wantCells(i int, skip ...string) []string {
	r := makePQRow(i)
	num := func(p *float32) string {
		if p == nil {
			return "NA"
		}
		return dataset.FormatLabel(float64(*p))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	oflag := ""
	if r.OFlag != nil {
		oflag = strconv.FormatBool(*r.OFlag)
	}
	all := []struct{ name, v string }{
		{"id", r.ID},
		{"x", dataset.FormatLabel(r.X)},
		{"n", strconv.Itoa(int(r.N))},
		{"opt", num(r.Opt)},
		{"color", r.Color},
		{"note", str(r.Note)},
		{"flag", strconv.FormatBool(r.Flag)},
		{"oflag", oflag},
		{"y", strconv.FormatInt(r.Y, 10)},
	}
	var out []string
next:
	for _, c := range all {
		for _, s := range skip {
			if c.name == s {
				continue next
			}
		}
		out = append(out, c.v)
	}
	return out
}

func TestParquet(t *testing.T) {
	const n = 250
	rows := make([]pqRow, n)
	for i := range rows {
		rows[i] = makePQRow(i)
	}
	small := []pq.WriterOption{pq.MaxRowsPerRowGroup(60), pq.PageBufferSize(200)}
	tests := []struct {
		name       string
		writer     []pq.WriterOption
		opts       dataset.Options
		skip       []string
		wantLabels func(i int) string
		wantIDs    bool
	}{
		{name: "features only", opts: dataset.Options{BatchRows: 64}},
		{name: "row groups pages and odd batches", writer: small, opts: dataset.Options{BatchRows: 7}},
		{
			name: "numeric label and id", writer: small,
			opts: dataset.Options{Label: "y", ID: "id", BatchRows: 13},
			skip: []string{"y", "id"}, wantIDs: true,
			wantLabels: func(i int) string { return strconv.Itoa(i % 4) },
		},
		{
			name: "text label and numeric id", writer: append([]pq.WriterOption{pq.Compression(&pq.Snappy), pq.DataPageVersion(1)}, small...),
			opts:       dataset.Options{Label: "color", ID: "n", BatchRows: 100},
			skip:       []string{"color", "n"},
			wantLabels: func(i int) string { return []string{"red", "green", "blue"}[i%3] },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeParquet(t, rows, tt.writer...)
			tab, err := readParquetTable(t, path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			names := strings.Fields("id x n opt color note flag oflag y")
			kinds := map[string]dataset.Kind{"id": dataset.Categorical, "x": dataset.Numeric, "n": dataset.Numeric,
				"opt": dataset.Numeric, "color": dataset.Categorical, "note": dataset.Categorical,
				"flag": dataset.Boolean, "oflag": dataset.Boolean, "y": dataset.Numeric}
			var want []dataset.Column
			for _, name := range names {
				if !contains(tt.skip, name) {
					want = append(want, dataset.Column{Name: name, Kind: kinds[name]})
				}
			}
			if fmt.Sprint(tab.schema.Columns) != fmt.Sprint(want) {
				t.Fatalf("schema = %v, want %v", tab.schema.Columns, want)
			}
			if len(tab.cells) != n {
				t.Fatalf("read %d rows, want %d", len(tab.cells), n)
			}
			for i, row := range tab.cells {
				if w := wantCells(i, tt.skip...); fmt.Sprint(row) != fmt.Sprint(w) {
					t.Fatalf("row %d = %q, want %q", i, row, w)
				}
			}
			for k, off := range tab.offsets {
				if off != int64(k*tt.opts.BatchRows) {
					t.Fatalf("batch %d offset = %d, want %d", k, off, k*tt.opts.BatchRows)
				}
			}
			switch {
			case tt.wantLabels == nil && tab.labels != nil:
				t.Errorf("labels without a label column")
			case tt.wantLabels != nil:
				if len(tab.labels) != n {
					t.Fatalf("read %d labels, want %d", len(tab.labels), n)
				}
				for i, l := range tab.labels {
					if l != tt.wantLabels(i) {
						t.Fatalf("label %d = %q, want %q", i, l, tt.wantLabels(i))
					}
				}
			}
			if tt.opts.ID == "" && tab.ids != nil {
				t.Errorf("ids without an id column")
			}
			if tt.opts.ID != "" {
				for i, id := range tab.ids {
					w := rows[i].ID
					if tt.opts.ID == "n" {
						w = strconv.Itoa(int(rows[i].N))
					}
					if id != w {
						t.Fatalf("id %d = %q, want %q", i, id, w)
					}
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestParquetErrors(t *testing.T) {
	rows := make([]pqRow, 100)
	for i := range rows {
		rows[i] = makePQRow(i)
	}
	path := writeParquet(t, rows)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Break the first page of column x: its header starts where column
	// id's chunk ends, and a page header starting with a stop byte is
	// empty and misses required fields.
	pf, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	xPage := pf.Metadata().RowGroups[0].Columns[1].MetaData.DataPageOffset
	corrupt := bytes.Clone(data)
	corrupt[xPage] = 0
	corruptPath := filepath.Join(t.TempDir(), "corrupt.parquet")
	if err := os.WriteFile(corruptPath, corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	truncPath := filepath.Join(t.TempDir(), "trunc.parquet")
	if err := os.WriteFile(truncPath, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}

	type uuidRow struct {
		X float64  `parquet:"x"`
		U [16]byte `parquet:"u"`
	}
	uuidPath := writeParquet(t, []uuidRow{{X: 1}})

	tests := []struct {
		name       string
		path       string
		opts       dataset.Options
		wantInput  bool
		wantOffset int64
		wantText   string
	}{
		{name: "missing label", path: path, opts: dataset.Options{Label: "nope"}, wantText: `"id", "x", "n"`},
		{name: "missing id", path: path, opts: dataset.Options{ID: "nope"}, wantText: `no id column "nope"`},
		{name: "unsupported type", path: uuidPath, opts: dataset.Options{}, wantText: `column "u" has type FIXED_LEN_BYTE_ARRAY`},
		{name: "corrupt page", path: corruptPath, opts: dataset.Options{Format: dataset.FormatParquet}, wantInput: true, wantOffset: xPage},
		{name: "truncated", path: truncPath, opts: dataset.Options{Format: dataset.FormatParquet}, wantInput: true, wantOffset: -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readParquetTable(t, tt.path, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			var ie *dataset.InputError
			if got := errors.As(err, &ie); got != tt.wantInput {
				t.Fatalf("error %v: InputError = %t, want %t", err, got, tt.wantInput)
			}
			if ie == nil {
				return
			}
			if ie.Path != tt.path {
				t.Errorf("InputError.Path = %q, want %q", ie.Path, tt.path)
			}
			if tt.wantOffset != -2 && ie.Offset != tt.wantOffset {
				t.Errorf("InputError.Offset = %d, want %d (%v)", ie.Offset, tt.wantOffset, err)
			}
		})
	}
}

func TestParquetEmpty(t *testing.T) {
	path := writeParquet(t, []pqRow{})
	tab, err := readParquetTable(t, path, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.cells) != 0 || len(tab.schema.Columns) != 9 {
		t.Fatalf("read %d rows and %d columns, want 0 and 9", len(tab.cells), len(tab.schema.Columns))
	}
}

type benchRow struct {
	C0, C1, C2, C3, C4, C5, C6, C7, C8, C9 float64
}

func BenchmarkParquetFloat64(b *testing.B) {
	const rows, cols = 1_000_000, 10
	data := make([]benchRow, rows)
	for i := range data {
		x := float64(i)
		data[i] = benchRow{x, x + 1, x * 2, x / 3, -x, x * x, x + 0.5, x - 7, x / 9, x * 1.5}
	}
	for _, codec := range []struct {
		name string
		opt  pq.WriterOption
	}{
		{"uncompressed", pq.Compression(&pq.Uncompressed)},
		{"snappy", pq.Compression(&pq.Snappy)},
	} {
		path := writeParquet(b, data, codec.opt)
		b.Run("poisonguard/"+codec.name, func(b *testing.B) {
			for b.Loop() {
				src, err := dataset.Open(path, dataset.Options{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					batch, err := src.Next(context.Background())
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n += batch.Rows
				}
				src.Close()
				if n != rows {
					b.Fatalf("read %d rows", n)
				}
			}
			b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
		})
		// The library's generic row reader, for comparison.
		b.Run("parquet-go-rows/"+codec.name, func(b *testing.B) {
			buf := make([]pq.Row, 1024)
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				r := pq.NewReader(f)
				n := 0
				for {
					k, err := r.ReadRows(buf)
					n += k
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				r.Close()
				f.Close()
				if n != rows {
					b.Fatalf("read %d rows", n)
				}
			}
			b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
		})
	}
}
