package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/cli"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// writeNPY writes a .npy file.
func writeNPY[T npy.Value](t *testing.T, path string, shape []int64, data []T) {
	t.Helper()
	var b bytes.Buffer
	if err := npy.Write(&b, shape, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// blobs writes 3 well-separated Gaussian classes of 200 rows in 8
// dimensions, with the labels of the given rows moved to the next class.
func blobs(t *testing.T, dir string, flipped []int) (features, labels string) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, d = 600, 8
	x, y := make([]float32, n*d), make([]int64, n)
	for i := range n {
		c := i % 3
		y[i] = int64(c)
		for j := range d {
			x[i*d+j] = float32(rng.NormFloat64()) * 0.3
		}
		x[i*d+c] += 5
	}
	for _, i := range flipped {
		y[i] = (y[i] + 1) % 3
	}
	features, labels = filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	writeNPY(t, features, []int64{n, d}, x)
	writeNPY(t, labels, []int64{n}, y)
	return features, labels
}

func TestDataScanFlipped(t *testing.T) {
	dir := t.TempDir()
	var flipped []int // 50 rows spread over the classes: about 8% of each
	for k := range 50 {
		flipped = append(flipped, 12*k+k%3)
	}
	features, labels := blobs(t, dir, flipped)
	out := filepath.Join(dir, "suspicious.csv")
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels,
		"--detector", "knn-label", "-o", out, "--json"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (poisoned): %s", code, stderr.String())
	}
	var rep struct {
		Classes []struct {
			Class    int  `json:"class"`
			Poisoned bool `json:"poisoned"`
		} `json:"classes"`
		Suspicious []struct {
			Index int `json:"index"`
		} `json:"suspicious"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, s := range rep.Suspicious {
		got = append(got, s.Index)
	}
	slices.Sort(got)
	if !slices.Equal(got, flipped) {
		t.Errorf("flagged %v, want exactly the flipped rows %v", got, flipped)
	}
	csv, _ := os.ReadFile(out)
	if lines := strings.Count(string(csv), "\n"); lines != len(flipped)+1 {
		t.Errorf("suspicious.csv has %d lines", lines)
	}

	// A policy file's scan section moves the gate: with knn_mass_floor at
	// 0.5 the 8% of flipped rows no longer make a class poisoned.
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("scan:\n  knn_mass_floor: 0.5\n"), 0o644)
	code = cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels,
		"--detector", "knn-label", "--policy", policy}, &stdout, &stderr)
	if code != 0 {
		t.Errorf("with knn_mass_floor 0.5: exit %d, want 0", code)
	}
	os.WriteFile(policy, []byte("scan:\n  knn_mass_floor: 5\n"), 0o644)
	if code = cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels, "--policy", policy}, &stdout, &stderr); code != 2 {
		t.Errorf("an out-of-range policy: exit %d, want 2", code)
	}

	// Chunked: the same rows flagged when the features are streamed past
	// 64 rows held at a time.
	stdout.Reset()
	code = cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels,
		"--detector", "knn-label", "--chunk-rows", "64", "--json"}, &stdout, &stderr)
	var chunked struct {
		Suspicious []struct {
			Index int `json:"index"`
		} `json:"suspicious"`
	}
	json.Unmarshal(stdout.Bytes(), &chunked)
	var gotChunked []int
	for _, s := range chunked.Suspicious {
		gotChunked = append(gotChunked, s.Index)
	}
	slices.Sort(gotChunked)
	if code != 1 || !slices.Equal(gotChunked, flipped) {
		t.Errorf("--chunk-rows 64: exit %d, flagged %v", code, gotChunked)
	}

	// Clean data: exit 0, nothing flagged, and the text report says so.
	clean := t.TempDir()
	features, labels = blobs(t, clean, nil)
	stdout.Reset()
	code = cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels, "--detector", "knn-label"}, &stdout, &stderr)
	if code != 0 || !strings.HasPrefix(stdout.String(), "pass: no class looks poisoned") {
		t.Errorf("clean data: exit %d, output %q", code, stdout.String())
	}

	// Confident learning from given probabilities (the true classes,
	// confidently), with ids from a file.
	probs := make([]float32, 600*3)
	isFlipped := map[int]bool{}
	for _, i := range flipped {
		isFlipped[i] = true
	}
	var ids strings.Builder
	for i := range 600 {
		probs[i*3+i%3] = 0.98
		probs[i*3+(i+1)%3] = 0.01
		probs[i*3+(i+2)%3] = 0.01
		fmt.Fprintf(&ids, "row-%d\n", i)
	}
	writeNPY(t, filepath.Join(dir, "p.npy"), []int64{600, 3}, probs)
	os.WriteFile(filepath.Join(dir, "ids.csv"), []byte(ids.String()), 0o644)
	stdout.Reset()
	code = cli.Main(context.Background(), []string{"data", "scan", "--features", filepath.Join(dir, "x.npy"), "--labels", filepath.Join(dir, "y.npy"),
		"--probs", filepath.Join(dir, "p.npy"), "--ids", filepath.Join(dir, "ids.csv"), "--detector", "confident-learning", "--json"}, &stdout, &stderr)
	var cl struct {
		Suspicious []struct {
			Index int    `json:"index"`
			ID    string `json:"id"`
		} `json:"suspicious"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &cl); code != 1 || err != nil {
		t.Fatalf("confident learning: exit %d, %v: %s", code, err, stderr.String())
	}
	if len(cl.Suspicious) != len(flipped) {
		t.Errorf("confident learning flagged %d rows, want the %d flipped", len(cl.Suspicious), len(flipped))
	}
	for _, s := range cl.Suspicious {
		if !isFlipped[s.Index] || s.ID != fmt.Sprintf("row-%d", s.Index) {
			t.Errorf("flagged row %d with id %q", s.Index, s.ID)
		}
	}

	// Spectral signatures stream the file: same report shape.
	stdout.Reset()
	code = cli.Main(context.Background(), []string{"data", "scan", "--features", features, "--labels", labels, "--detector", "spectral", "--json"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), `"detectors": [`) || !strings.Contains(stdout.String(), `"spectral"`) {
		t.Errorf("spectral on clean blobs: exit %d, output %s", code, stdout.String())
	}

	// Mismatched rows and unknown detectors are input errors (exit 2).
	writeNPY(t, filepath.Join(dir, "short.npy"), []int64{3}, []int64{0, 1, 2})
	for _, args := range [][]string{
		{"data", "scan", "--features", features, "--labels", filepath.Join(dir, "short.npy")},
		{"data", "scan", "--features", features, "--labels", labels, "--detector", "nosuch"},
		{"data", "scan", "--features", features},
		{"data", "scan", "--features", features, "--labels", filepath.Join(dir, "short.npy"), "--detector", "spectral"},
	} {
		if code := cli.Main(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
