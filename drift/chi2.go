package drift

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Chi2Contingency tests whether two count vectors over the same categories
// (a baseline and a batch) come from one distribution: the chi-square test
// of the 2×K contingency table [ref; cur], as
// scipy.stats.chi2_contingency(table) computes it with its defaults. stat is
// Pearson's statistic, with Yates' continuity correction when, and only
// when, dof is 1; p is its upper-tail probability under chi-square(dof);
// dof is the number of categories used minus one.
//
// Categories with a zero count on both sides are dropped first: they carry
// no information and SciPy rejects their zero expected frequency. With a
// single category left, dof is 0 and stat 0, p 1, as in SciPy. When the
// lengths differ, a count is negative, NaN or infinite, or either side has
// no observations (where SciPy raises an error), stat and p are NaN and dof
// is 0.
func Chi2Contingency(ref, cur []float64) (stat, p float64, dof int) {
	r0, ok0 := total(ref)
	r1, ok1 := total(cur)
	if !ok0 || !ok1 || len(ref) != len(cur) {
		return math.NaN(), math.NaN(), 0
	}
	used := 0
	for i := range ref {
		if ref[i] != 0 || cur[i] != 0 {
			used++
		}
	}
	dof = used - 1
	if dof == 0 {
		return 0, 1, 0
	}
	all := r0 + r1
	for i := range ref {
		if ref[i] == 0 && cur[i] == 0 {
			continue
		}
		col := ref[i] + cur[i]
		stat += pearsonTerm(ref[i], r0*col/all, dof == 1)
		stat += pearsonTerm(cur[i], r1*col/all, dof == 1)
	}
	p = distuv.ChiSquared{K: float64(dof)}.Survival(stat)
	return stat, p, dof
}

// pearsonTerm returns (o-e)^2/e, first moving o towards e by at most 0.5
// when yates is set.
func pearsonTerm(o, e float64, yates bool) float64 {
	if yates {
		diff := e - o
		o += math.Min(0.5, math.Abs(diff)) * sign(diff)
	}
	return (o - e) * (o - e) / e
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
