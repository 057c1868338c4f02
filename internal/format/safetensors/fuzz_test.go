package safetensors_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/safetensors"
)

// FuzzRead checks that Read never panics, that it and ReadHeader agree,
// and that every file Read accepts writes back to bytes that read as the
// same tensors and write again to the same bytes.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob("testdata/*.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, ka := range knownAnswers {
		f.Add([]byte(ka.want))
	}
	for _, r := range rejections {
		f.Add(r.file)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		size := int64(len(b))
		h, herr := safetensors.ReadHeader(bytes.NewReader(b), size, safetensors.Limits{})
		file, err := safetensors.Read(bytes.NewReader(b), size, safetensors.Limits{})
		if (herr == nil) != (err == nil) {
			t.Fatalf("ReadHeader error %v, Read error %v", herr, err)
		}
		if err != nil {
			if !errors.Is(err, safetensors.ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}

		var end int64
		for i, ti := range h.Tensors {
			if ti.Begin != end || ti.End < ti.Begin {
				t.Fatalf("tensor %q at [%d, %d] after offset %d", ti.Name, ti.Begin, ti.End, end)
			}
			end = ti.End
			tensor := file.Tensors[i]
			if tensor.Name != ti.Name || !bytes.Equal(tensor.Data, b[h.DataStart+ti.Begin:h.DataStart+ti.End]) {
				t.Fatalf("tensor %d: Read gives %q, ReadHeader %q at [%d, %d]", i, tensor.Name, ti.Name, ti.Begin, ti.End)
			}
		}
		if h.DataStart+end != size {
			t.Fatalf("tensors end at %d of a %d-byte file", h.DataStart+end, size)
		}

		var out bytes.Buffer
		if err := safetensors.Write(&out, file); err != nil {
			t.Fatalf("Write of an accepted file: %v", err)
		}
		again, err := safetensors.Read(bytes.NewReader(out.Bytes()), int64(out.Len()), safetensors.Limits{})
		if err != nil {
			t.Fatalf("reading what Write wrote: %v", err)
		}
		assertSame(t, again, file)
		var out2 bytes.Buffer
		if err := safetensors.Write(&out2, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("Write is not stable:\n%q\n%q", out.Bytes(), out2.Bytes())
		}
	})
}
