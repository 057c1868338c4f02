package npy_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

type fixture struct {
	Shape  []int64
	Values []float64
}

// readExpected loads the values NumPy computed for each fixture (gen.py).
func readExpected(t *testing.T) map[string]fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]fixture
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// decodeAll reads the header and every value of an .npy file, in C order.
func decodeAll(t *testing.T, b []byte) (npy.Header, []float64) {
	t.Helper()
	r := bytes.NewReader(b)
	h, err := npy.ReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(len(b)) - int64(r.Len()); got != h.HeaderLen {
		t.Fatalf("ReadHeader consumed %d bytes, HeaderLen is %d", got, h.HeaderLen)
	}
	data := b[h.HeaderLen:]
	if int64(len(data)) != h.DataBytes() {
		t.Fatalf("%d data bytes, header declares %d", len(data), h.DataBytes())
	}
	vals := make([]float64, h.Elements())
	h.DType.Decode(vals, data)
	if h.FortranOrder && len(h.Shape) == 2 {
		rows, cols := int(h.Shape[0]), int(h.Shape[1])
		c := make([]float64, len(vals))
		for i := range rows {
			for j := range cols {
				c[i*cols+j] = vals[j*rows+i]
			}
		}
		vals = c
	}
	return h, vals
}

func TestReadHeaderFixtures(t *testing.T) {
	for name, want := range readExpected(t) {
		if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, "_f.npy") && len(want.Shape) > 2 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			h, got := decodeAll(t, b)
			if !slices.Equal(h.Shape, want.Shape) {
				t.Errorf("shape %v, want %v", h.Shape, want.Shape)
			}
			if f := strings.HasSuffix(name, "_f.npy"); h.FortranOrder != f {
				t.Errorf("FortranOrder = %v, want %v", h.FortranOrder, f)
			}
			if parts := strings.Split(name, "_"); len(parts) == 3 {
				if be := parts[1] == "be"; h.DType.BigEndian != be {
					t.Errorf("dtype %v, want big endian %v", h.DType, be)
				}
				if kind := parts[0]; string(h.DType.String()[1:]) != kind {
					t.Errorf("dtype %v, want kind and size %s", h.DType, kind)
				}
			}
			if h.Major == 1 && h.HeaderLen%64 != 0 {
				t.Errorf("HeaderLen %d not aligned as NumPy writes it", h.HeaderLen)
			}
			if !slices.Equal(got, want.Values) {
				t.Errorf("values\n got %v\nwant %v", got, want.Values)
			}
		})
	}
}

func TestReadHeaderVersions(t *testing.T) {
	for _, tc := range []struct {
		file         string
		major        uint8
		headerLenMod int64
	}{
		{"f4_le_c.npy", 1, 64},
		{"v2.npy", 2, 64},
		{"v3.npy", 3, 64},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			h, err := npy.ReadHeader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if h.Major != tc.major || h.Minor != 0 {
				t.Errorf("version %d.%d, want %d.0", h.Major, h.Minor, tc.major)
			}
			if h.HeaderLen%tc.headerLenMod != 0 {
				t.Errorf("HeaderLen = %d", h.HeaderLen)
			}
		})
	}
}

func TestReadHeaderRefusesUnsupported(t *testing.T) {
	for _, tc := range []struct{ file, msg string }{
		{"object.npy", "object dtype"},
		{"structured.npy", "structured dtype"},
		{"unicode.npy", "string dtype"},
		{"complex.npy", "complex dtype"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = npy.ReadHeader(bytes.NewReader(b))
			if !errors.Is(err, npy.ErrUnsupportedDType) {
				t.Fatalf("err = %v, want ErrUnsupportedDType", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.msg)
			}
		})
	}
}

// header builds a version 1.0 or 2.0 preamble around dict.
func header(major byte, dict string) []byte {
	b := []byte(npy.Magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	return append(b, dict...)
}

func TestReadHeaderMalformed(t *testing.T) {
	long := header(2, "")
	binary.LittleEndian.PutUint32(long[8:], npy.MaxHeaderBytes+1)
	deep := "(" + strings.Repeat("1, ", npy.MaxDims+1) + ")"
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty", nil, "unexpected EOF"},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "bad magic"},
		{"version 4", []byte("\x93NUMPY\x04\x00\x00\x00"), "version 4.0"},
		{"version 1.1", []byte("\x93NUMPY\x01\x01\x00\x00"), "version 1.1"},
		{"truncated v2 length", []byte("\x93NUMPY\x02\x00\x10"), "unexpected EOF"},
		{"header too long", long, "exceeds the limit"},
		{"truncated dict", header(1, "{'descr': '<f4'")[:20], "unexpected EOF"},
		{"not a dict", header(1, "['<f4']"), "want '{'"},
		{"missing shape", header(1, "{'descr': '<f4', 'fortran_order': False}"), `missing key "shape"`},
		{"duplicate key", header(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), "duplicate"},
		{"extra key", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"), "unexpected key"},
		{"bad bool", header(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"), "True or False"},
		{"negative dim", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), "want a dimension"},
		{"float dim", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}"), "want ','"},
		{"int not tuple", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3)}"), "not a tuple"},
		{"list shape", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [3]}"), "want '('"},
		{"huge dim", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"), "invalid dimension"},
		{"too many values", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 2)}"), "more than"},
		{"overflow behind zero", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296)}"), "more than"},
		{"too many dims", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': "+deep+"}"), "dimensions"},
		{"bad descr", header(1, "{'descr': '<f3', 'fortran_order': False, 'shape': ()}"), "unsupported dtype"},
		{"unknown kind", header(1, "{'descr': '<x4', 'fortran_order': False, 'shape': ()}"), "invalid dtype"},
		{"signed size", header(1, "{'descr': '<f+4', 'fortran_order': False, 'shape': ()}"), "invalid dtype"},
		{"long double", header(1, "{'descr': '<f16', 'fortran_order': False, 'shape': ()}"), "unsupported dtype"},
		{"empty descr", header(1, "{'descr': '', 'fortran_order': False, 'shape': ()}"), "invalid dtype"},
		{"unterminated", header(1, "{'descr: '<f4'}"), "want ':'"},
		{"escape", header(1, "{'de\\scr': 1}"), "unsupported character"},
		{"trailing", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x"), "after the dictionary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := npy.ReadHeader(bytes.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestReadHeaderLenient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dict  string
		shape []int64
		dtype string
	}{
		{"python 2 longs", "{'descr': '<i8', 'fortran_order': False, 'shape': (3L, 4L), }", []int64{3, 4}, "<i8"},
		{"double quotes", `{"descr": ">f8", "fortran_order": True, "shape": (2,)}`, []int64{2}, ">f8"},
		{"native order", "{'shape': (), 'fortran_order': False, 'descr': '=u2'}\n", []int64{}, "<u2"},
		{"no order", "{'descr': 'b1', 'fortran_order': False, 'shape': (0, 5)}", []int64{0, 5}, "|b1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := npy.ReadHeader(bytes.NewReader(header(1, tc.dict)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h.Shape, tc.shape) || h.DType.String() != tc.dtype {
				t.Errorf("got %v %v, want %v %v", h.DType, h.Shape, tc.dtype, tc.shape)
			}
		})
	}
}

func TestDecodeSpecial(t *testing.T) {
	b, err := os.ReadFile("testdata/special.npy")
	if err != nil {
		t.Fatal(err)
	}
	_, got := decodeAll(t, b)
	if !math.IsNaN(got[0]) || !math.IsInf(got[1], 1) || !math.IsInf(got[2], -1) || got[3] != 0 || !math.Signbit(got[3]) {
		t.Errorf("got %v, want [NaN +Inf -Inf -0]", got)
	}

	// A NaN payload, such as one forging a missing-value marker, does not
	// survive decoding.
	payload := binary.LittleEndian.AppendUint64(nil, 0x7ff8_0000_0bad_f00d)
	out := make([]float64, 1)
	npy.DType{Kind: npy.Float, Size: 8}.Decode(out, payload)
	if math.Float64bits(out[0]) != math.Float64bits(math.NaN()) {
		t.Errorf("NaN payload kept: %#x", math.Float64bits(out[0]))
	}
}

func TestDecodeFloat16(t *testing.T) {
	for _, tc := range []struct {
		bits uint16
		want float64
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},
		{0x0001, math.Ldexp(1, -24)},
		{0x03ff, math.Ldexp(1023, -24)},
		{0x0400, math.Ldexp(1, -14)},
		{0x7c00, math.Inf(1)},
		{0xfc00, math.Inf(-1)},
	} {
		for _, be := range []bool{false, true} {
			var src []byte
			if be {
				src = binary.BigEndian.AppendUint16(nil, tc.bits)
			} else {
				src = binary.LittleEndian.AppendUint16(nil, tc.bits)
			}
			got := make([]float64, 1)
			npy.DType{Kind: npy.Float, Size: 2, BigEndian: be}.Decode(got, src)
			if got[0] != tc.want {
				t.Errorf("%#04x (big endian %v) = %v, want %v", tc.bits, be, got[0], tc.want)
			}
		}
	}
	got := make([]float64, 1)
	npy.DType{Kind: npy.Float, Size: 2}.Decode(got, []byte{0x00, 0x7e})
	if !math.IsNaN(got[0]) {
		t.Errorf("0x7e00 = %v, want NaN", got[0])
	}
}

func TestDecodeStrided(t *testing.T) {
	// A 2x3 row-major block of little-endian int16: column 1 is {-2, 5}.
	var src []byte
	for _, v := range []int16{1, -2, 3, 4, 5, 6} {
		src = binary.LittleEndian.AppendUint16(src, uint16(v))
	}
	got := make([]float64, 2)
	npy.DType{Kind: npy.Int, Size: 2}.DecodeStrided(got, src[2:], 6)
	if !slices.Equal(got, []float64{-2, 5}) {
		t.Errorf("column 1 = %v, want [-2 5]", got)
	}
	npy.DType{Kind: npy.Int, Size: 2}.DecodeStrided(got[:0], nil, 6) // empty is fine
}

func TestParseDTypeRoundTrip(t *testing.T) {
	for _, s := range []string{"|b1", "|i1", "|u1", "<i2", ">i2", "<u4", ">u8", "<f2", ">f4", "<f8"} {
		d, err := npy.ParseDType(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if d.String() != s {
			t.Errorf("ParseDType(%q).String() = %q", s, d)
		}
	}
}

// TestWriteMatchesNumPy checks that Write produces the bytes NumPy writes.
func TestWriteMatchesNumPy(t *testing.T) {
	f4 := make([]float32, 12)
	for k := range f4 {
		f4[k] = float32(float64(k-5) * 0.1)
	}
	f8 := make([]float64, 12)
	for k := range f8 {
		f8[k] = float64(k-5) * 0.1
	}
	for _, tc := range []struct {
		file  string
		write func(io.Writer) error
	}{
		{"f4_le_c.npy", func(w io.Writer) error { return npy.Write(w, []int64{3, 4}, f4) }},
		{"f8_le_c.npy", func(w io.Writer) error { return npy.Write(w, []int64{3, 4}, f8) }},
		{"labels_i8.npy", func(w io.Writer) error {
			return npy.Write(w, []int64{8}, []int64{3, 1, 4, 1, 5, 9, 2, 6})
		}},
		{"images.npy", func(w io.Writer) error {
			return npy.Write(w, []int64{2, 3, 2}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("Write output differs from NumPy's\n got %q\nwant %q", buf.Bytes(), want)
			}
		})
	}
}

func TestWriteRejectsBadShape(t *testing.T) {
	for _, shape := range [][]int64{{3}, {2, 2}, {-1, -4}, {1 << 40, 1 << 40, 0}} {
		if err := npy.Write(io.Discard, shape, []float64{1, 2, 3, 4, 5}); err == nil {
			t.Errorf("shape %v accepted for 5 values", shape)
		}
	}
}

func TestWriteRoundTripInt32(t *testing.T) {
	var buf bytes.Buffer
	in := []int32{math.MinInt32, -1, 0, 7, math.MaxInt32, 2}
	if err := npy.Write(&buf, []int64{3, 2}, in); err != nil {
		t.Fatal(err)
	}
	h, got := decodeAll(t, buf.Bytes())
	if h.DType.String() != "<i4" || !slices.Equal(h.Shape, []int64{3, 2}) {
		t.Fatalf("header %+v", h)
	}
	for i, v := range in {
		if got[i] != float64(v) {
			t.Errorf("value %d = %v, want %d", i, got[i], v)
		}
	}
}
