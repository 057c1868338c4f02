package learn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/dataset"
)

// layer is one stage of a network. forward takes rows×inputs values and
// returns rows×outputs() values in a buffer the layer owns (or its input,
// for in-place layers); backward takes the loss gradient with respect to
// the output, sets the parameters' gradients and returns the gradient
// with respect to the input when needDX is true.
type layer interface {
	forward(x []float32, rows int, train bool) []float32
	backward(dy []float32, rows int, needDX bool) []float32
	params() []*Param
	outputs() int
	String() string
}

// build makes the layers of an architecture and returns the index of the
// layer whose output is the embedding (the last hidden activation), or -1
// when the model has no hidden layer.
func build(c Config, rng *rand.Rand) ([]layer, int) {
	var layers []layer
	width := c.Inputs
	name := func() string { return fmt.Sprintf("layers.%d", len(layers)) }
	if c.Arch == CNN {
		shape := c.Shape
		for _, f := range c.Filters {
			// Pooling before the ReLU gives the same values and gradients
			// as after it (both are monotone) on a quarter of the values.
			cv := newConv(name(), shape, f, c.Kernel, rng)
			pool := newMaxPool(cv.out)
			layers = append(layers, cv, pool, &relu{width: pool.outputs()})
			shape = pool.out
		}
		width = shape.Size()
	}
	for _, h := range c.Hidden {
		layers = append(layers, newDense(name(), width, h, rng), &relu{width: h})
		width = h
	}
	embed := len(layers) - 1
	layers = append(layers, newDense(name(), width, c.Classes, rng))
	return layers, embed
}

// inputScale maps raw features to the scale the network trains on:
// x' = (x - shift)·factor per feature.
type inputScale struct {
	shift, factor []float32
}

// fitScale scales image pixels from the set's range to [0, 1] and
// standardises tabular features to mean 0 and variance 1 over the given
// rows (all when rows is nil).
func fitScale(s *dataset.Set, rows []int) inputScale {
	sc := inputScale{shift: make([]float32, s.D), factor: make([]float32, s.D)}
	if s.Shape.IsImage() {
		f := float32(1)
		if s.Max > s.Min {
			f = 1 / (s.Max - s.Min)
		}
		for j := range sc.shift {
			sc.shift[j], sc.factor[j] = s.Min, f
		}
		return sc
	}
	if rows == nil {
		rows = make([]int, s.N)
		for i := range rows {
			rows[i] = i
		}
	}
	n := float64(len(rows))
	sum, sq := make([]float64, s.D), make([]float64, s.D)
	for _, i := range rows {
		for j, v := range s.Row(i) {
			sum[j] += float64(v)
		}
	}
	for j := range sum {
		sum[j] /= n
	}
	for _, i := range rows {
		for j, v := range s.Row(i) {
			d := float64(v) - sum[j]
			sq[j] += d * d
		}
	}
	for j := range sum {
		sd := 1.0
		if v := sq[j] / n; v > 0 {
			sd = math.Sqrt(v)
		}
		sc.shift[j], sc.factor[j] = float32(sum[j]), float32(1/sd)
	}
	return sc
}

// apply writes the scaled rows of x at the given row indices to dst.
func (sc inputScale) apply(dst, x []float32, d int, rows []int) {
	parallel(len(rows), d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			src, out := x[rows[i]*d:(rows[i]+1)*d], dst[i*d:(i+1)*d]
			for j, v := range src {
				out[j] = (v - sc.shift[j]) * sc.factor[j]
			}
		}
	})
}
