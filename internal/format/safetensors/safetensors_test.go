package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/safetensors"
)

// le64 returns n as the 8-byte little-endian header length.
func le64(n uint64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	return string(b[:])
}

// build returns a file of the given header, unpadded, and data.
func build(header, data string) []byte {
	return []byte(le64(uint64(len(header))) + header + data)
}

// knownAnswers pin Write's encoding: every byte below is written by hand.
var knownAnswers = []struct {
	name string
	file *safetensors.File
	want string
}{
	{
		// F32 goes first in the data (larger elements first), the header
		// lists tensors by name after __metadata__, and 138 header bytes
		// are padded with 6 spaces to 144 = 0x90.
		name: "metadata and two dtypes",
		file: &safetensors.File{
			Metadata: map[string]string{"format": "pt"},
			Tensors: []safetensors.Tensor{
				{Name: "w", DType: safetensors.F32, Shape: []int{2}, Data: []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}},
				{Name: "b", DType: safetensors.U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
			},
		},
		want: "\x90\x00\x00\x00\x00\x00\x00\x00" +
			`{"__metadata__":{"format":"pt"},` +
			`"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},` +
			`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}` +
			"      " +
			"\x00\x00\x80\x3f\x00\x00\x00\xc0" + // 1.0, -2.0
			"\x01\x02\x03",
	},
	{
		// String escaping as serde_json does it (quote, backslash, \n,
		// \u0001; é stays UTF-8), a scalar, a zero-size tensor at the end
		// of the buffer; 180 header bytes padded with 4 spaces to 0xb8.
		name: "escapes, scalar, empty tensor",
		file: &safetensors.File{
			Tensors: []safetensors.Tensor{
				{Name: "z", DType: safetensors.F16, Shape: []int{0, 3}, Data: nil},
				{Name: "y", DType: safetensors.BF16, Shape: []int{1}, Data: []byte{0x80, 0x3f}},
				{Name: "a\"b\\\n\x01é", DType: safetensors.I64, Shape: []int{}, Data: []byte{7, 0, 0, 0, 0, 0, 0, 0}},
			},
		},
		want: "\xb8\x00\x00\x00\x00\x00\x00\x00" +
			`{"a\"b\\\n\u0001é":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
			`"y":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},` +
			`"z":{"dtype":"F16","shape":[0,3],"data_offsets":[10,10]}}` +
			"    " +
			"\x07\x00\x00\x00\x00\x00\x00\x00" +
			"\x80\x3f",
	},
	{
		name: "nothing",
		file: &safetensors.File{},
		want: "\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
	},
	{
		name: "empty metadata",
		file: &safetensors.File{Metadata: map[string]string{}},
		want: "\x18\x00\x00\x00\x00\x00\x00\x00" + `{"__metadata__":{}}` + "     ",
	},
}

func TestWriteKnownAnswers(t *testing.T) {
	for _, tc := range knownAnswers {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := safetensors.Write(&buf, tc.file); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Fatalf("Write:\n got %q\nwant %q", got, tc.want)
			}
			got, err := safetensors.Read(strings.NewReader(tc.want), int64(len(tc.want)), safetensors.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, got, tc.file)
		})
	}
}

// assertSame checks that two files hold the same metadata and the same
// tensors, whatever their order.
func assertSame(t *testing.T, got, want *safetensors.File) {
	t.Helper()
	if (got.Metadata == nil) != (want.Metadata == nil) || !maps.Equal(got.Metadata, want.Metadata) {
		t.Errorf("metadata %v, want %v", got.Metadata, want.Metadata)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	byName := make(map[string]safetensors.Tensor)
	for _, w := range want.Tensors {
		byName[w.Name] = w
	}
	for _, g := range got.Tensors {
		w, ok := byName[g.Name]
		switch {
		case !ok:
			t.Errorf("unexpected tensor %q", g.Name)
		case g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data):
			t.Errorf("tensor %q: got %s %v % x, want %s %v % x", g.Name, g.DType, g.Shape, g.Data, w.DType, w.Shape, w.Data)
		}
	}
}

// TestReadReferenceExample reads the example file of the reference
// implementation's documentation, whose header is not padded.
func TestReadReferenceExample(t *testing.T) {
	b, err := os.ReadFile("testdata/reference_doc.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(bytes.NewReader(b), int64(len(b)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, f, &safetensors.File{Tensors: []safetensors.Tensor{
		{Name: "test", DType: safetensors.I32, Shape: []int{2, 2}, Data: make([]byte, 16)},
	}})
	r := bytes.NewReader(b)
	h, err := safetensors.ReadHeader(r, int64(len(b)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if h.DataStart != 68 || int64(len(b)-r.Len()) != 68 {
		t.Errorf("DataStart %d, consumed %d bytes, want 68", h.DataStart, len(b)-r.Len())
	}
}

func TestRoundTrip(t *testing.T) {
	var tensors []safetensors.Tensor
	for i, d := range []safetensors.DType{
		safetensors.Bool, safetensors.U8, safetensors.I8, safetensors.F8E4M3, safetensors.F8E5M2,
		safetensors.F8E8M0, safetensors.U16, safetensors.I16, safetensors.F16, safetensors.BF16,
		safetensors.U32, safetensors.I32, safetensors.F32, safetensors.U64, safetensors.I64,
		safetensors.F64, safetensors.C64,
	} {
		shape := []int{i%3 + 1, 3}
		data := make([]byte, shape[0]*shape[1]*d.Size())
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		tensors = append(tensors, safetensors.Tensor{Name: "t." + string(d), DType: d, Shape: shape, Data: data})
	}
	tensors = append(tensors,
		safetensors.FromFloat32s("scalar", nil, []float32{3.5}),
		safetensors.FromFloat32s("empty", []int{4, 0, 2}, nil),
		safetensors.FromFloat32s("ünïcödé \"quoted\"", []int{1}, []float32{-1}),
	)
	want := &safetensors.File{Metadata: map[string]string{"format": "pt", "": "\x00\t✓"}, Tensors: tensors}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, want); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	got, err := safetensors.Read(bytes.NewReader(b), int64(len(b)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, got, want)

	h, err := safetensors.ReadHeader(bytes.NewReader(b), int64(len(b)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if h.DataStart%8 != 0 {
		t.Errorf("data starts at %d, not a multiple of 8", h.DataStart)
	}
	for i, ti := range h.Tensors {
		if ti.Begin%int64(ti.DType.Size()) != 0 {
			t.Errorf("tensor %q of %s starts at %d, unaligned", ti.Name, ti.DType, ti.Begin)
		}
		if got.Tensors[i].Name != ti.Name {
			t.Errorf("Read tensor %d is %q, ReadHeader's %q: not both in offset order", i, got.Tensors[i].Name, ti.Name)
		}
	}

	var again bytes.Buffer
	if err := safetensors.Write(&again, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), b) {
		t.Error("writing what was read gives different bytes")
	}
}

func TestFloat32s(t *testing.T) {
	tensor := safetensors.FromFloat32s("w", []int{2, 2}, []float32{1, -2, 0.5, 1e30})
	if !bytes.Equal(tensor.Data[:8], []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}) {
		t.Errorf("data % x", tensor.Data)
	}
	got, err := tensor.Float32s()
	if err != nil || !slices.Equal(got, []float32{1, -2, 0.5, 1e30}) {
		t.Errorf("Float32s = %v, %v", got, err)
	}
	for _, bad := range []safetensors.Tensor{
		{Name: "w", DType: safetensors.F64, Shape: []int{1}, Data: make([]byte, 8)},
		{Name: "w", DType: safetensors.F32, Shape: []int{3}, Data: make([]byte, 8)},
		{Name: "w", DType: safetensors.F32, Shape: []int{-1}},
		{Name: "w", DType: safetensors.F32, Shape: []int{1 << 62, 4}},
	} {
		if _, err := bad.Float32s(); err == nil {
			t.Errorf("Float32s of %s %v with %d bytes: no error", bad.DType, bad.Shape, len(bad.Data))
		}
	}
}

func TestWriteRejects(t *testing.T) {
	ok := safetensors.FromFloat32s("a", []int{1}, []float32{1})
	tests := []struct {
		name string
		file *safetensors.File
		want string
	}{
		{"nil", nil, "nil file"},
		{"duplicate", &safetensors.File{Tensors: []safetensors.Tensor{ok, ok}}, `duplicate tensor name "a"`},
		{"reserved", &safetensors.File{Tensors: []safetensors.Tensor{{Name: "__metadata__", DType: "U8", Shape: []int{0}}}}, "reserved"},
		{"bad name", &safetensors.File{Tensors: []safetensors.Tensor{{Name: "\xff", DType: "U8", Shape: []int{0}}}}, "UTF-8"},
		{"bad metadata", &safetensors.File{Metadata: map[string]string{"k": "\xff"}}, "UTF-8"},
		{"dtype", &safetensors.File{Tensors: []safetensors.Tensor{{Name: "a", DType: "F4", Shape: []int{0}}}}, `unknown dtype "F4"`},
		{"short data", &safetensors.File{Tensors: []safetensors.Tensor{safetensors.FromFloat32s("a", []int{2}, []float32{1})}},
			"4 data bytes, shape [2] of F32 needs 8"},
		{"negative", &safetensors.File{Tensors: []safetensors.Tensor{{Name: "a", DType: "U8", Shape: []int{-1}}}}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := safetensors.Write(&buf, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// entry is a tensor entry of a hand-written header.
func entry(name, dtype, shape, offsets string) string {
	return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
}

type rejection struct {
	name string
	file []byte
	size int64 // 0: len(file)
	lim  safetensors.Limits
	// dataOnly marks a file whose header is fine: ReadHeader accepts it.
	dataOnly bool
	want     string
}

// rejections lists malformed files, each with a part of its error.
var rejections = []rejection{
	{name: "empty file", file: nil, want: "file of 0 bytes is shorter than the 8-byte header length"},
	{name: "7 bytes", file: []byte("\x02\x00\x00\x00\x00\x00\x00"), want: "shorter than the 8-byte header length"},
	{name: "header length over the limit", file: []byte(le64(100_000_001) + "{}"),
		want: "offset 0: header length 100000001 exceeds the limit of 100000000 bytes"},
	{name: "header length 2^64-1", file: []byte(le64(1<<64-1) + "{}"), want: "exceeds the limit"},
	{name: "header bigger than file", file: []byte(le64(10) + "{}"), want: "header length 10 runs past the end of the 10-byte file"},
	{name: "header over a small limit", file: build("{}", ""), lim: safetensors.Limits{MaxHeaderBytes: 1}, want: "exceeds the limit of 1 bytes"},
	{name: "empty header", file: build("", ""), want: "offset 8: header is empty"},
	{name: "not JSON", file: build(`{"a" 1}`, ""), want: "header is not valid JSON"},
	{name: "unterminated", file: build(`{"a":`, ""), want: "header ends inside its JSON object"},
	{name: "trailing comma", file: build(`{"__metadata__":{},}`, ""), want: "not valid JSON"},
	{name: "array", file: build(`[]`, ""), want: `offset 8: header starts with '[', not '{'`},
	{name: "string", file: build(`"{}"`, ""), want: "starts with '\"'"},
	{name: "leading space", file: build(` {}`, ""), want: "starts with ' '"},
	{name: "newline padding", file: build("{}\n", ""), want: `offset 10: '\n' after the header object`},
	{name: "NUL padding", file: build("{}\x00", ""), want: `'\x00' after the header object`},
	{name: "two objects", file: build("{} {}", ""), want: `offset 11: '{' after the header object`},
	{name: "non-UTF-8", file: build("{\"\xff\":{}}", ""), want: "offset 10: header is not valid UTF-8"},
	{name: "UTF-8 surrogate", file: build("{\"\xed\xa0\x80\":{}}", ""), want: "not valid UTF-8"},
	{name: "lone surrogate", file: build(`{"\ud800":{}}`, ""), want: `offset 10: lone UTF-16 surrogate \ud800`},
	{name: "high surrogate, then no low", file: build(`{"\ud800\u0041\udc00":{}}`, ""), want: `offset 10: lone UTF-16 surrogate \ud800`},
	{name: "lone low surrogate", file: build(`{"a\\\udc00":{}}`, ""), want: `offset 13: lone UTF-16 surrogate \udc00`},
	{name: "duplicate names", file: build(`{`+entry("a", "U8", "[1]", "[0,1]")+`,`+entry("a", "U8", "[1]", "[0,1]")+`}`, "x"),
		want: `offset 61: duplicate key "a"`},
	{name: "duplicate escaped name", file: build(`{`+entry("a", "U8", "[0]", "[0,0]")+`,`+entry(`\u0061`, "U8", "[0]", "[0,0]")+`}`, ""),
		want: `duplicate key "a"`},
	{name: "duplicate metadata", file: build(`{"__metadata__":{},"__metadata__":{}}`, ""), want: `duplicate key "__metadata__"`},
	{name: "duplicate metadata key", file: build(`{"__metadata__":{"k":"1","k":"2"}}`, ""), want: `__metadata__: duplicate key "k"`},
	{name: "duplicate field", file: build(`{"a":{"dtype":"U8","dtype":"U8","shape":[],"data_offsets":[0,1]}}`, "x"),
		want: `tensor "a": duplicate field "dtype"`},
	{name: "unknown field", file: build(`{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1],"x":0}}`, "x"),
		want: `tensor "a": unknown field "x"`},
	{name: "missing field", file: build(`{"a":{"dtype":"U8","shape":[]}}`, ""), want: `offset 13: tensor "a": missing field "data_offsets"`},
	{name: "entry not an object", file: build(`{"a":[]}`, ""), want: `tensor "a": entry must be an object, got an array`},
	{name: "unknown dtype", file: build(`{`+entry("a", "F33", "[1]", "[0,4]")+`}`, "xxxx"), want: `tensor "a": unknown dtype "F33"`},
	{name: "long name", file: build(`{`+entry(strings.Repeat("n", 1000), "X", "[0]", "[0,0]")+`}`, ""),
		want: `tensor "` + strings.Repeat("n", 64) + `"…(1000 bytes): unknown dtype "X"`},
	{name: "lower-case dtype", file: build(`{`+entry("a", "f32", "[1]", "[0,4]")+`}`, "xxxx"), want: `unknown dtype "f32"`},
	{name: "sub-byte dtype", file: build(`{`+entry("a", "F4", "[2]", "[0,1]")+`}`, "x"), want: "sub-byte dtype F4 is not supported"},
	{name: "dtype not a string", file: build(`{"a":{"dtype":4,"shape":[],"data_offsets":[0,4]}}`, "xxxx"),
		want: "dtype must be a string, got the number 4"},
	{name: "gap at start", file: build(`{`+entry("a", "U8", "[4]", "[4,8]")+`}`, "xxxxxxxx"),
		want: `tensor "a": data_offsets [4, 8] leave a gap of 4 bytes at the start of the data buffer`},
	{name: "gap", file: build(`{`+entry("a", "U8", "[2]", "[0,2]")+`,`+entry("b", "U8", "[2]", "[3,5]")+`}`, "xxxxx"),
		want: `tensor "b": data_offsets [3, 5] leave a gap of 1 bytes after tensor "a", which ends at 2`},
	{name: "overlap", file: build(`{`+entry("a", "U8", "[4]", "[0,4]")+`,`+entry("b", "U8", "[2]", "[2,4]")+`}`, "xxxx"),
		want: `tensor "b": data_offsets [2, 4] overlap tensor "a", which ends at 4`},
	{name: "same offsets twice", file: build(`{`+entry("a", "U8", "[4]", "[0,4]")+`,`+entry("b", "U8", "[4]", "[0,4]")+`}`, "xxxx"),
		want: `tensor "b": data_offsets [0, 4] overlap tensor "a"`},
	{name: "trailing bytes", file: build(`{`+entry("a", "U8", "[4]", "[0,4]")+`}`, "xxxxxx"),
		want: "2 trailing bytes: the data buffer holds 6 bytes, the tensors end at 4"},
	{name: "trailing bytes without tensors", file: build(`{}`, "x"), want: "1 trailing bytes"},
	{name: "offsets out of range", file: build(`{`+entry("a", "U8", "[8]", "[0,8]")+`}`, "xxxx"),
		want: `tensor "a": data_offsets [0, 8] run past the end of the 4-byte data buffer`},
	{name: "offsets beyond 64 bits", file: build(`{`+entry("a", "U8", "[0]", "[0,18446744073709551616]")+`}`, ""),
		want: "data_offsets holds 18446744073709551616, beyond 64 bits"},
	{name: "offsets at 2^64-1", file: build(`{`+entry("a", "U8", "[0]", "[18446744073709551615,18446744073709551615]")+`}`, ""),
		want: "run past the end of the 0-byte data buffer"},
	{name: "offsets reversed", file: build(`{`+entry("a", "U8", "[0]", "[4,0]")+`}`, "xxxx"),
		want: `tensor "a": data_offsets [4, 0] end before they begin`},
	{name: "one offset", file: build(`{`+entry("a", "U8", "[0]", "[0]")+`}`, ""), want: "data_offsets must be an array of two integers, got 1"},
	{name: "three offsets", file: build(`{`+entry("a", "U8", "[0]", "[0,0,0]")+`}`, ""), want: "two integers, got more"},
	{name: "offsets not an array", file: build(`{`+entry("a", "U8", "[0]", `"0,0"`)+`}`, ""), want: "two integers, got the string"},
	{name: "size mismatch", file: build(`{`+entry("w", "F32", "[2,2]", "[0,12]")+`}`, "xxxxxxxxxxxx"),
		want: `safetensors: tensor "w": data_offsets [0, 12] hold 12 bytes, shape [2 2] of F32 needs 16`},
	{name: "negative shape", file: build(`{`+entry("a", "U8", "[-1]", "[0,0]")+`}`, ""), want: "shape holds the negative number -1"},
	{name: "negative zero", file: build(`{`+entry("a", "U8", "[-0]", "[0,0]")+`}`, ""), want: "negative number -0"},
	{name: "fractional shape", file: build(`{`+entry("a", "U8", "[1.0]", "[0,1]")+`}`, "x"), want: "shape holds 1.0, not an integer"},
	{name: "exponent shape", file: build(`{`+entry("a", "U8", "[1e0]", "[0,1]")+`}`, "x"), want: "not an integer"},
	{name: "string dimension", file: build(`{`+entry("a", "U8", `["1"]`, "[0,1]")+`}`, "x"), want: `shape holds the string "1", not an integer`},
	{name: "nested shape", file: build(`{`+entry("a", "U8", `[[1]]`, "[0,1]")+`}`, "x"), want: "shape holds an array, not an integer"},
	{name: "shape not an array", file: build(`{`+entry("a", "U8", "1", "[0,1]")+`}`, "x"), want: "shape must be an array, got the number 1"},
	{name: "null shape", file: build(`{`+entry("a", "U8", "null", "[0,1]")+`}`, "x"), want: "shape must be an array, got null"},
	{name: "overflow", file: build(`{`+entry("a", "F32", "[4611686018427387904,4]", "[0,0]")+`}`, ""),
		want: `tensor "a": shape [4611686018427387904 4] of F32 overflows the byte count`},
	{name: "overflow by the element size", file: build(`{`+entry("a", "F64", "[2305843009213693952]", "[0,0]")+`}`, ""),
		want: "overflows the byte count"},
	{name: "overflow behind a zero", file: build(`{`+entry("a", "U8", "[0,4294967296,4294967296]", "[0,0]")+`}`, ""),
		want: "overflows the byte count"},
	{name: "dimension beyond int", file: build(`{`+entry("a", "U8", "[18446744073709551615]", "[0,0]")+`}`, ""),
		want: "dimension 18446744073709551615 is too large"},
	{name: "rank over the limit", file: build(`{`+entry("a", "U8", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,1]")+`}`, "x"),
		want: `tensor "a": shape has more than 16 dimensions`},
	{name: "rank over a small limit", file: build(`{`+entry("a", "U8", "[1,1]", "[0,1]")+`}`, "x"),
		lim: safetensors.Limits{MaxRank: 1}, want: "more than 1 dimensions"},
	{name: "tensors over the limit", file: build(`{`+entry("a", "U8", "[1]", "[0,1]")+`,`+entry("b", "U8", "[1]", "[1,2]")+`}`, "xx"),
		lim: safetensors.Limits{MaxTensors: 1}, want: "offset 61: more than 1 tensors"},
	{name: "metadata over a small limit", file: build(`{"__metadata__":{"a":"","b":""}}`, ""),
		lim: safetensors.Limits{MaxMetadataEntries: 1}, want: "offset 32: __metadata__: more than 1 entries"},
	{name: "metadata array", file: build(`{"__metadata__":[]}`, ""), want: "offset 24: __metadata__ must be an object of strings, got an array"},
	{name: "metadata null", file: build(`{"__metadata__":null}`, ""), want: "__metadata__ must be an object of strings, got null"},
	{name: "metadata number", file: build(`{"__metadata__":{"epoch":1}}`, ""), want: `__metadata__: value of "epoch" must be a string, got the number 1`},
	{name: "metadata object", file: build(`{"__metadata__":{"k":{}}}`, ""), want: "must be a string, got an object"},
	{name: "metadata bool", file: build(`{"__metadata__":{"k":true}}`, ""), want: "must be a string, got true"},
	{name: "file over MaxFileBytes", file: build(`{}`, ""), lim: safetensors.Limits{MaxFileBytes: 9}, dataOnly: true, want: "file of 10 bytes exceeds the limit of 9 bytes"},
	{name: "header truncated", file: build(`{}`, "")[:9], size: 10, want: "offset 9: file ends inside the header, before its stated size of 10 bytes"},
	{name: "data truncated", file: build(`{`+entry("a", "U8", "[4]", "[0,4]")+`}`, "xx"), size: 8 + 53 + 4,
		dataOnly: true, want: "offset 63: file ends inside the data, before its stated size of 65 bytes"},
}

func TestReadRejects(t *testing.T) {
	for _, tc := range rejections {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(tc.file))
			}
			_, err := safetensors.Read(bytes.NewReader(tc.file), size, tc.lim)
			if err == nil {
				t.Fatalf("Read accepted %q", tc.file)
			}
			if !errors.Is(err, safetensors.ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one containing %q", err, tc.want)
			}
			_, herr := safetensors.ReadHeader(bytes.NewReader(tc.file), size, tc.lim)
			if tc.dataOnly != (herr == nil) {
				t.Errorf("ReadHeader error %v", herr)
			}
		})
	}
}

// TestTruncatedIsUnexpectedEOF checks that a file shorter than its stated
// size reports io.ErrUnexpectedEOF too.
func TestTruncatedIsUnexpectedEOF(t *testing.T) {
	b := build(`{`+entry("a", "U8", "[4]", "[0,4]")+`}`, "xx")
	_, err := safetensors.Read(bytes.NewReader(b), int64(len(b))+2, safetensors.Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, safetensors.ErrFormat) {
		t.Errorf("error %v, want ErrFormat and io.ErrUnexpectedEOF", err)
	}
}

// failingReader returns its bytes, then err.
type failingReader struct {
	b   []byte
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReaderErrorIsNotFormat(t *testing.T) {
	disk := errors.New("disk on fire")
	b := build(`{`+entry("a", "U8", "[4]", "[0,4]")+`}`, "xxxx")
	_, err := safetensors.Read(&failingReader{b: b[:63], err: disk}, int64(len(b)), safetensors.Limits{})
	if !errors.Is(err, disk) || errors.Is(err, safetensors.ErrFormat) {
		t.Errorf("error %v, want the reader's and not ErrFormat", err)
	}
}

func TestNegativeLimits(t *testing.T) {
	b := build(`{}`, "")
	for _, lim := range []safetensors.Limits{{MaxHeaderBytes: -1}, {MaxTensors: -1}, {MaxMetadataEntries: -1}, {MaxRank: -1}, {MaxFileBytes: -1}} {
		_, err := safetensors.Read(bytes.NewReader(b), int64(len(b)), lim)
		if err == nil || errors.Is(err, safetensors.ErrFormat) {
			t.Errorf("%+v: error %v, want a non-format error", lim, err)
		}
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestHugeClaimsFailFast checks that lengths claimed by the file or the
// caller never make the reader allocate or read ahead of the bytes that
// are there.
func TestHugeClaimsFailFast(t *testing.T) {
	t.Run("100 GB header", func(t *testing.T) {
		r := &countingReader{r: strings.NewReader(le64(100e9) + "{}")}
		_, err := safetensors.Read(r, 200e9, safetensors.Limits{MaxFileBytes: 1 << 62})
		if !errors.Is(err, safetensors.ErrFormat) || !strings.Contains(err.Error(), "exceeds the limit") {
			t.Fatalf("error %v", err)
		}
		if r.n != 8 {
			t.Errorf("read %d bytes, want only the 8-byte length", r.n)
		}
	})
	t.Run("short stream", func(t *testing.T) {
		// The caller claims a 3 GB file whose valid header declares 3 GB
		// of data, but the stream stops after a few bytes.
		const size = 3e9
		header := `{"big":{"dtype":"U8","shape":[2999999918],"data_offsets":[0,2999999918]}} `
		if 8+len(header)+2999999918 != size {
			t.Fatalf("header of %d bytes", len(header))
		}
		b := build(header, "some data")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := safetensors.Read(bytes.NewReader(b), size, safetensors.Limits{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error %v", err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("allocated %d bytes for a %d-byte stream", alloc, len(b))
		}
	})
}

// TestLayoutOrder checks that tensors read in offset order, whatever the
// header order.
func TestLayoutOrder(t *testing.T) {
	b := build(`{`+entry("a", "U8", "[1]", "[2,3]")+`,`+entry("c", "U8", "[0]", "[2,2]")+`,`+
		entry("b", "U8", "[2]", "[0,2]")+`,`+entry("d", "U8", "[0]", "[3,3]")+`}`, "xyz")
	f, err := safetensors.Read(bytes.NewReader(b), int64(len(b)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tensor := range f.Tensors {
		names = append(names, tensor.Name+"="+string(tensor.Data))
	}
	if want := []string{"b=xy", "c=", "a=z", "d="}; !slices.Equal(names, want) {
		t.Errorf("tensors %v, want %v", names, want)
	}
}

// TestAccepts lists odd but valid headers.
func TestAccepts(t *testing.T) {
	for _, header := range []string{
		`{}`,
		"{ \"a\" :\n\t{ \"data_offsets\" : [ 0 , 1 ] , \"shape\" : [ ] , \"dtype\" : \"U8\" } }",
		`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"k":"\u00e9\ud83d\ude00"}}`,
		`{"":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}`,
		`{"\u0000":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`,
	} {
		data := "x"
		if header == `{}` {
			data = ""
		}
		b := build(header, data)
		if _, err := safetensors.Read(bytes.NewReader(b), int64(len(b)), safetensors.Limits{}); err != nil {
			t.Errorf("%s: %v", header, err)
		}
	}
}
