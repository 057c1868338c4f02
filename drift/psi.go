package drift

import (
	"math"
	"slices"
)

// PSIEpsilon replaces the share of a bin that is empty on one side, so that
// PSI stays finite (the common convention, also Evidently's).
const PSIEpsilon = 1e-4

// Deciles returns the bin edges for PSI: the baseline's quantiles at 0.1,
// 0.2, ..., 0.9, with duplicates removed. Quantiles use NumPy's default
// definition (numpy.quantile, method="linear"): for n values in ascending
// order x[0..n-1], quantile q is the linear interpolation at position
// (n-1)·q, computed with NumPy's exact arithmetic.
//
// Tied quantiles (a baseline with a large share of one value, such as
// many zeros) collapse into one edge, so there are between 0 and 9 edges
// and one bin more than edges; NaN edges, which only an infinite baseline
// value can produce, are dropped. An empty or invalid sample has no edges.
func Deciles(s Sample) []float64 {
	n, ok := s.usable()
	if !ok {
		return nil
	}
	cum := make([]int64, len(s.Values)) // cum[i]: observations up to value i
	var c int64
	for i := range s.Values {
		c += s.count(i)
		cum[i] = c
	}
	at := func(pos int64) float64 { // pos-th smallest observation, 0-based
		i, _ := slices.BinarySearch(cum, pos+1)
		return s.Values[i]
	}
	edges := make([]float64, 0, 9)
	for k := 1; k <= 9; k++ {
		q := float64(k) / 10
		vi := float64(n-1) * q
		var e float64
		if vi >= float64(n-1) {
			e = s.Values[len(s.Values)-1]
		} else {
			lo := int64(math.Floor(vi))
			a, b := at(lo), at(lo+1)
			t := vi - float64(lo)
			diff := b - a
			e = a + diff*t
			if t >= 0.5 {
				e = b - diff*(1-t)
			}
		}
		if math.IsNaN(e) || (len(edges) > 0 && edges[len(edges)-1] == e) {
			continue
		}
		edges = append(edges, e)
	}
	return edges
}

// BinCounts counts the observations of s in the len(edges)+1 bins cut by
// the ascending edges: bin 0 is (-Inf, edges[0]), bin i is
// [edges[i-1], edges[i]), the last bin is [edges[len-1], +Inf). A value
// equal to an edge falls in the upper bin, as numpy.searchsorted(edges, x,
// side="right") places it. The outer bins are open, so batch values outside
// the baseline's range are counted. An invalid sample counts as empty.
func BinCounts(edges []float64, s Sample) []float64 {
	out := make([]float64, len(edges)+1)
	if s.Validate() != nil {
		return out
	}
	bin := 0
	for i, v := range s.Values {
		for bin < len(edges) && edges[bin] <= v {
			bin++
		}
		out[bin] += float64(s.count(i))
	}
	return out
}

// PSI returns the Population Stability Index of a batch against a baseline
// from their counts in the same bins: Σ (cur_i - ref_i)·ln(cur_i/ref_i)
// over the bins' shares, where a share of zero is replaced by PSIEpsilon on
// either side. It is symmetric in ref and cur. Common reading: below 0.1
// no significant change, 0.1 to 0.25 moderate, above 0.25 significant.
//
// It returns NaN when the lengths differ, a count is negative, NaN or
// infinite, or either total is zero.
func PSI(ref, cur []float64) float64 {
	sr, okr := total(ref)
	sc, okc := total(cur)
	if !okr || !okc || len(ref) != len(cur) {
		return math.NaN()
	}
	psi := 0.0
	for i := range ref {
		r, c := ref[i]/sr, cur[i]/sc
		if r == 0 {
			r = PSIEpsilon
		}
		if c == 0 {
			c = PSIEpsilon
		}
		psi += (c - r) * math.Log(c/r)
	}
	return psi
}
