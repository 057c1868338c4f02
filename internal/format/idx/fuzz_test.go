package idx_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/idx"
)

func FuzzReader(f *testing.F) {
	files, err := filepath.Glob("testdata/*idx*")
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
		r, err := idx.NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		h := r.Header()
		if len(h.Dims) == 0 || len(h.Dims) > idx.MaxDims || h.RecordBytes() <= 0 || h.RecordBytes() > idx.MaxRecordBytes {
			t.Fatalf("header %+v passes the limits", h)
		}
		vals := make([]float64, h.RecordValues())
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			h.DType.Decode(vals, rec)
			n++
		}
		if n != h.Records() {
			t.Fatalf("read %d records, header declares %d", n, h.Records())
		}
		if !h.Gzip && r.Offset() != int64(len(b)) {
			t.Fatalf("offset %d at the end of %d bytes", r.Offset(), len(b))
		}
	})
}
