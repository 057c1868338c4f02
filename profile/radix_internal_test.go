package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortKeysMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gens := map[string]func() float64{
		"normal":   rng.NormFloat64,
		"integers": func() float64 { return float64(rng.IntN(300)) },
		"mixed signs and zeros": func() float64 {
			switch rng.IntN(4) {
			case 0:
				return 0
			case 1:
				return -rng.ExpFloat64() * 1e300
			}
			return rng.NormFloat64() * 1e-300
		},
		"constant": func() float64 { return 3.5 },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 17, 5000} {
				xs := make([]float64, n)
				keys := make([]uint64, n)
				for i := range xs {
					xs[i] = gen()
					keys[i] = orderKey(xs[i])
				}
				got := radixSortKeys(keys, make([]uint64, n))
				slices.Sort(xs)
				for i, k := range got {
					if fromOrderKey(k) != xs[i] && !(xs[i] == 0 && fromOrderKey(k) == 0) {
						t.Fatalf("n=%d: position %d holds %v, want %v", n, i, fromOrderKey(k), xs[i])
					}
				}
			}
		})
	}
	if !math.Signbit(fromOrderKey(orderKey(math.Copysign(0, -1)))) {
		t.Fatal("order keys lost the sign of -0")
	}
}
