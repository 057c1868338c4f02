package learn

import (
	"fmt"
	"math"
)

// Optimizer names an update rule.
type Optimizer string

// The optimizers Train offers.
const (
	// SGD is stochastic gradient descent with (PyTorch-style) momentum.
	SGD Optimizer = "sgd"
	// Adam is Kingma and Ba's Adam (β1 0.9, β2 0.999, ε 1e-8).
	Adam Optimizer = "adam"
)

// Schedule names a learning-rate schedule over the steps of training.
type Schedule string

// The schedules Train offers.
const (
	// Constant keeps the learning rate.
	Constant Schedule = "constant"
	// Cosine anneals it to zero along half a cosine (Loshchilov and Hutter).
	Cosine Schedule = "cosine"
	// Step divides it by 10 after half and again after three quarters of the epochs.
	Step Schedule = "step"
)

// rate returns the learning rate at step t of total steps for an epoch.
func (s Schedule) rate(base float64, t, total, epoch, epochs int) float64 {
	switch s {
	case Cosine:
		return base * 0.5 * (1 + math.Cos(math.Pi*float64(t)/float64(total)))
	case Step:
		switch {
		case 4*epoch >= 3*epochs:
			return base / 100
		case 2*epoch >= epochs:
			return base / 10
		}
	}
	return base
}

func (s Schedule) validate() error {
	switch s {
	case Constant, Cosine, Step:
		return nil
	}
	return fmt.Errorf("unknown learning-rate schedule %q (want constant, cosine or step)", s)
}

// updater applies one optimizer step to the parameters. Weight decay is
// L2: wd·w is added to the gradient, as PyTorch's SGD and Adam do.
type updater struct {
	kind          Optimizer
	momentum, wd  float64
	params        []*Param
	first, second [][]float32 // momentum (SGD) or moment estimates (Adam)
	step          int
}

func newUpdater(kind Optimizer, momentum, wd float64, params []*Param) (*updater, error) {
	if kind != SGD && kind != Adam {
		return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", kind)
	}
	u := &updater{kind: kind, momentum: momentum, wd: wd, params: params}
	for _, p := range params {
		u.first = append(u.first, make([]float32, len(p.W)))
		if kind == Adam {
			u.second = append(u.second, make([]float32, len(p.W)))
		}
	}
	return u, nil
}

// apply takes one step with learning rate lr.
func (u *updater) apply(lr float64) {
	u.step++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(u.step))
	c2 := 1 - math.Pow(b2, float64(u.step))
	for i, p := range u.params {
		w, g, m := p.W, p.G, u.first[i]
		wd, mom, rate := float32(u.wd), float32(u.momentum), float32(lr)
		if u.kind == SGD {
			parallel(len(w), 1, func(lo, hi int) {
				for j := lo; j < hi; j++ {
					d := g[j] + wd*w[j]
					m[j] = mom*m[j] + d
					w[j] -= rate * m[j]
				}
			})
			continue
		}
		v := u.second[i]
		step := float32(lr / c1)
		root := float32(1 / math.Sqrt(c2))
		parallel(len(w), 4, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				d := g[j] + wd*w[j]
				m[j] = b1*m[j] + (1-b1)*d
				v[j] = b2*v[j] + (1-b2)*d*d
				w[j] -= step * m[j] / (float32(math.Sqrt(float64(v[j])))*root + eps)
			}
		})
	}
}
