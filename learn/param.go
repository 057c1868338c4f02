package learn

import (
	"math"
	"math/rand/v2"
)

// Param is one trainable tensor with its gradient.
type Param struct {
	Name  string
	Shape []int
	W     []float32 // values
	G     []float32 // gradient of the loss, set by the last backward pass
}

func newParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Name: name, Shape: shape, W: make([]float32, n), G: make([]float32, n)}
}

// heUniform fills p with values drawn uniformly from ±sqrt(6/fanIn), the
// He et al. (2015) initialisation for layers followed by a ReLU.
func heUniform(p *Param, fanIn int, rng *rand.Rand) {
	bound := math.Sqrt(6 / float64(fanIn))
	for i := range p.W {
		p.W[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// grow returns buf resliced to n values, reallocating when it is short.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}
