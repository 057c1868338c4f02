package scan_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/scan"
)

// seed adds the fixtures whose names match pattern.
func seed(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
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
}

// small keeps fuzzing inside small limits.
var small = scan.Options{MaxDepth: 2, MaxJSONBytes: 1 << 20}

// check scans b and checks the invariants every file must keep: no
// error (the reader cannot fail), a known verdict that is the worst of
// the findings', offsets inside the input when not in a member.
func check(t *testing.T, b []byte) scan.File {
	f, err := scan.ScanReader(context.Background(), "fuzz", bytes.NewReader(b), int64(len(b)), small)
	if err != nil {
		t.Fatalf("error %v", err)
	}
	worst := scan.Safe
	for _, x := range f.Findings {
		worst = worst.Worse(x.Verdict)
		if x.Rule == "" || x.Message == "" {
			t.Fatalf("finding without rule or message: %+v", x)
		}
		if x.Member == "" && (x.Offset < 0 || x.Offset > int64(len(b))) {
			t.Fatalf("finding %+v outside %d bytes", x, len(b))
		}
	}
	if f.Verdict != worst {
		t.Fatalf("verdict %s, worst finding %s", f.Verdict, worst)
	}
	return f
}

// FuzzScanReader feeds every format through format detection.
func FuzzScanReader(f *testing.F) {
	seed(f, "*.*")
	f.Fuzz(func(t *testing.T, b []byte) { check(t, b) })
}

// FuzzNpy fuzzes .npy headers and object-array detection.
func FuzzNpy(f *testing.F) {
	seed(f, "*.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		b = append([]byte("\x93NUMPY"), b...)
		if got := check(t, b); got.Format != scan.FormatNumPy {
			t.Fatalf("format %s", got.Format)
		}
	})
}

// FuzzSafetensors fuzzes the safetensors header judgement.
func FuzzSafetensors(f *testing.F) {
	seed(f, "*.safetensors")
	f.Fuzz(func(t *testing.T, b []byte) {
		got := check(t, b)
		if got.Format == scan.FormatSafetensors && got.Verdict != scan.Safe && got.Verdict != scan.Invalid {
			t.Fatalf("safetensors verdict %s", got.Verdict)
		}
	})
}

// FuzzKerasConfig fuzzes the Keras config judgement.
func FuzzKerasConfig(f *testing.F) {
	f.Add([]byte(`{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Lambda"}]}}`))
	f.Add([]byte(`{"module": "os", "class_name": "system", "registered_name": "x>y"}`))
	f.Add([]byte(`[[[{"function_type": 1}]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, x := range scan.KerasConfigFindings(b) {
			if x.Rule == "" || x.Verdict == scan.Safe {
				t.Fatalf("finding %+v", x)
			}
		}
	})
}
