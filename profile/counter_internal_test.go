package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The counter's sample equals compacting the same values directly, for
// dense integers, negative and fractional values and their mixture.
func TestValueCounterSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var xs []float64
	for range 20_000 {
		switch rng.IntN(4) {
		case 0:
			xs = append(xs, float64(rng.IntN(300)))
		case 1:
			xs = append(xs, -float64(rng.IntN(50))-0.5)
		case 2:
			xs = append(xs, float64(rng.IntN(40))+0.25)
		default:
			xs = append(xs, 5000+float64(rng.IntN(30)))
		}
	}
	var vc valueCounter
	if took := vc.add(xs, maxSmallDistinct); took != len(xs) {
		t.Fatalf("took %d of %d", took, len(xs))
	}
	got, want := vc.sample(), Compact(slices.Clone(xs))
	if !slices.Equal(got.Values, want.Values) || !slices.Equal(got.Counts, want.Counts) {
		t.Fatalf("sample differs from compaction:\n%v\n%v", got.Values[:10], want.Values[:10])
	}
}

func TestValueCounterStopsAtLimit(t *testing.T) {
	xs := make([]float64, maxSmallDistinct+10)
	for i := range xs {
		xs[i] = math.Sqrt(float64(i))
	}
	var vc valueCounter
	if took := vc.add(xs, maxSmallDistinct); took != maxSmallDistinct || !vc.full {
		t.Fatalf("took %d, full %v", took, vc.full)
	}
	if vc.add([]float64{0}, maxSmallDistinct) != 0 {
		t.Fatal("a full counter took more")
	}
}
