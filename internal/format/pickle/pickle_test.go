package pickle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/pickle"
)

// scanAll scans b and returns its events.
func scanAll(t testing.TB, b []byte, opts pickle.Options) ([]pickle.Event, pickle.Stats, error) {
	t.Helper()
	var evs []pickle.Event
	st, err := pickle.Scan(context.Background(), bytes.NewReader(b), opts, func(e pickle.Event) { evs = append(evs, e) })
	return evs, st, err
}

// TestFindClassOracle checks the globals found in pickles of every
// protocol against the ones CPython's Unpickler.find_class was asked for
// (testdata/find_class.json, written by scan/testdata/gen_fixtures.py).
func TestFindClassOracle(t *testing.T) {
	raw, err := os.ReadFile("testdata/find_class.json")
	if err != nil {
		t.Fatal(err)
	}
	var oracle map[string]struct {
		Pickles int         `json:"pickles"`
		Globals [][2]string `json:"globals"`
	}
	if err := json.Unmarshal(raw, &oracle); err != nil {
		t.Fatal(err)
	}
	for name, want := range oracle {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			evs, st, err := scanAll(t, b, pickle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]string
			for _, e := range evs {
				if e.Kind != pickle.Global {
					t.Errorf("unexpected event %+v", e)
				}
				if g := [2]string{e.Module, e.Name}; !slices.Contains(got, g) {
					got = append(got, g)
				}
			}
			slices.SortFunc(got, func(a, b [2]string) int { return strings.Compare(a[0]+"."+a[1], b[0]+"."+b[1]) })
			slices.SortFunc(want.Globals, func(a, b [2]string) int { return strings.Compare(a[0]+"."+a[1], b[0]+"."+b[1]) })
			if !slices.Equal(got, want.Globals) {
				t.Errorf("globals %v, want %v", got, want.Globals)
			}
			if st.Pickles != want.Pickles || st.End != int64(len(b)) || st.Anomalies != 0 {
				t.Errorf("stats %+v for %d bytes", st, len(b))
			}
		})
	}
}

// Opcode helpers for hand-assembled pickles.
func su(s string) string { return "\x8c" + string(rune(len(s))) + s }

const proto4 = "\x80\x04"

func TestEvents(t *testing.T) {
	tests := []struct {
		name, pickle string
		kind         pickle.EventKind
		module, nm   string
		offset       int64
	}{
		{"GLOBAL", "cos\nsystem\n.", pickle.Global, "os", "system", 0},
		{"INST", "(S'id'\nios\nsystem\n.", pickle.Global, "os", "system", 7},
		{"STACK_GLOBAL from memo", proto4 + su("os") + "\x94" + su("system") + "\x94" + "00" + su("a") + su("b") +
			"00h\x00h\x01\x93.", pickle.Global, "os", "system", 30},
		{"PUT and GET text", "S'os'\np7\nS'x'\np8\n0g7\nS'system'\n\x93.", pickle.Global, "os", "system", 31},
		{"LONG_BINPUT", proto4 + su("os") + "r\x05\x00\x00\x00" + su("system") + "0j\x05\x00\x00\x00" + su("system") + "\x93.",
			pickle.Global, "os", "system", 33},
		{"STRING escapes", "S'\\x6f\\163'\nS'system'\n\x93.", pickle.Global, "os", "system", 22},
		{"UNICODE raw escape", "V\\u006fs\nVsystem\n\x93.", pickle.Global, "os", "system", 17},
		{"BINSTRING", "T\x02\x00\x00\x00osU\x06system\x93.", pickle.Global, "os", "system", 15},
		{"bytes operand", proto4 + "C\x02os" + su("system") + "\x93.", pickle.Unresolved, "?", "system", 14},
		{"call result operand", proto4 + su("a") + su("b") + "\x93)R" + su("x") + "\x93.", pickle.Unresolved, "?", "x", 14},
		{"long string operand", proto4 + "X\x01\x01\x00\x00" + strings.Repeat("a", 257) + su("x") + "\x93.",
			pickle.Unresolved, "?", "x", 267},
		{"BUILD on a global", proto4 + su("m") + su("f") + "\x93N}\x86b.", pickle.GlobalMutation, "m", "f", 12},
		{"SETITEM on a global", proto4 + su("m") + su("f") + "\x93" + su("k") + su("v") + "s.", pickle.GlobalMutation, "m", "f", 15},
		{"call of a call", proto4 + su("m") + su("f") + "\x93)R)R.", pickle.IndirectCall, "", "", 12},
		{"EXT2", proto4 + "\x83\x01\x02.", pickle.Extension, "?", "513", 2},
		{"memo miss", proto4 + "h\x07.", pickle.Anomaly, "", "", 2},
		{"underflow", proto4 + "R.", pickle.Anomaly, "", "", 2},
		{"call of a number", proto4 + "K\x01)R.", pickle.Anomaly, "", "", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, _, err := scanAll(t, []byte(tt.pickle), pickle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(evs, func(e pickle.Event) bool { return e.Kind == tt.kind })
			if i < 0 {
				t.Fatalf("no %s event in %+v", tt.kind, evs)
			}
			e := evs[i]
			if e.Module != tt.module || e.Name != tt.nm || e.Offset != tt.offset {
				t.Errorf("event %+v, want %s.%s at %d", e, tt.module, tt.nm, tt.offset)
			}
		})
	}
}

// TestMarkFence checks that values below a MARK are out of reach, as in
// CPython, and that POP on an empty frame drops the mark.
func TestMarkFence(t *testing.T) {
	evs, st, err := scanAll(t, []byte(proto4+su("os")+su("system")+"(\x93."), pickle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Anomalies == 0 || slices.ContainsFunc(evs, func(e pickle.Event) bool { return e.Kind == pickle.Global }) {
		t.Errorf("STACK_GLOBAL reached below a MARK: %+v", evs)
	}
	evs, st, err = scanAll(t, []byte(proto4+su("os")+su("system")+"(0\x93."), pickle.Options{})
	if err != nil || st.Anomalies != 0 || len(evs) != 1 || evs[0].Module != "os" {
		t.Errorf("POP of a mark: %+v %+v %v", evs, st, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, pickle string
		opts         pickle.Options
		offset       int64
		want         string
		limit        bool
	}{
		{"invalid opcode", proto4 + "N\xff.", pickle.Options{}, 3, "invalid opcode 0xff", false},
		{"protocol 6", "\x80\x06N.", pickle.Options{}, 0, "unsupported pickle protocol 6", false},
		{"truncated payload", proto4 + "B\x10\x00\x00\x00abc", pickle.Options{}, 2, "unexpected EOF", false},
		{"no STOP", proto4 + "N", pickle.Options{}, 3, "unexpected EOF", false},
		{"negative BINSTRING", "T\xff\xff\xff\xff.", pickle.Options{}, 0, "negative length", false},
		{"bad memo index", "p1x\n.", pickle.Options{}, 0, "invalid memo index", false},
		{"memo limit", proto4 + "N\x94\x94\x94.", pickle.Options{Limits: pickle.Limits{MaxMemo: 2}}, 5, "memo entries", true},
		{"stack limit", proto4 + "NNNN.", pickle.Options{Limits: pickle.Limits{MaxStack: 3}}, 5, "stack deeper", true},
		{"mark limit", proto4 + "((((.", pickle.Options{Limits: pickle.Limits{MaxStack: 3}}, 5, "stack deeper", true},
		{"pickle limit", "N.N.N.", pickle.Options{Limits: pickle.Limits{MaxPickles: 2}}, 4, "pickles", true},
		{"offset base", "N\xff", pickle.Options{Offset: 100}, 101, "invalid opcode", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := scanAll(t, []byte(tt.pickle), tt.opts)
			var pe *pickle.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *pickle.Error", err)
			}
			if pe.Offset != tt.offset || !strings.Contains(err.Error(), tt.want) || errors.Is(err, pickle.ErrLimit) != tt.limit {
				t.Errorf("error %v at %d, want %q at %d (limit %v)", err, pe.Offset, tt.want, tt.offset, tt.limit)
			}
		})
	}
}

func TestOpcodeLimit(t *testing.T) {
	b := []byte(proto4 + strings.Repeat("N0", 70000) + "N.")
	_, _, err := scanAll(t, b, pickle.Options{Limits: pickle.Limits{MaxOpcodes: 1000}})
	if !errors.Is(err, pickle.ErrLimit) {
		t.Fatalf("error %v", err)
	}
	if _, _, err := scanAll(t, b, pickle.Options{Limits: pickle.Limits{MaxOpcodes: -1}}); err == nil {
		t.Fatal("negative limit accepted")
	}
}

// TestPicklesOption reads only the pickles asked for, leaving trailing
// bytes alone, as torch.load does with a legacy file.
func TestPicklesOption(t *testing.T) {
	b := []byte("N.N.\x00\x01garbage")
	_, st, err := scanAll(t, b, pickle.Options{Pickles: 2})
	if err != nil || st.Pickles != 2 || st.End != 4 {
		t.Fatalf("stats %+v, error %v", st, err)
	}
	_, _, err = scanAll(t, b, pickle.Options{})
	var pe *pickle.Error
	if !errors.As(err, &pe) || pe.Pickle != 2 || pe.Offset != 4 {
		t.Fatalf("error %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := []byte(proto4 + strings.Repeat("N0", 70000) + "N.")
	if _, err := pickle.Scan(ctx, bytes.NewReader(b), pickle.Options{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// stream is a pickle made on the fly by a reader that cannot seek: a
// dict of nbig BINBYTES8 payloads of zeros, each under a short key.
type stream struct {
	segs []segment
}

// segment is some bytes followed by some zeros.
type segment struct {
	data  []byte
	zeros int64
}

func newStream(nbig int, payload int64) *stream {
	s := &stream{segs: []segment{{data: []byte(proto4 + "}(")}}}
	for i := range nbig {
		hdr := []byte(su("k"+string(rune('a'+i%26))) + "\x8e")
		hdr = append(hdr, byte(payload), byte(payload>>8), byte(payload>>16), byte(payload>>24), 0, 0, 0, 0)
		s.segs = append(s.segs, segment{data: hdr, zeros: payload})
	}
	s.segs = append(s.segs, segment{data: []byte("u.")})
	return s
}

func (s *stream) Read(p []byte) (int, error) {
	for len(s.segs) > 0 && len(s.segs[0].data) == 0 && s.segs[0].zeros == 0 {
		s.segs = s.segs[1:]
	}
	if len(s.segs) == 0 {
		return 0, io.EOF
	}
	seg := &s.segs[0]
	if len(seg.data) > 0 {
		n := copy(p, seg.data)
		seg.data = seg.data[n:]
		return n, nil
	}
	n := int(min(int64(len(p)), seg.zeros))
	clear(p[:n])
	seg.zeros -= int64(n)
	return n, nil
}

// TestStreamingMemory scans a 256 MiB pickle from a reader that cannot
// seek and checks that the scan allocates about the same whatever the
// payload size.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 256 MiB")
	}
	alloc := func(payload int64) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st, err := pickle.Scan(context.Background(), newStream(16, payload), pickle.Options{}, nil)
		runtime.ReadMemStats(&after)
		if err != nil || st.Pickles != 1 {
			t.Fatalf("stats %+v, error %v", st, err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, big := alloc(1<<10), alloc(16<<20)
	if big > small+(64<<10) {
		t.Errorf("allocated %d bytes for 256 MiB, %d for 16 KiB", big, small)
	}
}
