package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Model is a network with its input scaling. A Model is not safe for
// concurrent use: its layers keep the buffers of the last pass.
type Model struct {
	Config Config
	layers []layer
	embed  int // index of the embedding layer, -1 for none
	scale  inputScale
	fitted bool // whether scale was set, by training or loading
	xbuf   []float32
	rowbuf []int
}

// New builds an untrained model with weights drawn from seed.
func New(c Config, seed uint64) (*Model, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1417))
	layers, embed := build(c, rng)
	return &Model{Config: c, layers: layers, embed: embed}, nil
}

// Params returns the trainable tensors in layer order.
func (m *Model) Params() []*Param {
	var ps []*Param
	for _, l := range m.layers {
		ps = append(ps, l.params()...)
	}
	return ps
}

// ParamCount is the number of trainable values.
func (m *Model) ParamCount() int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.W)
	}
	return n
}

// String describes the architecture, one layer after another.
func (m *Model) String() string {
	parts := make([]string, len(m.layers))
	for i, l := range m.layers {
		parts[i] = l.String()
	}
	return strings.Join(parts, " · ")
}

// EmbeddingSize is the width of the rows Embed returns.
func (m *Model) EmbeddingSize() int {
	if m.embed < 0 {
		return m.Config.Inputs
	}
	return m.layers[m.embed].outputs()
}

// load scales rows of x (at the given indices, or the n rows from first
// when rows is nil) into the model's input buffer.
func (m *Model) load(x []float32, rows []int) []float32 {
	d := m.Config.Inputs
	m.xbuf = grow(m.xbuf, len(rows)*d)
	m.scale.apply(m.xbuf, x, d, rows)
	return m.xbuf
}

// forward runs the first upto+1 layers on a loaded batch.
func (m *Model) forward(x []float32, rows, upto int, train bool) []float32 {
	for _, l := range m.layers[:upto+1] {
		x = l.forward(x, rows, train)
	}
	return x
}

// backward propagates the gradient of the loss with respect to the
// output through every layer, setting each parameter's gradient.
func (m *Model) backward(dy []float32, rows int) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		dy = m.layers[i].backward(dy, rows, i > 0)
	}
}

// inferBatch is how many rows inference passes through the network at once.
const inferBatch = 512

// each runs the network up to layer upto over the n rows of x in batches
// and hands each batch's output to fn.
func (m *Model) each(x []float32, n, upto int, fn func(first, rows int, out []float32)) {
	if !m.fitted {
		panic("learn: the model is neither trained nor loaded")
	}
	if len(x) != n*m.Config.Inputs {
		panic(fmt.Sprintf("learn: %d values are not %d rows of %d features", len(x), n, m.Config.Inputs))
	}
	for first := 0; first < n; first += inferBatch {
		rows := min(inferBatch, n-first)
		m.rowbuf = m.rowbuf[:0]
		for i := range rows {
			m.rowbuf = append(m.rowbuf, first+i)
		}
		fn(first, rows, m.forward(m.load(x, m.rowbuf), rows, upto, false))
	}
}

// Probabilities returns the n×Classes softmax outputs for the n rows of x.
func (m *Model) Probabilities(x []float32, n int) []float32 {
	c := m.Config.Classes
	out := make([]float32, n*c)
	m.each(x, n, len(m.layers)-1, func(first, rows int, logits []float32) {
		for r := range rows {
			softmax(out[(first+r)*c:(first+r+1)*c], logits[r*c:(r+1)*c])
		}
	})
	return out
}

// Predict returns the most probable class of each of the n rows of x.
func (m *Model) Predict(x []float32, n int) []int {
	c := m.Config.Classes
	pred := make([]int, n)
	m.each(x, n, len(m.layers)-1, func(first, rows int, logits []float32) {
		for r := range rows {
			pred[first+r] = argmax(logits[r*c : (r+1)*c])
		}
	})
	return pred
}

// Embed returns the last hidden layer's activations for the n rows of x,
// n×EmbeddingSize() values; for logistic regression, which has no hidden
// layer, the scaled inputs.
func (m *Model) Embed(x []float32, n int) []float32 {
	e := m.EmbeddingSize()
	out := make([]float32, n*e)
	if m.embed < 0 {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		m.scale.apply(out, x, m.Config.Inputs, rows)
		return out
	}
	m.each(x, n, m.embed, func(first, rows int, act []float32) {
		copy(out[first*e:], act[:rows*e])
	})
	return out
}

// softmax writes the softmax of logits to p, computed in float64.
func softmax(p, logits []float32) {
	hi := slices.Max(logits)
	sum := 0.0
	for j, v := range logits {
		e := math.Exp(float64(v - hi))
		p[j] = float32(e)
		sum += e
	}
	for j := range p {
		p[j] = float32(float64(p[j]) / sum)
	}
}

// argmax returns the index of the largest value (the first of ties).
func argmax(v []float32) int {
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}
