package learn

import (
	"fmt"
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// dense is a fully connected layer: y = x·Wᵀ + b with W of out×in.
type dense struct {
	in, out int
	w, b    *Param
	x       []float32 // the input of the last training forward pass
	y, dx   []float32
}

func newDense(name string, in, out int, rng *rand.Rand) *dense {
	d := &dense{in: in, out: out, w: newParam(name+".weight", out, in), b: newParam(name+".bias", out)}
	heUniform(d.w, in, rng)
	return d
}

func (d *dense) outputs() int     { return d.out }
func (d *dense) params() []*Param { return []*Param{d.w, d.b} }
func (d *dense) String() string   { return fmt.Sprintf("dense %d→%d", d.in, d.out) }

func (d *dense) forward(x []float32, rows int, _ bool) []float32 {
	d.x = x
	d.y = grow(d.y, rows*d.out)
	for r := range rows {
		copy(d.y[r*d.out:(r+1)*d.out], d.b.W)
	}
	gemm.Sgemm(false, true, rows, d.out, d.in, 1, x, d.in, d.w.W, d.in, 1, d.y, d.out)
	return d.y
}

func (d *dense) backward(dy []float32, rows int, needDX bool) []float32 {
	// dW = dyᵀ·x, db = Σ rows of dy, dx = dy·W.
	gemm.Sgemm(true, false, d.out, d.in, rows, 1, dy, d.out, d.x, d.in, 0, d.w.G, d.in)
	clear(d.b.G)
	for r := range rows {
		for j, v := range dy[r*d.out : (r+1)*d.out] {
			d.b.G[j] += v
		}
	}
	if !needDX {
		return nil
	}
	d.dx = grow(d.dx, rows*d.in)
	gemm.Sgemm(false, false, rows, d.in, d.out, 1, dy, d.out, d.w.W, d.in, 0, d.dx, d.in)
	return d.dx
}
