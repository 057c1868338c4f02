package drift

import (
	"errors"
	"fmt"
	"iter"
	"math"

	"github.com/poisonguard/poisonguard/profile"
)

// Sample is a compact numeric sample: its sorted distinct values and how
// often each occurred. It has the same layout as profile.Values, so a
// baseline kept in a profile converts with drift.Sample(*values).
//
// A valid Sample has Values free of NaN and either Counts of the same
// length, every count positive, with Values strictly ascending, or Counts
// nil, with Values ascending and a value repeated as often as it occurred
// (profile.Values takes whichever form is smaller). The zero Sample is
// valid and empty.
type Sample struct {
	Values []float64
	Counts []int64
}

// count returns how often Values[i] occurred.
func (s Sample) count(i int) int64 {
	if s.Counts == nil {
		return 1
	}
	return s.Counts[i]
}

// NewSample builds a Sample from raw values in any order. NaN values are
// skipped: they are missing data, not points of a distribution, and a caller
// that cares counts them separately. Infinities are kept. raw is not
// modified.
func NewSample(raw []float64) Sample {
	xs := make([]float64, 0, len(raw))
	for _, x := range raw {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	return Sample(*profile.Compact(xs))
}

// N returns the number of observations in s.
func (s Sample) N() int64 {
	if s.Counts == nil {
		return int64(len(s.Values))
	}
	var n int64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Validate reports whether s is a valid Sample (see Sample). The statistics
// of this package return NaN for an invalid Sample rather than fail, so a
// caller that builds Samples by hand checks them here.
func (s Sample) Validate() error {
	if s.Counts != nil && len(s.Values) != len(s.Counts) {
		return fmt.Errorf("sample has %d values but %d counts", len(s.Values), len(s.Counts))
	}
	var n int64
	for i, v := range s.Values {
		if math.IsNaN(v) {
			return fmt.Errorf("sample value %d is NaN", i)
		}
		if i > 0 && !(s.Values[i-1] < v || s.Counts == nil && s.Values[i-1] == v) {
			return fmt.Errorf("sample values %d and %d are out of order", i-1, i)
		}
		c := s.count(i)
		if c <= 0 {
			return fmt.Errorf("sample count %d is %d, want positive", i, c)
		}
		if n > math.MaxInt64-c {
			return errors.New("sample counts overflow int64")
		}
		n += c
	}
	return nil
}

// usable reports whether s is valid and non-empty, and returns its size.
func (s Sample) usable() (int64, bool) {
	if s.Validate() != nil {
		return 0, false
	}
	n := s.N()
	return n, n > 0
}

// step is one distinct value of the union of two samples with the number
// of observations of each sample at or below it.
type step struct {
	x      float64
	ca, cb int64
}

// steps walks the distinct values of a ∪ b in ascending order, yielding
// the two empirical counting functions at each: the merge that KS and
// Wasserstein share.
func steps(a, b Sample) iter.Seq[step] {
	return func(yield func(step) bool) {
		var st step
		i, j := 0, 0
		for i < len(a.Values) || j < len(b.Values) {
			switch {
			case i == len(a.Values):
				st.x = b.Values[j]
			case j == len(b.Values):
				st.x = a.Values[i]
			case a.Values[i] < b.Values[j]:
				st.x = a.Values[i]
			default:
				st.x = b.Values[j]
			}
			// Every copy of st.x at once: a sample without counts
			// repeats its values.
			for i < len(a.Values) && a.Values[i] == st.x {
				st.ca += a.count(i)
				i++
			}
			for j < len(b.Values) && b.Values[j] == st.x {
				st.cb += b.count(j)
				j++
			}
			if !yield(st) {
				return
			}
		}
	}
}
