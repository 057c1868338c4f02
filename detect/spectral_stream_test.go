package detect_test

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// TestSpectralStreamMatchesInMemory streams a feature file in batches of
// 7 rows (so every class is split across many batches) and wants the
// in-memory detector's statistics and scores, to a relative 1e-4 (float32
// products summed in a different order).
func TestSpectralStreamMatchesInMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n, dim, classes = 900, 16, 3
	x := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % classes
		for j := range dim {
			x[i*dim+j] = float32(rng.NormFloat64() + 10) // an offset centring must cancel
		}
		if labels[i] == 1 && i%10 == 1 { // a planted sub-population in class 1
			x[i*dim+3] += 4
		}
	}
	var b bytes.Buffer
	if err := npy.Write(&b, []int64{n, dim}, x); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	opened := 0
	open := func() (dataset.Source, error) {
		opened++
		return dataset.Open(path, dataset.Options{BatchRows: 7})
	}
	got, err := detect.SpectralStream(context.Background(), open, labels, classes)
	if err != nil {
		t.Fatal(err)
	}
	want, err := detect.Spectral(context.Background(), &detect.Data{Features: detect.Matrix{Data: x, Rows: n, Cols: dim}, Labels: labels, Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	if opened != 2 {
		t.Errorf("the source was read %d times, want 2", opened)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-4*math.Max(math.Abs(b), 1e-3) }
	for c := range classes {
		if !close(got.Class[c].Statistic, want.Class[c].Statistic) {
			t.Errorf("class %d: statistic %g, in memory %g", c, got.Class[c].Statistic, want.Class[c].Statistic)
		}
	}
	top := 0.0
	for _, s := range want.Row {
		top = math.Max(top, s)
	}
	for i := range n {
		if math.Abs(got.Row[i]-want.Row[i]) > 1e-4*top {
			t.Fatalf("row %d: score %g, in memory %g", i, got.Row[i], want.Row[i])
		}
	}
	if _, err := detect.SpectralStream(context.Background(), open, labels[:n-1], classes); err == nil {
		t.Error("a label short of the rows was accepted")
	}
}
