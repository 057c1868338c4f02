package jsonl_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/jsonl"
)

// kv is a field in a comparable form: kind letter, key, value.
type kv struct {
	Kind       jsonl.Kind
	Key, Value string
}

func readAll(t testing.TB, in []byte, bufSize int) ([][]kv, error) {
	t.Helper()
	r := jsonl.NewReader(bytes.NewReader(in), jsonl.Options{BufferBytes: bufSize})
	var out [][]kv
	for {
		fields, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		row := []kv{}
		for _, f := range fields {
			row = append(row, kv{f.Kind, string(f.Key), string(f.Value)})
		}
		out = append(out, row)
	}
}

func TestReader(t *testing.T) {
	N, B, S, Z := jsonl.Number, jsonl.Bool, jsonl.String, jsonl.Null
	tests := []struct {
		name string
		in   string
		want [][]kv
	}{
		{"types", `{"n": -1.5e3, "b": true, "s": "x", "z": null, "f": false}`,
			[][]kv{{{N, "n", "-1.5e3"}, {B, "b", "true"}, {S, "s", "x"}, {Z, "z", ""}, {B, "f", "false"}}}},
		{"blank lines and crlf", "\n{\"a\":1}\r\n  \r\n{\"a\":2}\n\n", [][]kv{{{N, "a", "1"}}, {{N, "a", "2"}}}},
		{"empty object", "{}\n{ }\n", [][]kv{{}, {}}},
		{"escapes", `{"k\"ey": "a\\b\/c\n\t\u00e9\ud83d\ude00"}`, [][]kv{{{S, `k"ey`, "a\\b/c\n\té😀"}}}},
		{"lone surrogate", `{"k": "\ud800x\udc00"}`, [][]kv{{{S, "k", "\uFFFDx\uFFFD"}}}},
		{"invalid utf-8", "{\"k\": \"a\xffb\"}", [][]kv{{{S, "k", "a\uFFFDb"}}}},
		{"utf-8 kept", `{"ключ": "значение"}`, [][]kv{{{S, "ключ", "значение"}}}},
		{"bom", "\xef\xbb\xbf{\"a\":0}", [][]kv{{{N, "a", "0"}}}},
		{"numbers", `{"a":0,"b":-0.5,"c":1E+2,"d":12e-3}`,
			[][]kv{{{N, "a", "0"}, {N, "b", "-0.5"}, {N, "c", "1E+2"}, {N, "d", "12e-3"}}}},
		{"many keys", "{" + manyKeys(40) + "}", [][]kv{manyKV(40)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{0, 5} {
				got, err := readAll(t, []byte(tt.in), size)
				if err != nil {
					t.Fatalf("buffer %d: %v", size, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("buffer %d: got %q, want %q", size, got, tt.want)
				}
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(`":1`)
	}
	return b.String()
}

func manyKV(n int) []kv {
	var out []kv
	for i := range n {
		out = append(out, kv{jsonl.Number, "k" + strings.Repeat("x", i), "1"})
	}
	return out
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   error
		record int64
		line   int64
		msg    string
	}{
		{"nested object", "{\"a\":1}\n\n{\"a\": {\"b\": 1}}\n", jsonl.ErrNested, 2, 3, `key "a"`},
		{"nested array", `{"a":[1]}`, jsonl.ErrNested, 1, 1, `key "a"`},
		{"nested escaped key", `{"\u0061":[1]}`, jsonl.ErrNested, 1, 1, `key "a"`},
		{"duplicate key", `{"a":1,"a":2}`, jsonl.ErrDuplicateKey, 1, 1, `"a"`},
		{"duplicate in wide object", "{" + manyKeys(30) + `,"kxx":2}`, jsonl.ErrDuplicateKey, 1, 1, `"kxx"`},
		{"not an object", "[1,2]", jsonl.ErrSyntax, 1, 1, "want an object"},
		{"two objects", `{"a":1} {"a":2}`, jsonl.ErrSyntax, 1, 1, "text after"},
		{"trailing comma", `{"a":1,}`, jsonl.ErrSyntax, 1, 1, "want a key"},
		{"leading zero", `{"a":01}`, jsonl.ErrSyntax, 1, 1, ""},
		{"bare dot", `{"a":1.}`, jsonl.ErrSyntax, 1, 1, "malformed number"},
		{"bad literal", `{"a":tru}`, jsonl.ErrSyntax, 1, 1, "want a value"},
		{"unterminated string", `{"a":"x}`, jsonl.ErrSyntax, 1, 1, "unterminated"},
		{"control char", "{\"a\":\"x\ty\"}", jsonl.ErrSyntax, 1, 1, "control"},
		{"bad escape", `{"a":"\x"}`, jsonl.ErrSyntax, 1, 1, "escape"},
		{"bad unicode escape", `{"a":"\u12"}`, jsonl.ErrSyntax, 1, 1, "escape"},
		{"missing colon", `{"a" 1}`, jsonl.ErrSyntax, 1, 1, "':'"},
		{"unclosed", "{\"a\":1\n", jsonl.ErrSyntax, 1, 1, "end of line"},
		{"line too long", `{"a":"` + strings.Repeat("x", jsonl.MaxLineBytes) + `"}`, jsonl.ErrLineTooLong, 1, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, []byte(tt.in), 64)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var se *jsonl.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if se.Record != tt.record || se.Line != tt.line {
				t.Errorf("record %d line %d, want %d %d", se.Record, se.Line, tt.record, tt.line)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestReaderTooManyKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range jsonl.MaxKeys + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"`)
		b.WriteString(strings.Repeat("k", 1+i%3))
		b.WriteString(`":1`)
	}
	b.WriteString("}")
	if _, err := readAll(t, []byte(b.String()), 0); !errors.Is(err, jsonl.ErrTooManyKeys) {
		t.Errorf("got %v, want ErrTooManyKeys", err)
	}
}

func TestReaderGzip(t *testing.T) {
	var plain bytes.Buffer
	for range 20000 {
		plain.WriteString(`{"a": 1.5, "b": "x\ty"}` + "\n")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	got, err := readAll(t, gz.Bytes(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20000 || got[19999][1].Value != "x\ty" {
		t.Errorf("read %d objects from gzip", len(got))
	}
}

func TestReaderPositions(t *testing.T) {
	r := jsonl.NewReader(strings.NewReader("{\"a\":1}\n\n{\"a\":2}\n"), jsonl.Options{})
	for i, w := range []struct{ line, off int64 }{{1, 0}, {3, 9}} {
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
		if r.Line() != w.line || r.Offset() != w.off || r.Records() != int64(i+1) {
			t.Errorf("object %d: line %d offset %d records %d", i+1, r.Line(), r.Offset(), r.Records())
		}
	}
}
