package profile

import "math"

// Moments holds the count, mean and sum of squared deviations (M2) of the
// finite values of a column, with their range. Two Moments merge by Chan et
// al.'s parallel update, which is exact up to floating-point rounding, so
// profiles of shards merge into the profile of the whole.
type Moments struct {
	N    int64   `json:"n"`
	Mean float64 `json:"mean"`
	M2   float64 `json:"m2"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// addBlock folds a block of finite values with the given sum in: a
// two-pass mean and M2 over the block (cheap and accurate), then a Chan
// merge.
func (m *Moments) addBlock(xs []float64, sum float64) {
	if len(xs) == 0 {
		return
	}
	n := float64(len(xs))
	mean := sum / n
	lo, hi := xs[0], xs[0]
	var m2, comp float64
	for _, x := range xs {
		d := x - mean
		m2 += d * d
		comp += d
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	// Corrected two-pass formula (Chan, Golub and LeVeque 1983).
	m2 -= comp * comp / n
	m.merge(Moments{N: int64(len(xs)), Mean: mean, M2: max(m2, 0), Min: lo, Max: hi})
}

// merge folds another set of moments into m.
func (m *Moments) merge(o Moments) {
	switch {
	case o.N == 0:
		return
	case m.N == 0:
		*m = o
		return
	}
	na, nb := float64(m.N), float64(o.N)
	n := na + nb
	delta := o.Mean - m.Mean
	m.Mean += delta * nb / n
	m.M2 += o.M2 + delta*delta*na*nb/n
	m.N += o.N
	m.Min = min(m.Min, o.Min)
	m.Max = max(m.Max, o.Max)
}

// Variance returns the population variance (M2/N), NaN when empty.
func (m Moments) Variance() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.M2 / float64(m.N)
}

// Std returns the population standard deviation.
func (m Moments) Std() float64 { return math.Sqrt(m.Variance()) }

// SampleVariance returns the unbiased variance (M2/(N-1)).
func (m Moments) SampleVariance() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	return m.M2 / float64(m.N-1)
}
