package learn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

// lossAt runs a forward pass over a fixed batch and returns the summed
// cross-entropy, leaving the gradients of a following backward pass.
func lossAt(m *Model, x []float32, labels []int, grad *[]float32, backward bool) float64 {
	rows := len(labels)
	in := append([]float32(nil), x...)
	logits := m.forward(in, rows, len(m.layers)-1, true)
	*grad = grow(*grad, len(logits))
	loss, _ := crossEntropy(*grad, logits, labels, m.Config.Classes)
	if backward {
		m.backward(*grad, rows)
	}
	return loss / float64(rows)
}

// TestGradients checks every layer's backward pass against central finite
// differences of the loss, for each architecture. Tolerance: 2% relative
// (float32 forward passes, a step of 1e-3) on a sample of each parameter's
// coordinates. A step can cross a kink of a ReLU or a max-pool, where the
// finite difference is meaningless, so up to 3 of about 100 comparisons
// may miss; a wrong backward pass misses most of them.
func TestGradients(t *testing.T) {
	shape := dataset.Shape{Height: 12, Width: 12, Channels: 2}
	for _, c := range []Config{
		{Arch: LogReg, Inputs: 6, Classes: 3},
		{Arch: MLP, Inputs: 6, Classes: 3, Hidden: []int{7, 5}},
		{Arch: CNN, Inputs: shape.Size(), Shape: shape, Classes: 3, Filters: []int{3, 4}, Kernel: 3, Hidden: []int{6}},
	} {
		t.Run(string(c.Arch), func(t *testing.T) {
			m, err := New(c, 7)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			rows := 5
			x := make([]float32, rows*c.Inputs)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			labels := []int{0, 1, 2, 1, 0}
			var grad []float32
			lossAt(m, x, labels, &grad, true)
			misses, checked := 0, 0
			for _, p := range m.Params() {
				analytic := append([]float32(nil), p.G...)
				for trial := range min(len(p.W), 12) {
					i := trial * len(p.W) / min(len(p.W), 12)
					const h = 1e-3
					w := p.W[i]
					p.W[i] = w + h
					up := lossAt(m, x, labels, &grad, false)
					p.W[i] = w - h
					down := lossAt(m, x, labels, &grad, false)
					p.W[i] = w
					numeric := (up - down) / (2 * h)
					checked++
					if diff := math.Abs(numeric - float64(analytic[i])); diff > 0.02*math.Max(math.Abs(numeric), 1e-2) {
						misses++
						t.Logf("%s[%d]: backward %.6g, finite difference %.6g", p.Name, i, analytic[i], numeric)
					}
				}
			}
			if misses > 3 {
				t.Errorf("%d of %d gradient coordinates disagree with finite differences", misses, checked)
			}
		})
	}
}
