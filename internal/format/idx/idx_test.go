package idx_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/idx"
)

// want returns value i of record k as gen.py wrote it.
func want(t idx.Type, k, i int) float64 {
	switch t {
	case idx.UByte:
		return float64((k*100 + i) % 256)
	case idx.SByte:
		v := float64(k*10 + i)
		if k%2 == 1 {
			v = -v
		}
		return v
	}
	v := float64(k*100 + i)
	if k%2 == 1 {
		v = -v
	}
	return v
}

func TestReaderTypes(t *testing.T) {
	for _, tc := range []struct {
		file string
		typ  idx.Type
		gzip bool
	}{
		{"ubyte-idx3", idx.UByte, false},
		{"ubyte-idx3.gz", idx.UByte, true},
		{"sbyte-idx3", idx.SByte, false},
		{"short-idx3", idx.Short, false},
		{"int-idx3", idx.Int, false},
		{"float-idx3", idx.Float, false},
		{"double-idx3", idx.Double, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := idx.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			if h.Type != tc.typ || h.Gzip != tc.gzip || !slices.Equal(h.Dims, []int{3, 2, 2}) || h.Len != 16 {
				t.Fatalf("header %+v", h)
			}
			if h.RecordValues() != 4 || h.Records() != 3 {
				t.Fatalf("%d records of %d values", h.Records(), h.RecordValues())
			}
			got := make([]float64, 4)
			for k := range 3 {
				rec, err := r.Next()
				if err != nil {
					t.Fatalf("record %d: %v", k, err)
				}
				h.DType.Decode(got, rec)
				for i, v := range got {
					if v != want(tc.typ, k, i) {
						t.Errorf("record %d value %d = %v, want %v", k, i, v, want(tc.typ, k, i))
					}
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after the last record: %v, want io.EOF", err)
			}
			if r.Offset() != 16+3*int64(h.RecordBytes()) {
				t.Errorf("Offset = %d", r.Offset())
			}
		})
	}
}

func TestReadRecords(t *testing.T) {
	b, err := os.ReadFile("testdata/ubyte-idx3.gz")
	if err != nil {
		t.Fatal(err)
	}
	r, err := idx.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 9) // two records of 4 bytes fit
	var got []byte
	var counts []int
	for {
		n, err := r.ReadRecords(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
		got = append(got, buf[:4*n]...)
	}
	if !slices.Equal(counts, []int{2, 1}) {
		t.Errorf("record counts %v, want [2 1]", counts)
	}
	if !bytes.Equal(got, []byte{0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203}) {
		t.Errorf("records %v", got)
	}
	if _, err := r.ReadRecords(make([]byte, 3)); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

func TestReadRecordsSmallBuffer(t *testing.T) {
	b, _ := os.ReadFile("testdata/ubyte-idx3")
	r, err := idx.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadRecords(make([]byte, 3)); err == nil {
		t.Error("a buffer smaller than a record was accepted")
	}
}

// file builds an IDX stream.
func file(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestReaderMalformed(t *testing.T) {
	labels := file(0x08, []uint32{3}, []byte{1, 2, 3})
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty", nil, "unexpected EOF"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "not an IDX file"},
		{"unknown type", file(0x0A, []uint32{1}, []byte{0}), "unknown IDX element type 0x0a"},
		{"no dims", file(0x08, nil, nil), "0 dimensions"},
		{"too many dims", file(0x08, make([]uint32, idx.MaxDims+1), nil), "dimensions"},
		{"truncated dims", file(0x08, []uint32{1, 2}, nil)[:9], "unexpected EOF"},
		{"empty record", file(0x08, []uint32{5, 28, 0}, nil), "no values"},
		{"huge record", file(0x0E, []uint32{1, 1 << 12, 1 << 12}, nil), "exceeds"},
		{"overflowing record", file(0x08, []uint32{1, 1 << 31, 1 << 31, 1 << 31}, nil), "exceeds"},
		{"truncated data", labels[:len(labels)-1], "record 3 of 3: unexpected EOF"},
		{"trailing data", append(slices.Clone(labels), 9), "data after the 3 records"},
		{"truncated gzip", gz(labels)[:20], "unexpected EOF"},
		{"short garbage after gzip", append(gz(labels), 1, 2, 3), "after the last record"},
		{"garbage after gzip", append(gz(labels), "0123456789abcdef"...), "after the last record: gzip: invalid header"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0}, "idx gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readAll(tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

// readAll reads every record of an IDX stream and returns the first error
// other than io.EOF.
func readAll(b []byte) error {
	r, err := idx.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func TestHeaderIsACopy(t *testing.T) {
	b, _ := os.ReadFile("testdata/labels-idx1-ubyte")
	r, err := idx.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Header().Dims[0] = 1000
	if r.Header().Records() != 5 {
		t.Error("changing a returned header changed the reader")
	}
}
