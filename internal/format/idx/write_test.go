package idx_test

import (
	"bytes"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/idx"
)

// TestWriteKnownAnswer pins the bytes of a tiny file: magic 0x00 0x00,
// the type code, the number of dimensions, big-endian u32 sizes, data.
func TestWriteKnownAnswer(t *testing.T) {
	var b bytes.Buffer
	if err := idx.Write(&b, []int{2, 1, 2}, []uint8{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("got % x, want % x", b.Bytes(), want)
	}
	b.Reset()
	if err := idx.Write(&b, []int{1}, []float32{1.5}); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0}; !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("got % x, want % x", b.Bytes(), want)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	data := []float32{0, -1.25, 3e9, 7}
	var b bytes.Buffer
	if err := idx.Write(&b, []int{2, 2}, data); err != nil {
		t.Fatal(err)
	}
	r, err := idx.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 2*r.Header().RecordBytes())
	if n, err := r.ReadRecords(raw); err != nil || n != 2 {
		t.Fatalf("read %d records: %v", n, err)
	}
	got := make([]float64, 4)
	r.Header().DType.Decode(got, raw)
	for i, v := range data {
		if got[i] != float64(v) {
			t.Fatalf("value %d: %g, want %g", i, got[i], v)
		}
	}
	if err := idx.Write(&b, []int{3}, []uint8{1}); err == nil {
		t.Error("dimensions that disagree with the data were written")
	}
}
