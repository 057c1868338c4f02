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
	var c1, c2 int64
	var sum, comp float64 // Neumaier-compensated sum
	prev := math.NaN()
	var lastDiff float64
	i, j := 0, 0
	for i < len(u.Values) || j < len(v.Values) {
		var x float64
		switch {
		case i == len(u.Values):
			x = v.Values[j]
		case j == len(v.Values):
			x = u.Values[i]
		case u.Values[i] < v.Values[j]:
			x = u.Values[i]
		default:
			x = v.Values[j]
		}
		if !math.IsNaN(prev) {
			term := lastDiff * (x - prev)
			t := sum + term
			if math.Abs(sum) >= math.Abs(term) {
				comp += (sum - t) + term
			} else {
				comp += (term - t) + sum
			}
			sum = t
		}
		if i < len(u.Values) && u.Values[i] == x {
			c1 += u.Counts[i]
			i++
		}
		if j < len(v.Values) && v.Values[j] == x {
			c2 += v.Counts[j]
			j++
		}
		lastDiff = math.Abs(float64(c1)/f1 - float64(c2)/f2)
		prev = x
	}
	return sum + comp
}
