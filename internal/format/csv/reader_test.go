package csv_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// readAll reads every record, copying the fields out.
func readAll(t testing.TB, in []byte, opts csv.Options) ([][]string, error) {
	t.Helper()
	r, err := csv.NewReader(bytes.NewReader(in), opts)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		row := make([]string, len(rec))
		for i, f := range rec {
			row[i] = string(f)
		}
		out = append(out, row)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts csv.Options
		want [][]string
	}{
		{"simple", "a,b\n1,2\n", csv.Options{}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"no final newline", "a,b\n1,2", csv.Options{}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"crlf", "a,b\r\n1,2\r\n", csv.Options{}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"cr inside field is data", "a\rb,c\n", csv.Options{}, [][]string{{"a\rb", "c"}}},
		{"empty fields", ",\n,x\n", csv.Options{}, [][]string{{"", ""}, {"", "x"}}},
		{"trailing delimiter", "a,\n", csv.Options{}, [][]string{{"a", ""}}},
		{"quoted", `"a,b","c""d"` + "\n", csv.Options{}, [][]string{{"a,b", `c"d`}}},
		{"quoted empty", `"",x` + "\n", csv.Options{}, [][]string{{"", "x"}}},
		{"only escapes", `""""` + "\n", csv.Options{}, [][]string{{`"`}}},
		{"embedded newline", "\"a\nb\",c\n\"x\r\ny\",z\n", csv.Options{}, [][]string{{"a\nb", "c"}, {"x\r\ny", "z"}}},
		{"quoted then crlf", "\"a\"\r\n\"b\"\r\n", csv.Options{}, [][]string{{"a"}, {"b"}}},
		{"quoted at eof", `"a","b"`, csv.Options{}, [][]string{{"a", "b"}}},
		{"bare quote in unquoted field", "a\"b,c\n", csv.Options{}, [][]string{{`a"b`, "c"}}},
		{"bom stripped", "\xef\xbb\xbfa,b\n1,2\n", csv.Options{}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"bom only at start", "a\n\xef\xbb\xbf\n", csv.Options{}, [][]string{{"a"}, {"\xef\xbb\xbf"}}},
		{"blank lines skipped", "\n\na,b\n\n1,2\r\n\r\n\n", csv.Options{}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"blank lines kept for one column", "a\n\n1\n\n", csv.Options{}, [][]string{{"a"}, {""}, {"1"}, {""}}},
		{"tab delimiter", "a\tb\n1,5\t2\n", csv.Options{Comma: '\t'}, [][]string{{"a", "b"}, {"1,5", "2"}}},
		{"ragged allowed", "a\n1,2\n", csv.Options{FieldsPerRecord: -1}, [][]string{{"a"}, {"1", "2"}}},
		{"empty input", "", csv.Options{}, nil},
		{"tiny buffer", "\"ab\"\"cd\",efgh\r\nijkl,\"m\nn\"\r\n", csv.Options{BufferBytes: 4},
			[][]string{{`ab"cd`, "efgh"}, {"ijkl", "m\nn"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, []byte(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   error
		record int64
		line   int64
		offset int64
	}{
		{"ragged row", "a,b\n1,2\n3\n", csv.ErrFieldCount, 3, 3, 8},
		{"ragged after multiline field", "a,b\n\"x\ny\",2\n3,4,5\n", csv.ErrFieldCount, 3, 4, 12},
		{"unclosed quote", "a,b\n1,\"2\n", csv.ErrQuote, 2, 2, 6},
		{"text after closing quote", "a,b\n\"1\"x,2\n", csv.ErrQuote, 2, 2, 7},
		{"cr then text after closing quote", "\"1\"\rx\n", csv.ErrQuote, 1, 1, 3},
		{"field too long", strings.Repeat("x", csv.MaxFieldBytes+1), csv.ErrFieldTooLong, 1, 1, 0},
		{"quoted field too long", `"` + strings.Repeat("x", csv.MaxFieldBytes) + `"`, csv.ErrFieldTooLong, 1, 1, 0},
		{"too many columns", strings.Repeat(",", csv.MaxColumns), csv.ErrTooManyColumns, 1, 1, csv.MaxColumns},
		{"record too long", strings.Repeat(strings.Repeat("x", 1000)+",", csv.MaxRecordBytes/1000+1), csv.ErrRecordTooLong, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, []byte(tt.in), csv.Options{BufferBytes: 64})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Record != tt.record || pe.Line != tt.line || pe.Offset != tt.offset {
				t.Errorf("record %d line %d offset %d, want %d %d %d (%v)",
					pe.Record, pe.Line, pe.Offset, tt.record, tt.line, tt.offset, err)
			}
		})
	}
}

func TestReaderErrorIsSticky(t *testing.T) {
	r, err := csv.NewReader(strings.NewReader("a,b\n1\n2,3\n"), csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	_, err1 := r.Read()
	_, err2 := r.Read()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v then %v, want the same error twice", err1, err2)
	}
	if !strings.Contains(err1.Error(), "record 2") {
		t.Errorf("error %q does not name record 2", err1)
	}
}

func TestReaderPositions(t *testing.T) {
	r, err := csv.NewReader(strings.NewReader("a,b\n\n\"x\ny\",1\n2,3\n"), csv.Options{BufferBytes: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ line, offset int64 }{{1, 0}, {3, 5}, {5, 13}}
	for i, w := range want {
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
		if r.Line() != w.line || r.Offset() != w.offset || r.Records() != int64(i+1) {
			t.Errorf("record %d: line %d offset %d records %d, want %d %d %d",
				i+1, r.Line(), r.Offset(), r.Records(), w.line, w.offset, i+1)
		}
	}
}

func TestReaderGzip(t *testing.T) {
	var plain bytes.Buffer
	plain.WriteString("x,y\n")
	for i := range 50000 {
		plain.WriteString("1.5,")
		plain.WriteString(strings.Repeat("z", i%7))
		plain.WriteString("\n")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	want, err := readAll(t, plain.Bytes(), csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, gz.Bytes(), csv.Options{BufferBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gzip input read %d records, plain %d", len(got), len(want))
	}

	corrupt := bytes.Clone(gz.Bytes()[:gz.Len()/2])
	if _, err := readAll(t, corrupt, csv.Options{}); err == nil {
		t.Error("truncated gzip read without error")
	}
}

func TestNewReaderRejectsDelimiter(t *testing.T) {
	for _, c := range []byte{'"', '\n', '\r'} {
		if _, err := csv.NewReader(strings.NewReader(""), csv.Options{Comma: c}); err == nil {
			t.Errorf("delimiter %q accepted", c)
		}
	}
}
