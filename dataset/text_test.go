package dataset_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

// textTable is a source read to the end in a comparable form.
type textTable struct {
	Schema  []string   // "name:kind"
	Rows    [][]string // values; numeric as %g, Missing as "?"
	Labels  []string
	IDs     []string
	Offsets []int64
	Invalid []int64
}

func writeTextFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readTextTable(t *testing.T, path string, opts dataset.Options) (*textTable, error) {
	t.Helper()
	src, err := dataset.Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tb := &textTable{}
	for _, c := range src.Schema().Columns {
		tb.Schema = append(tb.Schema, c.Name+":"+c.Kind.String())
	}
	for {
		b, err := src.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			return tb, err
		}
		tb.Offsets = append(tb.Offsets, b.Offset)
		for r := range b.Rows {
			var row []string
			for j, c := range src.Schema().Columns {
				if c.Kind == dataset.Numeric {
					v := b.Cols[j].Num[r]
					if dataset.IsMissing(v) {
						row = append(row, "?")
					} else {
						row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
					}
				} else {
					row = append(row, b.Cols[j].Str[r])
				}
			}
			tb.Rows = append(tb.Rows, row)
		}
		tb.Labels = append(tb.Labels, b.Labels...)
		tb.IDs = append(tb.IDs, b.IDs...)
	}
	if inv, ok := src.(interface{ Invalid() []int64 }); ok {
		tb.Invalid = inv.Invalid()
	}
	return tb, nil
}

func TestTextSources(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		opts dataset.Options
		want textTable
	}{
		{
			name: "inference",
			file: "x.csv",
			data: "num, flag ,cat,gap,nan\n" +
				"1,True,a,,nan\n" +
				" 2.5 ,FALSE,b ,NA,-Inf\n" +
				"NA,,3,n/a,1e400\n" +
				"null,true,,NULL,0x1p-2\n",
			want: textTable{
				Schema: []string{"num:numeric", "flag:boolean", "cat:categorical", "gap:numeric", "nan:numeric"},
				Rows: [][]string{
					{"1", "true", "a", "?", "NaN"},
					{"2.5", "false", "b", "?", "-Inf"},
					{"?", "", "3", "?", "+Inf"},
					{"?", "true", "", "?", "0.25"},
				},
				Offsets: []int64{0},
				Invalid: []int64{0, 0, 0, 0, 0},
			},
		},
		{
			name: "invalid after the sample",
			file: "x.csv",
			data: "n,b,c\n1,true,x\n2,false,y\noops,Maybe,3\n,TRUE,\n",
			opts: dataset.Options{InferRows: 2},
			want: textTable{
				Schema:  []string{"n:numeric", "b:boolean", "c:categorical"},
				Rows:    [][]string{{"1", "true", "x"}, {"2", "false", "y"}, {"?", "maybe", "3"}, {"?", "true", ""}},
				Offsets: []int64{0},
				Invalid: []int64{1, 1, 0},
			},
		},
		{
			name: "labels ids and batches",
			file: "x.csv",
			data: "id,x,y\nr1,1,3\nr2,2,3.0\nr3,3, 3 \nr4,4,cat\nr5,5,NA\n",
			opts: dataset.Options{Label: "y", ID: "id", BatchRows: 2, InferRows: 3},
			want: textTable{
				Schema:  []string{"x:numeric"},
				Rows:    [][]string{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}},
				Labels:  []string{"3", "3", "3", "cat", ""},
				IDs:     []string{"r1", "r2", "r3", "r4", "r5"},
				Offsets: []int64{0, 2, 4},
				Invalid: []int64{0},
			},
		},
		{
			name: "gzip tsv with crlf, quotes and unnamed column",
			file: "x.tsv.gz",
			data: "\ta b\tc\r\n0\t\"x\ty\"\t\"1\"\r\n1\t\"q\"\"\"\t2\r\n",
			want: textTable{
				Schema:  []string{"col1:numeric", "a b:categorical", "c:numeric"},
				Rows:    [][]string{{"0", "x\ty", "1"}, {"1", `q"`, "2"}},
				Offsets: []int64{0},
				Invalid: []int64{0, 0, 0},
			},
		},
		{
			name: "header only",
			file: "x.csv",
			data: "a,b\n",
			want: textTable{Schema: []string{"a:numeric", "b:numeric"}, Invalid: []int64{0, 0}},
		},
		{
			name: "jsonl",
			file: "x.jsonl",
			data: `{"a": 1, "b": "x", "c": true, "d": null, "y": 2}` + "\n" +
				`{"b": "NA", "a": "2.5", "y": 2.0}` + "\n\n" +
				`{"a": null, "c": false, "d": "z", "y": "dog"}` + "\n",
			opts: dataset.Options{Label: "y"},
			want: textTable{
				Schema:  []string{"a:numeric", "b:categorical", "c:boolean", "d:categorical"},
				Rows:    [][]string{{"1", "x", "true", ""}, {"2.5", "", "", ""}, {"?", "", "false", "z"}},
				Labels:  []string{"2", "2", "dog"},
				Offsets: []int64{0},
				Invalid: []int64{0, 0, 0, 0},
			},
		},
		{
			name: "jsonl gzip",
			file: "x.ndjson.gz",
			data: `{"a": 1}` + "\n" + `{"a": 2}`,
			want: textTable{Schema: []string{"a:numeric"}, Rows: [][]string{{"1"}, {"2"}}, Offsets: []int64{0}, Invalid: []int64{0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readTextTable(t, writeTextFile(t, tt.file, tt.data), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestTextSourceErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		opts dataset.Options
		row  int64 // 0: not an *InputError, or no row
		msg  []string
	}{
		{"ragged row", "x.csv", "a,b\n1,2\n3,4\n5\n", dataset.Options{}, 3,
			[]string{"row 3", "line 4", "wrong number of fields"}},
		{"ragged row after the sample", "x.csv", "a,b\n1,2\n3,4\n5\n", dataset.Options{InferRows: 1}, 3,
			[]string{"row 3"}},
		{"unclosed quote", "x.csv", "a,b\n1,\"2\n", dataset.Options{}, 1, []string{"row 1", "never closed"}},
		{"missing label column", "x.csv", "a,b\n1,2\n", dataset.Options{Label: "y"}, 0,
			[]string{`no label column "y"`, `"a", "b"`}},
		{"missing id column", "x.csv", "a,b\n1,2\n", dataset.Options{ID: "id"}, 0, []string{`no id column "id"`}},
		{"duplicate header", "x.csv", "a,b, a\n1,2,3\n", dataset.Options{}, 0, []string{`"a" appears twice`}},
		{"empty file", "x.csv", "", dataset.Options{}, 0, []string{"empty file"}},
		{"jsonl unknown key", "x.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"b\":3}\n", dataset.Options{}, 3,
			[]string{"row 3", `unknown key "b"`}},
		{"jsonl nested", "x.jsonl", "{\"a\":1}\n{\"a\":{\"b\":1}}\n", dataset.Options{}, 2,
			[]string{"row 2", "nested", `key "a"`}},
		{"jsonl no keys", "x.jsonl", "{}\n", dataset.Options{}, 1, []string{"no keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readTextTable(t, writeTextFile(t, tt.file, tt.data), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
			var ie *dataset.InputError
			if tt.row > 0 && (!errors.As(err, &ie) || ie.Row != tt.row) {
				t.Errorf("error %v: want an *InputError at row %d", err, tt.row)
			}
		})
	}
}

func TestNumericValuesExact(t *testing.T) {
	// Values must be bit-identical to strconv.ParseFloat, and a present
	// NaN must not read as Missing.
	src, err := dataset.Open(writeTextFile(t, "x.csv", "v\n0.1\n-0\n1e-320\nNaN\n"), dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"0.1", "-0", "1e-320", "NaN"} {
		want, _ := strconv.ParseFloat(s, 64)
		v := b.Cols[0].Num[i]
		if math.Float64bits(v) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(v)) {
			t.Errorf("%s read as %v", s, v)
		}
		if dataset.IsMissing(v) {
			t.Errorf("%s read as Missing", s)
		}
	}
}

func TestOpenLabelsText(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want []string
	}{
		{"numbers", "y.csv", "1\n2.0\n 3 \n", []string{"1", "2", "3"}},
		{"header by name", "y.csv", "Label\ncat\ndog\n", []string{"cat", "dog"}},
		{"header before numbers", "y.txt", "digit\n7\n", []string{"7"}},
		{"no header among words", "y.csv", "cat\ndog\n", []string{"cat", "dog"}},
		{"blank line is missing", "y.csv", "1\n\n2\nNA\n", []string{"1", "", "2", ""}},
		{"single line", "y.csv", "5", []string{"5"}},
		{"only a header", "y.csv", "label\n", nil},
		{"gzip", "y.csv.gz", "label\n0\n1\n", []string{"0", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, err := dataset.OpenLabels(writeTextFile(t, tt.file, tt.data))
			if err != nil {
				t.Fatal(err)
			}
			defer lr.Close()
			var got []string
			for {
				ls, err := lr.Read(2)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ls...)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenLabelsTextErrors(t *testing.T) {
	lr, err := dataset.OpenLabels(writeTextFile(t, "y.csv", "label\n1\n2\n3,4\n"))
	if err == nil {
		_, err = lr.Read(10)
		lr.Close()
	}
	var ie *dataset.InputError
	if !errors.As(err, &ie) || ie.Row != 3 || !strings.Contains(err.Error(), "one column") {
		t.Errorf("got %v, want an error at label row 3 about one column", err)
	}
}

func TestOpenWithLabelsFile(t *testing.T) {
	data := writeTextFile(t, "x.csv", "a\n1\n2\n3\n")
	labels := writeTextFile(t, "y.csv", "label\n0\n1\n0.0\n")
	got, err := readTextTable(t, data, dataset.Options{LabelsFile: labels, BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0", "1", "0"}; !reflect.DeepEqual(got.Labels, want) {
		t.Errorf("labels %q, want %q", got.Labels, want)
	}
}

// BenchmarkOpenCSV reads a numeric CSV file through dataset.Open:
// tokenizer, parsing, inference and batching together.
func BenchmarkOpenCSV(b *testing.B) {
	const rows, cols = 100000, 50
	var data strings.Builder
	for c := range cols {
		if c > 0 {
			data.WriteByte(',')
		}
		data.WriteString("f" + strconv.Itoa(c))
	}
	data.WriteByte('\n')
	x := 0.0
	for r := range rows {
		for c := range cols {
			if c > 0 {
				data.WriteByte(',')
			}
			x = math.Mod(x*31+float64(r+c)+0.1234, 1000) - 500
			data.WriteString(strconv.FormatFloat(x, 'f', 4, 64))
		}
		data.WriteByte('\n')
	}
	path := filepath.Join(b.TempDir(), "bench.csv")
	if err := os.WriteFile(path, []byte(data.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(data.Len()))
	for b.Loop() {
		src, err := dataset.Open(path, dataset.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Next(context.Background()); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		src.Close()
	}
	b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
