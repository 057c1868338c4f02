package drift

import "math"

// maxExactN is SciPy's MAX_AUTO_N: ks_2samp computes the exact two-sample
// distribution when both samples have at most this many values.
const maxExactN = 10000

// KS returns the two-sample Kolmogorov-Smirnov statistic D (the largest
// distance between the two empirical CDFs) and its two-sided p-value, as
// scipy.stats.ks_2samp(a, b) computes them with its defaults
// (alternative="two-sided", method="auto").
//
// Ties follow SciPy: both empirical CDFs are evaluated right-continuously
// at every value of either sample. When both samples have at most 10000
// observations, p is exact (Hodges' lattice-path counting) and D is returned
// as SciPy returns it in that mode, rounded to the lattice h/lcm(n1, n2);
// otherwise p is kstwo.sf(D, round(n1·n2/(n1+n2))). See KSPValue.
//
// The cost is O(len(a.Values)+len(b.Values)) for D, plus the p-value.
// KS returns NaN, NaN when either sample is empty or invalid.
func KS(a, b Sample) (d, p float64) {
	n1, ok1 := a.usable()
	n2, ok2 := b.usable()
	if !ok1 || !ok2 {
		return math.NaN(), math.NaN()
	}
	return ksPValue(ksStatistic(a, b, n1, n2), n1, n2)
}

// ksStatistic merges the two samples and returns max |F_a - F_b| with the
// same floating-point operations as SciPy (count/n, then the difference).
func ksStatistic(a, b Sample, n1, n2 int64) float64 {
	f1, f2 := float64(n1), float64(n2)
	maxS, minS := math.Inf(-1), math.Inf(1)
	for st := range steps(a, b) {
		diff := float64(st.ca)/f1 - float64(st.cb)/f2
		if diff > maxS {
			maxS = diff
		}
		if diff < minS {
			minS = diff
		}
	}
	minS = clip01(-minS)
	if minS > maxS {
		return minS
	}
	return maxS
}

// KSPValue returns the two-sided p-value of a two-sample KS statistic d for
// samples of sizes n1 and n2, by the same rule as KS: exact when both sizes
// are at most 10000 (d is first rounded to the nearest multiple of
// 1/lcm(n1, n2)), else kstwo.sf(d, round(n1·n2/(n1+n2))). It serves callers
// that know D only approximately, for example from quantile sketches. It
// returns NaN when d is NaN or outside [0, 1], or a size is below 1.
func KSPValue(d float64, n1, n2 int64) float64 {
	if n1 < 1 || n2 < 1 || !(d >= 0 && d <= 1) {
		return math.NaN()
	}
	_, p := ksPValue(d, n1, n2)
	return p
}

// ksPValue follows ks_2samp after the statistic: it returns d as SciPy
// reports it and the p-value.
func ksPValue(d float64, n1, n2 int64) (float64, float64) {
	if max(n1, n2) <= maxExactN {
		dd, p, ok := ksExact(n1, n2, d)
		if ok {
			return dd, clip01(p)
		}
		d = dd // SciPy falls back to the asymptotic p with the rounded d.
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := math.RoundToEven(m * n / (m + n))
	return d, clip01(KolmogorovSF(d, int64(en)))
}

// ksExact is _attempt_exact_2kssamp for the two-sided alternative. ok is
// false when the computed probability is not in [0, 1].
func ksExact(n1, n2 int64, d float64) (dd, p float64, ok bool) {
	g := gcd(n1, n2)
	lcm := (n1 / g) * n2
	h := int64(math.RoundToEven(d * float64(lcm)))
	dd = float64(h) / float64(lcm)
	if h == 0 {
		return dd, 1, true
	}
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = probOutsideInside(n1, n2, g, h)
	}
	return dd, p, p >= 0 && p <= 1
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// probOutsideSquare is _compute_prob_outside_square: P(D_{n,n} >= h/n) =
// 2·Σ_k (-1)^k binom(2n, n-kh)/binom(2n, n), evaluated Horner-like as
// 2·A0·(1 - A1·(1 - A2·(...))) to avoid cancellation.
func probOutsideSquare(n, h int64) float64 {
	P := 0.0
	for k := int64(math.Floor(float64(n) / float64(h))); k >= 0; k-- {
		p1 := 1.0
		for j := int64(0); j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		P = p1 * (1 - P)
	}
	return 2 * P
}

// probOutsideInside is _compute_outer_prob_inside_method: the share of
// lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| <
// h/lcm(m,n), computed directly as 1-p by Viehmann's recursion (arXiv
// 2102.08037) over one sliding column.
func probOutsideInside(m, n, g, h int64) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	fmg, fh := float64(mg), float64(h)
	minj, maxj := int64(0), min(int64(math.Ceil(fh/fmg)), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for i := range A {
		A[i] = 1
	}
	for i := minj; i < maxj; i++ {
		A[i] = 0
	}
	for i := int64(1); i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int64(math.Floor(float64(ng*i-h)/fmg))+1, 0)
		minj = min(minj, n)
		maxj = min(int64(math.Ceil(float64(ng*i+h)/fmg)), n+1)
		if maxj <= minj {
			return 1
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		fi := float64(i)
		for jj := int64(0); jj < maxj-minj; jj++ {
			j := jj + minj
			// SciPy divides (A·i + val·j) by i+j. Multiplying by the
			// reciprocal instead keeps the division off the dependency
			// chain through val (twice as fast); all terms are positive,
			// so each step still adds only a few ulps of relative error.
			r := 1 / float64(i+j)
			val = A[jj+minj-lastminj]*(fi*r) + val*(float64(j)*r)
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for k := maxj - minj; k < maxj-minj+(lastlen-curlen) && k < lenA; k++ {
				A[k] = 1
			}
		}
	}
	return A[maxj-minj-1]
}
