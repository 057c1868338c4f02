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

func TestRadixSortRowsByHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	rows := make([]pendingRow, 3000)
	for i := range rows {
		rows[i] = pendingRow{hash: rng.Uint64() >> uint(rng.IntN(64)), label: uint64(i)}
	}
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b pendingRow) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	// LSD radix sort is stable, so equal hashes keep their order too.
	if got := radixSortRows(rows, make([]pendingRow, len(rows))); !slices.Equal(got, want) {
		t.Fatal("rows not sorted by hash, stably")
	}
}
