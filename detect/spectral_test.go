package detect_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/internal/gemm"
)

// spectralPlant is a synthetic problem for the trigger detectors: classes
// of Gaussian rows, each around its own mean, with a spread that decays
// over the dimensions; one class also holds a sub-population shifted by
// shift (in units of the largest standard deviation) along a random
// direction.
type spectralPlant struct {
	classes, perClass, dim int
	target                 int     // the class that holds the shifted rows, or -1
	rate                   float64 // share of the target class that is shifted
	shift                  float64
	seed                   uint64
}

// make builds the data and lists the shifted rows.
func (p spectralPlant) make() (*detect.Data, []int) {
	rng := rand.New(rand.NewPCG(p.seed, 7))
	n := p.classes * p.perClass
	d := &detect.Data{
		Features: detect.Matrix{Data: make([]float32, n*p.dim), Rows: n, Cols: p.dim},
		Labels:   make([]int, n),
		Classes:  p.classes,
	}
	spread := make([]float64, p.dim)
	for j := range spread {
		spread[j] = 1 / math.Sqrt(1+0.1*float64(j))
	}
	dir := make([]float64, p.dim)
	var norm float64
	for j := range dir {
		dir[j] = rng.NormFloat64()
		norm += dir[j] * dir[j]
	}
	for j := range dir {
		dir[j] /= math.Sqrt(norm)
	}
	var shifted []int
	planted := int(math.Round(p.rate * float64(p.perClass)))
	for c := range p.classes {
		centre := make([]float64, p.dim)
		for j := range centre {
			centre[j] = 3 * rng.NormFloat64()
		}
		for r := range p.perClass {
			// Interleave the classes so that a class's rows are not
			// contiguous.
			i := r*p.classes + c
			d.Labels[i] = c
			row := d.Features.Row(i)
			for j := range row {
				row[j] = float32(centre[j] + spread[j]*rng.NormFloat64())
			}
			if c == p.target && r < planted {
				for j := range row {
					row[j] += float32(p.shift * dir[j])
				}
				shifted = append(shifted, i)
			}
		}
	}
	return d, shifted
}

// spectralCheckPlanted checks a trigger detector on a planted problem:
// the shifted rows must lead the target class's scores and the whole
// set's, and the target class's statistic must stand above every clean
// class's by the factor margin.
func spectralCheckPlanted(t *testing.T, run func(context.Context, *detect.Data) (*detect.Scores, error), p spectralPlant, margin float64) {
	t.Helper()
	d, shifted := p.make()
	sc, err := run(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Row) != d.Features.Rows || len(sc.Class) != p.classes {
		t.Fatalf("%d row scores and %d class statistics for %d rows of %d classes", len(sc.Row), len(sc.Class), d.Features.Rows, p.classes)
	}
	if got := detect.AUROC(sc.Row, shifted); got < 0.99 {
		t.Errorf("AUROC over all rows %.4f, want ≥ 0.99", got)
	}
	// The top len(shifted) scores of the target class are the shifted
	// rows, but for a few.
	var rows []int
	for i, y := range d.Labels {
		if y == p.target {
			rows = append(rows, i)
		}
	}
	slices.SortFunc(rows, func(a, b int) int {
		switch {
		case sc.Row[a] > sc.Row[b]:
			return -1
		case sc.Row[a] < sc.Row[b]:
			return 1
		}
		return 0
	})
	caught := 0
	for _, i := range rows[:len(shifted)] {
		if slices.Contains(shifted, i) {
			caught++
		}
	}
	if float64(caught) < 0.9*float64(len(shifted)) {
		t.Errorf("%d of the %d shifted rows among the class's top %d scores", caught, len(shifted), len(shifted))
	}
	var clean float64
	for c, cs := range sc.Class {
		if cs.Class != c || cs.Rows != p.perClass {
			t.Errorf("class %d: stat %+v", c, cs)
		}
		if math.IsNaN(cs.Statistic) || math.IsInf(cs.Statistic, 0) {
			t.Errorf("class %d: statistic %g", c, cs.Statistic)
		}
		if c != p.target {
			clean = math.Max(clean, cs.Statistic)
		}
	}
	target := sc.Class[p.target].Statistic
	if target <= margin*clean {
		t.Errorf("target class statistic %.4g, clean classes up to %.4g: want a factor %g", target, clean, margin)
	}
	t.Logf("AUROC %.4f, caught %d/%d, statistic %.4g vs clean ≤ %.4g", detect.AUROC(sc.Row, shifted), caught, len(shifted), target, clean)
}

// spectralPlants are the planted problems every trigger detector must
// solve: 5% and 10% of a class, in 32 and 128 dimensions, and 5% in 256
// (where the principal components come from subspace iteration).
var spectralPlants = []struct {
	name  string
	plant spectralPlant
}{
	{"5%/32d", spectralPlant{classes: 5, perClass: 1000, dim: 32, target: 2, rate: 0.05, shift: 6, seed: 1}},
	{"10%/32d", spectralPlant{classes: 5, perClass: 1000, dim: 32, target: 0, rate: 0.10, shift: 6, seed: 2}},
	{"5%/128d", spectralPlant{classes: 4, perClass: 1500, dim: 128, target: 3, rate: 0.05, shift: 8, seed: 3}},
	{"10%/128d", spectralPlant{classes: 4, perClass: 1500, dim: 128, target: 1, rate: 0.10, shift: 8, seed: 4}},
	{"5%/256d", spectralPlant{classes: 3, perClass: 2000, dim: 256, target: 2, rate: 0.05, shift: 8, seed: 10}},
}

func TestSpectralPlanted(t *testing.T) {
	for _, tc := range spectralPlants {
		t.Run(tc.name, func(t *testing.T) {
			// Clean classes' gaps stay under 1.3 here; the planted
			// direction's is 2.3 and more.
			spectralCheckPlanted(t, detect.Spectral, tc.plant, 1.5)
		})
	}
}

// spectralDetectors lists the trigger detectors for the tests they share.
var spectralDetectors = []struct {
	name string
	run  func(context.Context, *detect.Data) (*detect.Scores, error)
}{
	{detect.SpectralName, detect.Spectral},
	{detect.ActivationClustName, detect.ActivationClustering},
	{detect.SpectreName, detect.Spectre},
}

func TestTriggerDetectorsEdgeCases(t *testing.T) {
	// Class 0: two rows; class 1: five equal rows; class 2: empty;
	// class 3: rows on one line.
	rows := [][]float32{
		{1, 2, 3}, {3, 2, 1},
		{5, 5, 5}, {5, 5, 5}, {5, 5, 5}, {5, 5, 5}, {5, 5, 5},
		{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}, {9, 9, 9},
	}
	labels := []int{0, 0, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3}
	d := &detect.Data{Features: detect.Matrix{Rows: len(rows), Cols: 3}, Labels: labels, Classes: 4}
	for _, r := range rows {
		d.Features.Data = append(d.Features.Data, r...)
	}
	for _, det := range spectralDetectors {
		t.Run(det.name, func(t *testing.T) {
			sc, err := det.run(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Detector != det.name {
				t.Errorf("detector %q", sc.Detector)
			}
			for i, s := range sc.Row {
				if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
					t.Errorf("row %d: score %g", i, s)
				}
			}
			for c, cs := range sc.Class {
				if math.IsNaN(cs.Statistic) || math.IsInf(cs.Statistic, 0) || cs.Statistic < 0 || cs.Poisoned {
					t.Errorf("class %d: %+v", c, cs)
				}
			}
			want := []int{2, 5, 0, 6}
			for c, cs := range sc.Class {
				if cs.Rows != want[c] {
					t.Errorf("class %d: %d rows, want %d", c, cs.Rows, want[c])
				}
			}
			// The outlier on the line leads its class wherever the
			// class is scored.
			if sc.Row[12] > 0 && slices.Max(sc.Row[7:13]) != sc.Row[12] {
				t.Errorf("class 3 scores %v: the outlier (last) should lead", sc.Row[7:13])
			}
		})
	}
}

func TestTriggerDetectorsErrors(t *testing.T) {
	bad := &detect.Data{Features: detect.Matrix{Data: make([]float32, 6), Rows: 2, Cols: 3}, Labels: []int{0, 2}, Classes: 2}
	d, _ := spectralPlant{classes: 3, perClass: 50, dim: 4, target: -1, seed: 5}.make()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, det := range spectralDetectors {
		t.Run(det.name, func(t *testing.T) {
			if _, err := det.run(context.Background(), bad); err == nil {
				t.Error("a label outside the classes passed")
			}
			if _, err := det.run(ctx, d); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled context: %v", err)
			}
		})
	}
}

// TestTriggerDetectorsDeterministic checks that two runs agree bit for
// bit, and that the thread count changes nothing: every sum runs in a
// fixed order.
func TestTriggerDetectorsDeterministic(t *testing.T) {
	d, _ := spectralPlant{classes: 3, perClass: 3000, dim: 64, target: 1, rate: 0.05, shift: 5, seed: 6}.make()
	for _, det := range spectralDetectors {
		t.Run(det.name, func(t *testing.T) {
			a, err := det.run(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			prev := gemm.SetThreads(1)
			b, err := det.run(context.Background(), d)
			gemm.SetThreads(prev)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Row, b.Row) || !slices.Equal(a.Class, b.Class) {
				t.Error("one thread and many disagree")
			}
		})
	}
}

// spectralBenchData is the benchmarks' input, the same as
// bench/scan/spectral_ref.py's: 60,000 rows of 256 float32 values uniform
// in [-1, 1) (value i is the top 24 bits of splitmix64(i)), row i in class
// i mod 10. Its classes' spectra are flat, the worst case for power
// iteration: it runs its 100 steps for both directions.
func spectralBenchData() *detect.Data {
	const rows, cols, classes = 60000, 256, 10
	d := &detect.Data{
		Features: detect.Matrix{Data: make([]float32, rows*cols), Rows: rows, Cols: cols},
		Labels:   make([]int, rows),
		Classes:  classes,
	}
	for i := range d.Features.Data {
		z := uint64(i) + 0x9e3779b97f4a7c15
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		d.Features.Data[i] = float32(z>>40)/(1<<23) - 1
	}
	for i := range d.Labels {
		d.Labels[i] = i % classes
	}
	return d
}

func BenchmarkSpectral(b *testing.B) {
	d := spectralBenchData()
	ctx := context.Background()
	for b.Loop() {
		if _, err := detect.Spectral(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkActivationClustering(b *testing.B) {
	d := spectralBenchData()
	ctx := context.Background()
	for b.Loop() {
		if _, err := detect.ActivationClustering(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSpectre(b *testing.B) {
	d := spectralBenchData()
	ctx := context.Background()
	for b.Loop() {
		if _, err := detect.Spectre(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSpectral() {
	// Class 0 spreads along x; class 1 is a square of four rows plus one
	// far out along x. Worked by hand for class 1: the mean is (2, 0.5),
	// the centred rows (−2,−½), (−1,−½), (−2,½), (−1,½), (6,0); X̄ᵀX̄ is
	// diag(46, 1), so v = (1, 0), the scores are the squared centred x
	// and the gap is 46.
	rows := [][]float32{
		{0, 0}, {2, 0}, {0, 1}, {2, 1},
		{0, 0}, {1, 0}, {0, 1}, {1, 1}, {8, 0.5},
	}
	d := &detect.Data{Features: detect.Matrix{Rows: len(rows), Cols: 2}, Labels: []int{0, 0, 0, 0, 1, 1, 1, 1, 1}, Classes: 2}
	for _, r := range rows {
		d.Features.Data = append(d.Features.Data, r...)
	}
	sc, err := detect.Spectral(context.Background(), d)
	if err != nil {
		panic(err)
	}
	fmt.Printf("scores %.2f\n", sc.Row)
	for _, c := range sc.Class {
		fmt.Printf("class %d: %d rows, gap σ1²/σ2² %.1f\n", c.Class, c.Rows, c.Statistic)
	}
	// Output:
	// scores [1.00 1.00 1.00 1.00 4.00 1.00 4.00 1.00 36.00]
	// class 0: 4 rows, gap σ1²/σ2² 4.0
	// class 1: 5 rows, gap σ1²/σ2² 46.0
}
