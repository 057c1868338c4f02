package profile

import (
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/zeebo/xxh3"
)

// colState is the running state of one column.
type colState struct {
	col *Column
	// The exact store holds the finite values while within the exact
	// limit: counts per value while the column has few distinct values
	// (images, codes, integers: at most eagerDistinct), then raw values.
	counted valueCounter
	raw     rawStore
	nexact  int64
	scratch []float64
}

// keep adds finite values to the exact store.
func (s *colState) keep(xs []float64) {
	s.nexact += int64(len(xs))
	s.raw.add(xs[s.counted.add(xs, eagerDistinct):])
}

// release empties the exact store.
func (s *colState) release() {
	s.counted, s.raw, s.nexact = valueCounter{}, rawStore{}, 0
}

// values compacts the exact store into a sample and releases it. Without
// raw values, the counted ones are the sample; with them, every value
// (counted ones repeated, at most the exact limit in all) is radix-sorted
// as an order key in scratch, which is reused from column to column. The
// keys of a column of float32 values are their 32-bit ones, which three
// radix passes sort completely.
func (s *colState) values(scratch *[2][]uint64) *Values {
	defer s.release()
	if s.raw.len() == 0 {
		return s.counted.sample()
	}
	n := int(s.nexact)
	for i := range scratch {
		if cap(scratch[i]) < n {
			scratch[i] = make([]uint64, n)
		}
	}
	narrow := !s.raw.isWide && s.counted.allFloat32()
	key := orderKey
	if narrow {
		key = orderKey32
	}
	keys := scratch[0][:0]
	s.counted.each(func(x float64, c int64) {
		k := key(x)
		for range c {
			keys = append(keys, k)
		}
	})
	keys = s.raw.appendKeys(keys, narrow)
	return valuesFromSortedKeys(radixSortKeys(keys, scratch[1][:len(keys)]), narrow)
}

// rescue moves the exact store's raw values into a new counter when, with
// the counted ones, they have at most maxSmallDistinct distinct values, so
// that a column with a few thousand distinct values stays exact beyond the
// exact limit. It reports whether it did; a continuous column gives up
// after maxSmallDistinct distinct values, once.
func (s *colState) rescue() bool {
	var vc valueCounter
	ok := true
	s.counted.each(func(x float64, n int64) {
		ok = ok && vc.addRun(x, n, maxSmallDistinct)
	})
	s.raw.each(func(xs []float64) {
		ok = ok && vc.add(xs, maxSmallDistinct) == len(xs)
	})
	if !ok {
		return false
	}
	s.counted, s.raw = vc, rawStore{}
	return true
}

// toSketch moves the exact store into a new KLL sketch: the counted values
// as a sample, by weight (in ascending order: a map's order would make the
// sketch differ from run to run), then the raw ones as they came.
func (s *colState) toSketch(k int) *KLL {
	sk := NewKLL(k)
	sk.mergeSample(s.counted.sample())
	s.raw.each(sk.UpdateMany)
	s.release()
	return sk
}

func (s *colState) add(v dataset.Vector, rows int, opts Options) {
	c := s.col
	c.Count += int64(rows)
	if c.Kind != dataset.Numeric {
		for _, x := range v.Str[:rows] {
			if x == "" {
				c.Missing++
				continue
			}
			c.Categories.Add(x, 1)
			c.Distinct.AddHash(xxh3.HashString(x))
		}
		return
	}
	fin := s.scratch[:0]
	if cap(fin) < rows {
		fin = make([]float64, 0, rows)
	}
	var sum float64
	for _, x := range v.Num[:rows] {
		if x-x != 0 { // NaN or ±Inf
			switch {
			case dataset.IsMissing(x):
				c.Missing++
			case x != x:
				c.NaN++
			default:
				c.Inf++
			}
			continue
		}
		fin = append(fin, x+0) // x+0 turns -0 into +0
		sum += x
	}
	s.scratch = fin
	c.Moments.addBlock(fin, sum)
	// A source that declares more rows than the exact limit will pass it:
	// its columns skip the raw values (see Options.DeclaredRows).
	if c.Sketch == nil && opts.DeclaredRows <= opts.ExactLimit && s.nexact+int64(len(fin)) <= opts.ExactLimit {
		s.keep(fin)
		return
	}
	// Beyond the exact limit a column with at most maxSmallDistinct
	// distinct values so far (codes, integers, pixels) stays exact, counted,
	// at the cost of its distinct values only.
	if c.Sketch == nil && (s.raw.len() == 0 || s.rescue()) {
		if took := s.counted.add(fin, maxSmallDistinct); took == len(fin) {
			s.nexact += int64(len(fin))
			return
		} else {
			s.nexact += int64(took)
			fin = fin[took:]
		}
	}
	if c.Sketch == nil {
		c.Sketch = s.toSketch(opts.KLLK)
	}
	c.Sketch.UpdateMany(fin)
}
