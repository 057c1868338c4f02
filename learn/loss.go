package learn

import "math"

// crossEntropy computes the mean softmax cross-entropy of a batch of
// logits against the labels and writes its gradient with respect to the
// logits to grad. It returns the summed loss and the number of rows whose
// most probable class is the label.
func crossEntropy(grad, logits []float32, labels []int, classes int) (loss float64, correct int) {
	inv := 1 / float32(len(labels))
	for r, y := range labels {
		z, g := logits[r*classes:(r+1)*classes], grad[r*classes:(r+1)*classes]
		softmax(g, z)
		if argmax(z) == y {
			correct++
		}
		loss -= math.Log(max(float64(g[y]), 1e-30))
		for j := range g {
			g[j] *= inv
		}
		g[y] -= inv
	}
	return loss, correct
}
