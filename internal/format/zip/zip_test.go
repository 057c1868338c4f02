package ziparch_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ziparch "github.com/poisonguard/poisonguard/internal/format/zip"
)

// build writes an archive with the standard library's writer: an
// independent producer of the fixtures.
func build(t testing.TB, method uint16, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < len(members); i += 2 {
		f, err := w.CreateHeader(&zip.FileHeader{Name: members[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, members[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, b []byte) *ziparch.Archive {
	t.Helper()
	a, err := ziparch.Open(bytes.NewReader(b), int64(len(b)), ziparch.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func read(t testing.TB, a *ziparch.Archive, m ziparch.Member) (string, bool) {
	t.Helper()
	r, err := a.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return string(b), ok
}

func TestReadsStandardArchives(t *testing.T) {
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		b := build(t, method, "a/data.pkl", "hello", "a/data/0", strings.Repeat("x", 5000))
		a := open(t, b)
		if len(a.Members) != 2 || len(a.Issues) != 0 {
			t.Fatalf("method %d: members %+v issues %+v", method, a.Members, a.Issues)
		}
		for i, want := range []string{"hello", strings.Repeat("x", 5000)} {
			m := a.Members[i]
			if !m.Central || !m.Local || m.Name != m.LocalName {
				t.Errorf("member %+v", m)
			}
			if got, ok := read(t, a, m); got != want || !ok {
				t.Errorf("member %s: %q, crc ok %v", m.Name, got, ok)
			}
		}
	}
}

// patchLocal edits the local header of the first member.
func patchLocal(b []byte, edit func(h []byte)) []byte {
	out := bytes.Clone(b)
	edit(out[:30+int(binary.LittleEndian.Uint16(out[26:]))])
	return out
}

func TestTricks(t *testing.T) {
	base := build(t, zip.Store, "data.pkl", "payload", "other", "x")
	tests := []struct {
		name  string
		b     []byte
		issue ziparch.IssueKind
		crcOK bool
	}{
		{"encrypted flag", patchLocal(base, func(h []byte) { h[6] |= 0x1 }), ziparch.OddFlags, true},
		{"flag 0x20", patchLocal(base, func(h []byte) { h[6] |= 0x20 }), ziparch.OddFlags, true},
		{"flag 0x40", patchLocal(base, func(h []byte) { h[6] |= 0x40 }), ziparch.OddFlags, true},
		{"local name differs", patchLocal(base, func(h []byte) { copy(h[30:], "DATA") }), ziparch.NameMismatch, true},
		{"no central directory", base[:bytes.Index(base, []byte("PK\x01\x02"))], ziparch.NoCentralDirectory, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := open(t, tt.b)
			if len(a.Issues) == 0 || a.Issues[0].Kind != tt.issue {
				t.Fatalf("issues %+v, want %s", a.Issues, tt.issue)
			}
			if len(a.Members) != 2 {
				t.Fatalf("members %+v", a.Members)
			}
			got, ok := read(t, a, a.Members[0])
			if got != "payload" || ok != tt.crcOK {
				t.Errorf("read %q, crc ok %v", got, ok)
			}
		})
	}
}

func TestBadCRC(t *testing.T) {
	b := build(t, zip.Store, "data.pkl", "payload")
	b = patchLocal(b, func(h []byte) { h[14] ^= 0xff })
	i := bytes.Index(b, []byte("PK\x01\x02"))
	b[i+16] ^= 0xff // the central directory's CRC too
	a := open(t, b)
	if got, ok := read(t, a, a.Members[0]); got != "payload" || ok {
		t.Fatalf("read %q, crc ok %v", got, ok)
	}
}

func TestLocalOnlyMember(t *testing.T) {
	// A member whose central directory entry was cut out is found by
	// walking the local headers.
	b := build(t, zip.Store, "a", "1", "hidden.pkl", "2")
	cd := bytes.Index(b, []byte("PK\x01\x02"))
	second := cd + 4 + bytes.Index(b[cd+4:], []byte("PK\x01\x02"))
	end := bytes.Index(b, []byte("PK\x05\x06"))
	eocd := bytes.Clone(b[end:])
	binary.LittleEndian.PutUint16(eocd[8:], 1)
	binary.LittleEndian.PutUint16(eocd[10:], 1)
	binary.LittleEndian.PutUint32(eocd[12:], uint32(second-cd))
	b = append(bytes.Clone(b[:second]), eocd...)
	a := open(t, b)
	if len(a.Members) != 2 || a.Members[1].LocalName != "hidden.pkl" || a.Members[1].Central {
		t.Fatalf("members %+v", a.Members)
	}
	if len(a.Issues) != 1 || a.Issues[0].Kind != ziparch.LocalOnly {
		t.Fatalf("issues %+v", a.Issues)
	}
}

func TestZipBomb(t *testing.T) {
	b := build(t, zip.Deflate, "zeros", strings.Repeat("\x00", 8<<20))
	a := open(t, b)
	r, err := a.Open(a.Members[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, ziparch.ErrLimit) {
		t.Fatalf("error %v", err)
	}
	a, err = ziparch.Open(bytes.NewReader(b), int64(len(b)), ziparch.Limits{MaxRatio: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, a, a.Members[0]); len(got) != 8<<20 {
		t.Fatalf("read %d bytes", len(got))
	}
}

func TestLimitsAndGarbage(t *testing.T) {
	b := build(t, zip.Store, "a", "1", "b", "2", "c", "3")
	if _, err := ziparch.Open(bytes.NewReader(b), int64(len(b)), ziparch.Limits{MaxMembers: 2}); !errors.Is(err, ziparch.ErrLimit) {
		t.Fatalf("error %v", err)
	}
	for _, g := range []string{"", "PK", "not a zip at all", "PK\x03\x04short"} {
		if _, err := ziparch.Open(strings.NewReader(g), int64(len(g)), ziparch.Limits{}); !errors.Is(err, ziparch.ErrFormat) {
			t.Errorf("%q: error %v", g, err)
		}
	}
}

// FuzzOpen checks that listing and reading any input never panics and
// that every member lies inside the input.
func FuzzOpen(f *testing.F) {
	f.Add(build(f, zip.Store, "data.pkl", "x"))
	f.Add(build(f, zip.Deflate, "a", "hello hello hello", "b/c", ""))
	files, _ := filepath.Glob("../../../scan/testdata/*.*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && bytes.HasPrefix(b, []byte("PK")) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ziparch.Open(bytes.NewReader(b), int64(len(b)), ziparch.Limits{MaxMembers: 64, MaxMemberBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, m := range a.Members {
			if m.Offset < 0 || m.Offset >= int64(len(b)) || m.DataOffset < m.Offset {
				t.Fatalf("member %+v outside %d bytes", m, len(b))
			}
			r, err := a.Open(m)
			if err != nil {
				continue
			}
			r.Finish()
		}
	})
}
