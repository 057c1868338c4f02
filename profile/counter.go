package profile

import (
	"maps"
	"slices"
)

// valueCounter counts the values of a numeric column while it has few
// distinct ones. Integral values in [0, denseSize) — pixels, codes, small
// counts — are counted in an array, the rest in a map, and runs of equal
// values are counted once per run.
type valueCounter struct {
	dense    []int64 // counts of the integers 0..denseSize-1, allocated on first use
	sparse   map[float64]int64
	distinct int
	full     bool // a value was refused: the column has too many distinct values
}

const (
	// maxSmallDistinct is how many distinct values a column may have to
	// stay exact beyond the exact limit, counted.
	maxSmallDistinct = 4096
	// eagerDistinct is how many distinct values the exact store counts
	// while within the exact limit; beyond them it keeps raw values, and
	// only a column that passes the exact limit is counted again up to
	// maxSmallDistinct (see colState.rescue). Counting every column up to
	// maxSmallDistinct at once cost a continuous column a 4096-entry map
	// (about 270 KB: 210 MB for a 784-column file) only to give up.
	eagerDistinct = 256
	// denseSize bounds the integers counted in the array.
	denseSize = 4096
)

// add counts values until one would exceed limit distinct values; it
// returns how many it took (all of xs unless the counter became full).
func (vc *valueCounter) add(xs []float64, limit int) int {
	if vc.full {
		return 0
	}
	for i := 0; i < len(xs); {
		x := xs[i]
		j := i + 1
		for j < len(xs) && xs[j] == x {
			j++
		}
		if !vc.addRun(x, int64(j-i), limit) {
			return i
		}
		i = j
	}
	return len(xs)
}

// addRun counts n copies of x, unless x is new and would exceed limit
// distinct values, which marks the counter full.
func (vc *valueCounter) addRun(x float64, n int64, limit int) bool {
	if x >= 0 && x < denseSize && x == float64(int(x)) {
		if vc.dense == nil {
			vc.dense = make([]int64, denseSize)
		}
		k := int(x)
		if vc.dense[k] == 0 && !vc.admit(limit) {
			return false
		}
		vc.dense[k] += n
		return true
	}
	if vc.sparse == nil {
		vc.sparse = make(map[float64]int64)
	}
	c, ok := vc.sparse[x]
	if !ok && !vc.admit(limit) {
		return false
	}
	vc.sparse[x] = c + n
	return true
}

// admit makes room for one more distinct value, or marks the counter full.
func (vc *valueCounter) admit(limit int) bool {
	if vc.distinct >= limit {
		vc.full = true
		return false
	}
	vc.distinct++
	return true
}

// allFloat32 reports whether every counted value is exactly a float32.
func (vc *valueCounter) allFloat32() bool {
	for x := range vc.sparse {
		if float64(float32(x)) != x {
			return false
		}
	}
	return true // and the dense integers below 4096 are
}

// each calls fn for every counted value and its count, in no set order.
func (vc *valueCounter) each(fn func(x float64, n int64)) {
	for k, n := range vc.dense {
		if n > 0 {
			fn(float64(k), n)
		}
	}
	for x, n := range vc.sparse {
		fn(x, n)
	}
}

// sample returns the counted values as a sample.
func (vc *valueCounter) sample() *Values {
	out := &Values{Values: make([]float64, 0, vc.distinct), Counts: make([]int64, 0, vc.distinct)}
	neg := slices.Sorted(maps.Keys(vc.sparse))
	i := 0
	for ; i < len(neg) && neg[i] < 0; i++ {
		out.Values, out.Counts = append(out.Values, neg[i]), append(out.Counts, vc.sparse[neg[i]])
	}
	// The dense integers and the remaining sparse values, merged.
	for k, n := range vc.dense {
		x := float64(k)
		for ; i < len(neg) && neg[i] < x; i++ {
			out.Values, out.Counts = append(out.Values, neg[i]), append(out.Counts, vc.sparse[neg[i]])
		}
		if n > 0 {
			out.Values, out.Counts = append(out.Values, x), append(out.Counts, n)
		}
	}
	for ; i < len(neg); i++ {
		out.Values, out.Counts = append(out.Values, neg[i]), append(out.Counts, vc.sparse[neg[i]])
	}
	return out.canonical()
}
