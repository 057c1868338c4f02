package npy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

func FuzzReadHeader(f *testing.F) {
	files, err := filepath.Glob("testdata/*.npy")
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
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		h, err := npy.ReadHeader(r)
		if err != nil {
			return
		}
		if consumed := int64(len(b) - r.Len()); consumed != h.HeaderLen {
			t.Fatalf("consumed %d bytes, HeaderLen %d", consumed, h.HeaderLen)
		}
		if len(h.Shape) > npy.MaxDims {
			t.Fatalf("%d dims", len(h.Shape))
		}
		nonzero := int64(1)
		for _, d := range h.Shape {
			if d < 0 {
				t.Fatalf("negative dimension in %v", h.Shape)
			}
			if d > 0 {
				nonzero *= d
			}
		}
		if nonzero > npy.MaxElements {
			t.Fatalf("shape %v beyond MaxElements", h.Shape)
		}
		d, err := npy.ParseDType(h.DType.String())
		if err != nil || d != h.DType && h.DType.Size > 1 {
			t.Fatalf("dtype %+v does not round-trip: %+v, %v", h.DType, d, err)
		}
		// Decoding whatever data follows must not panic.
		n := min(int64(r.Len())/int64(h.DType.Size), h.Elements())
		h.DType.Decode(make([]float64, n), b[h.HeaderLen:])
	})
}
