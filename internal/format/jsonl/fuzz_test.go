package jsonl_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/jsonl"
)

// flatObject decodes line with encoding/json as the reference: ok when it
// is one object whose values are all scalars and whose keys are unique.
func flatObject(line []byte) ([]kv, bool) {
	if !json.Valid(line) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	seen := map[string]bool{}
	out := []kv{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key := tok.(string)
		if seen[key] {
			return nil, false
		}
		seen[key] = true
		val, err := dec.Token()
		if err != nil {
			return nil, false
		}
		switch v := val.(type) {
		case json.Number:
			out = append(out, kv{jsonl.Number, key, string(v)})
		case string:
			out = append(out, kv{jsonl.String, key, v})
		case bool:
			s := "false"
			if v {
				s = "true"
			}
			out = append(out, kv{jsonl.Bool, key, s})
		case nil:
			out = append(out, kv{jsonl.Null, key, ""})
		default:
			return nil, false // nested
		}
	}
	return out, true
}

func FuzzReader(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, bufSize uint8) {
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			return // gzip is tested elsewhere
		}
		// The reader agrees with encoding/json line by line, up to its
		// first error, whatever its buffer size.
		r := jsonl.NewReader(bytes.NewReader(data), jsonl.Options{BufferBytes: int(bufSize) + 1})
		lines := bytes.Split(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), []byte("\n"))
		for _, line := range lines {
			if len(bytes.Trim(line, " \t\r")) == 0 {
				continue
			}
			want, ok := flatObject(line)
			fields, err := r.Read()
			if !ok {
				if err == nil {
					t.Fatalf("line %q: read %d fields, encoding/json refuses it", line, len(fields))
				}
				return
			}
			if err != nil {
				t.Fatalf("line %q: %v, encoding/json reads it", line, err)
			}
			got := []kv{}
			for _, f := range fields {
				got = append(got, kv{f.Kind, string(f.Key), string(f.Value)})
			}
			if len(got) != len(want) {
				t.Fatalf("line %q: got %q, want %q", line, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("line %q: got %q, want %q", line, got, want)
				}
			}
		}
		if _, err := r.Read(); err != io.EOF {
			t.Fatalf("after the last line: %v, want io.EOF", err)
		}
	})
}
