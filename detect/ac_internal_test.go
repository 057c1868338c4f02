package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestACSilhouette checks the gemm-based silhouette against the formula
// computed directly (float64 distances by differences, every pair).
func TestACSilhouette(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, m = 700, 3
	z := make([]float32, n*m)
	assign := make([]uint8, n)
	for i := range n {
		if i%5 == 0 {
			assign[i] = 1
		}
		for j := range m {
			z[i*m+j] = float32(rng.NormFloat64() + 3*float64(assign[i]))
		}
	}
	dist := func(a, b int) float64 {
		var s float64
		for j := range m {
			t := float64(z[a*m+j]) - float64(z[b*m+j])
			s += t * t
		}
		return math.Sqrt(s)
	}
	// Every row sampled, then a sample of 300: sklearn's
	// silhouette_score(z[sample], assign[sample]).
	for _, sample := range [][]int{acSampleRows(n, rng), sampleOf(n, 300, rng)} {
		naive := func(i int) float64 {
			var sum [2]float64
			var cnt [2]int
			for _, p := range sample {
				if p != i {
					sum[assign[p]] += dist(i, p)
					cnt[assign[p]]++
				}
			}
			own := assign[i]
			a, b := sum[own]/float64(cnt[own]), sum[1-own]/float64(cnt[1-own])
			return (b - a) / math.Max(a, b)
		}
		mean, rows := acSilhouette(z, n, m, assign, sample)
		var want float64
		for _, p := range sample {
			want += naive(p)
		}
		want /= float64(len(sample))
		if math.Abs(mean-want) > 1e-5 {
			t.Errorf("%d sampled: silhouette %.8f, direct %.8f", len(sample), mean, want)
		}
		for _, i := range []int{0, 1, 5, 17, n - 1} {
			if w := naive(i); math.Abs(rows[i]-w) > 1e-5 {
				t.Errorf("%d sampled: row %d silhouette %.8f, direct %.8f", len(sample), i, rows[i], w)
			}
		}
	}
}

func sampleOf(n, s int, rng *rand.Rand) []int { return rng.Perm(n)[:s] }

func TestACKMeans2(t *testing.T) {
	// Two tight groups on a line: 1 row at 10, 4 rows near 0.
	z := []float32{0, 0.1, -0.1, 0.05, 10}
	assign, sizes := acKMeans2(z, 5, 1, rand.New(rand.NewPCG(1, 1)))
	if sizes[assign[4]] != 1 || sizes[1-assign[4]] != 4 {
		t.Errorf("assign %v sizes %v", assign, sizes)
	}
	for i := range 4 {
		if assign[i] == assign[4] {
			t.Errorf("row %d joined the far row: %v", i, assign)
		}
	}
	// All rows equal: no split.
	if _, sizes := acKMeans2([]float32{2, 2, 2, 2}, 4, 1, rand.New(rand.NewPCG(1, 1))); sizes[1] != 0 {
		t.Errorf("equal rows split %v", sizes)
	}
}
