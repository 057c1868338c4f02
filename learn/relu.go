package learn

// relu is max(x, 0), computed in place on its input: the layer before it
// keeps its own input for its backward pass, not its output.
type relu struct {
	width int
	y     []float32
}

func (r *relu) outputs() int     { return r.width }
func (r *relu) params() []*Param { return nil }
func (r *relu) String() string   { return "relu" }

func (r *relu) forward(x []float32, rows int, _ bool) []float32 {
	x = x[:rows*r.width]
	parallel(len(x), 1, func(lo, hi int) {
		part := x[lo:hi]
		for i, v := range part {
			part[i] = max(v, 0)
		}
	})
	r.y = x
	return x
}

func (r *relu) backward(dy []float32, rows int, _ bool) []float32 {
	dy = dy[:rows*r.width]
	parallel(len(dy), 1, func(lo, hi int) {
		for i, v := range r.y[lo:hi] {
			if v <= 0 {
				dy[lo+i] = 0
			}
		}
	})
	return dy
}
