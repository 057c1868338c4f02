package drift

import "math"

// JSDistance returns the Jensen-Shannon distance with base-2 logarithms
// between two histograms over the same categories or bins, as
// scipy.spatial.distance.jensenshannon(p, q, base=2) computes it: the square
// root of the JS divergence, in [0, 1]. p and q hold counts (or any
// non-negative weights); each is normalised to sum to 1 first. Empty bins
// need no smoothing.
//
// Where rounding makes the divergence a tiny negative number (nearly equal
// histograms), JSDistance returns 0 where SciPy returns NaN. It returns
// NaN when the lengths differ, a weight is negative or NaN, or either total
// is zero or not finite.
func JSDistance(p, q []float64) float64 {
	sp, okp := total(p)
	sq, okq := total(q)
	if !okp || !okq || len(p) != len(q) {
		return math.NaN()
	}
	var left, right float64
	for i := range p {
		pi, qi := p[i]/sp, q[i]/sq
		mi := (pi + qi) / 2
		left += relEntr(pi, mi)
		right += relEntr(qi, mi)
	}
	js := (left + right) / math.Ln2
	if js <= 0 {
		return 0
	}
	return math.Sqrt(js / 2)
}

// relEntr is scipy.special.rel_entr for the arguments JSDistance passes
// (x >= 0, y >= x/2).
func relEntr(x, y float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(x/y)
}

// total returns the sum of counts, and whether every count is finite and
// non-negative and the sum positive and finite.
func total(counts []float64) (float64, bool) {
	s := 0.0
	for _, c := range counts {
		if !(c >= 0) || math.IsInf(c, 1) {
			return 0, false
		}
		s += c
	}
	return s, s > 0 && !math.IsInf(s, 1)
}
