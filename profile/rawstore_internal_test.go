package profile

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A column's exact sample is the same whether its raw values stayed
// float32 throughout, widened part-way, or were float64 from the start.
func TestExactStoreNarrowAndWide(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	f32 := make([]float64, 70_000)
	for i := range f32 {
		f32[i] = float64(float32(rng.NormFloat64()))
	}
	for i := 0; i < 3000; i += 3 { // zeros, integers, negatives, repeats
		f32[i], f32[i+1], f32[i+2] = 0, float64(i%7), -float64(float32(i%11))/8
	}
	mixed := slices.Clone(f32)
	for i := 50_000; i < len(mixed); i++ {
		mixed[i] = rng.NormFloat64() // not float32 from here on
	}
	// The first values, counted, are float64; the raw ones float32.
	countedWide := slices.Clone(f32)
	for i := range 100 {
		countedWide[i] = rng.NormFloat64()
	}
	for name, xs := range map[string][]float64{"float32": f32, "widened": mixed, "counted float64": countedWide} {
		t.Run(name, func(t *testing.T) {
			var s colState
			for i := 0; i < len(xs); i += 4096 {
				s.keep(xs[i:min(i+4096, len(xs))])
			}
			if wide := s.raw.isWide; wide != (name == "widened") {
				t.Fatalf("wide = %v", wide)
			}
			var scratch [2][]uint64
			got, want := s.values(&scratch), Compact(slices.Clone(xs))
			if !slices.Equal(got.Values, want.Values) || !slices.Equal(got.Counts, want.Counts) {
				t.Fatal("exact sample differs from compacting the raw values")
			}
			var s2 colState
			s2.keep(xs)
			sk := s2.toSketch(200)
			if sk.N() != int64(len(xs)) || sk.Min() != want.Values[0] || sk.Max() != want.Values[len(want.Values)-1] {
				t.Fatalf("sketch n=%d min=%v max=%v", sk.N(), sk.Min(), sk.Max())
			}
		})
	}
}
