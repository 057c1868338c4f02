package detect_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/detect"
)

// TestNeighboursStreamMatchesInMemory writes blobs to a .npy, finds the
// neighbours in chunks of several sizes (one row, a ragged last chunk,
// all rows) and compares them with the in-memory search.
func TestNeighboursStreamMatchesInMemory(t *testing.T) {
	const n, d, k = 700, 24, 7
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n*d)
	for i := range n {
		c := i % 5
		for j := range d {
			x[i*d+j] = float32(r.NormFloat64()*0.3 + float64((c+j)%5))
		}
	}
	path := writeNpy(t, x, n, d)
	open := func() (dataset.Source, error) { return dataset.Open(path, dataset.Options{BatchRows: 97}) }
	want, err := detect.Neighbours(context.Background(), detect.Matrix{Data: slices.Clone(x), Rows: n, Cols: d}, k)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 64, 300, n, 5 * n} {
		got, err := detect.NeighboursStream(context.Background(), open, n, k, chunk)
		if err != nil {
			t.Fatal(err)
		}
		differ := 0
		for i := range n {
			a, _ := got.Row(i)
			b, _ := want.Row(i)
			if !slices.Equal(a, b) {
				differ++
			}
		}
		// Similarities computed in other blocks may differ in the last
		// bit, which can swap near-ties: allow 1% of rows.
		if differ > n/100 {
			t.Errorf("chunk %d: %d of %d rows have other neighbours", chunk, differ, n)
		}
	}
}

// TestScanKNNLabelStream finds flipped labels in chunks and agrees with the
// in-memory scan.
func TestScanKNNLabelStream(t *testing.T) {
	const n, d = 900, 16
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, n*d)
	labels := make([]int, n)
	for i := range n {
		c := i % 3
		labels[i] = c
		for j := range d {
			mean := 0.0
			if j/5 == c { // each class points its own way
				mean = 3
			}
			x[i*d+j] = float32(r.NormFloat64()*0.2 + mean)
		}
	}
	var flipped []int
	for i := 0; i < n; i += 12 {
		labels[i] = (labels[i] + 1) % 3
		flipped = append(flipped, i)
	}
	path := writeNpy(t, x, n, d)
	open := func() (dataset.Source, error) { return dataset.Open(path, dataset.Options{}) }
	opts := detect.Options{Detector: detect.KNNLabelName}
	streamed, err := detect.ScanKNNLabelStream(context.Background(), open, labels, 3, 128, opts)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := detect.Scan(context.Background(), &detect.Data{Features: detect.Matrix{Data: x, Rows: n, Cols: d}, Labels: labels, Classes: 3}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(rep *detect.Report) []int {
		var out []int
		for _, s := range rep.Suspicious {
			out = append(out, s.Index)
		}
		slices.Sort(out)
		return out
	}
	got := rows(streamed)
	if !slices.Equal(got, rows(inMemory)) {
		t.Fatalf("streamed flagged %v; in memory %v", got, rows(inMemory))
	}
	hits := 0
	for _, i := range got {
		if slices.Contains(flipped, i) {
			hits++
		}
	}
	if hits < len(flipped)*9/10 || hits < len(got) {
		t.Fatalf("flagged %d rows, %d of the %d flipped ones", len(got), hits, len(flipped))
	}
}

// writeNpy writes an n×d float32 matrix to a .npy file.
func writeNpy(t *testing.T, x []float32, n, d int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dataset.WriteFeatures(f, &dataset.Set{X: x, N: n, D: d}, dataset.FormatNPY, ""); err != nil {
		t.Fatal(err)
	}
	return path
}
