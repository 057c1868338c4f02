package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

// hashCells returns the lanes after folding xs[lo:hi] as column col into
// fresh lanes, with or without the assembly.
func hashCells(xs []float64, col, lo, hi int, asm bool) ([]uint64, []uint64) {
	defer func(old bool) { useHashNum8 = old }(useHashNum8)
	useHashNum8 = asm
	var r rowHasher
	r.reset(len(xs))
	r.addNum(col, xs, lo, hi)
	return r.h1, r.h2
}

// specialCells mixes every kind of cell numToken tells apart: missing,
// NaN, ±0, values that round to float32 zero, subnormals, overflow to
// ±Inf, infinities and ordinary values.
func specialCells(rng *rand.Rand, n int) []float64 {
	specials := []float64{dataset.Missing, math.NaN(), math.Float64frombits(0x7ff0_0000_0000_0001), 0, math.Copysign(0, -1),
		1e-300, -1e-300, 1e-40, -3e-39, 1e39, -1e300, math.Inf(1), math.Inf(-1), math.MaxFloat32, 0.1, -2.5}
	xs := make([]float64, n)
	for i := range xs {
		if rng.IntN(3) == 0 {
			xs[i] = specials[rng.IntN(len(specials))]
		} else {
			xs[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
		}
	}
	return xs
}

// The AVX-512 row hashing gives exactly the Go loop's lanes, for every
// kind of cell, any length and any starting row.
func TestHashNum8MatchesGo(t *testing.T) {
	if !hasHashNum8 {
		t.Skip("this CPU or build has no AVX-512 row hashing")
	}
	rng := rand.New(rand.NewPCG(8, 8))
	xs := specialCells(rng, 300)
	for _, span := range [][2]int{{0, 300}, {0, 8}, {3, 11}, {5, 5}, {1, 299}, {7, 64}, {0, 7}} {
		for _, col := range []int{0, 1, 41} {
			g1, g2 := hashCells(xs, col, span[0], span[1], false)
			a1, a2 := hashCells(xs, col, span[0], span[1], true)
			if !slices.Equal(g1, a1) || !slices.Equal(g2, a2) {
				t.Fatalf("rows %d..%d, column %d: assembly lanes differ from Go's", span[0], span[1], col)
			}
		}
	}
}

func FuzzHashNum8(f *testing.F) {
	f.Add(uint64(0x7ff8_0000_0bad_f00d), uint64(0x8000_0000_0000_0000), uint64(1), 3)
	f.Fuzz(func(t *testing.T, a, b, c uint64, col int) {
		if !hasHashNum8 || col < 0 {
			return
		}
		xs := make([]float64, 16)
		for i := range xs {
			xs[i] = math.Float64frombits([]uint64{a, b, c, a ^ b}[i%4] + uint64(i/4))
		}
		g1, g2 := hashCells(xs, col, 0, 16, false)
		a1, a2 := hashCells(xs, col, 0, 16, true)
		if !slices.Equal(g1, a1) || !slices.Equal(g2, a2) {
			t.Fatalf("cells %x: assembly lanes differ", []uint64{a, b, c})
		}
	})
}

// BenchmarkRowHashNum hashes a 4096-row column of normal doubles with the
// assembly and with the Go loop.
func BenchmarkRowHashNum(b *testing.B) {
	xs := specialCells(rand.New(rand.NewPCG(2, 2)), 4096)
	var r rowHasher
	r.reset(len(xs))
	for _, asm := range []bool{true, false} {
		name := map[bool]string{true: "avx512", false: "go"}[asm]
		b.Run(name, func(b *testing.B) {
			if asm && !hasHashNum8 {
				b.Skip("no AVX-512")
			}
			defer func(old bool) { useHashNum8 = old }(useHashNum8)
			useHashNum8 = asm
			for b.Loop() {
				r.addNum(3, xs, 0, len(xs))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(xs)), "ns/cell")
		})
	}
}
