package drift

import "math"

// Wasserstein returns the first Wasserstein (earth mover's) distance
// between the empirical distributions of u and v, as
// scipy.stats.wasserstein_distance(u, v) computes it on the raw values (or,
// equivalently, on the distinct values weighted by their counts): the
// integral of |F_u - F_v| over the union of both supports.
//
// The distance is in the units of the data. It is not normalised: a caller
// that wants a scale-free score divides it by the baseline's standard
// deviation (as Evidently does, with a floor of 0.001).
//
// It returns NaN when either sample is empty or invalid, and +Inf or NaN,
// as SciPy does, when a sample holds an infinity.
func Wasserstein(u, v Sample) float64 {
	n1, ok1 := u.usable()
	n2, ok2 := v.usable()
	if !ok1 || !ok2 {
		return math.NaN()
	}
	f1, f2 := float64(n1), float64(n2)
	var sum, comp float64 // Neumaier-compensated sum
	prev := math.NaN()
	var lastDiff float64
	for st := range steps(u, v) {
		if !math.IsNaN(prev) {
			term := lastDiff * (st.x - prev)
			t := sum + term
			if math.Abs(sum) >= math.Abs(term) {
				comp += (sum - t) + term
			} else {
				comp += (term - t) + sum
			}
			sum = t
		}
		lastDiff = math.Abs(float64(st.ca)/f1 - float64(st.cb)/f2)
		prev = st.x
	}
	return sum + comp
}
