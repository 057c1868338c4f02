package learn

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/dataset"
)

// MaxFolds bounds the number of folds of cross-validation.
const MaxFolds = 100

// OutOfSample returns, for every row of the set, the class probabilities
// (N×Classes, row-major) predicted by a model that did not see the row:
// the rows are dealt into k folds, stratified by class, and for each fold
// a fresh model of the given architecture is trained on the other folds.
// These are the out-of-sample probabilities confident learning needs.
func OutOfSample(ctx context.Context, c Config, set *dataset.Set, k int, opts TrainOptions) ([]float32, error) {
	if k < 2 || k > MaxFolds || k > set.N {
		return nil, fmt.Errorf("folds %d out of range [2, min(%d, rows)]", k, MaxFolds)
	}
	fold := Folds(set.Y, set.Classes, k, opts.Seed)
	probs := make([]float32, set.N*c.Classes)
	for f := range k {
		var in, out []int
		for i, g := range fold {
			if g == f {
				out = append(out, i)
			} else {
				in = append(in, i)
			}
		}
		m, err := New(c, opts.Seed+uint64(f))
		if err != nil {
			return nil, err
		}
		fo := opts
		fo.Validation, fo.OnEpoch, fo.Rows = nil, nil, in
		if _, err := m.Train(ctx, set, fo); err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		held := set.Subset(out)
		p := m.Probabilities(held.X, held.N)
		for j, r := range out {
			copy(probs[r*c.Classes:(r+1)*c.Classes], p[j*c.Classes:(j+1)*c.Classes])
		}
	}
	return probs, nil
}

// Folds assigns each row to one of k folds so that every class is spread
// evenly over the folds: each class's rows are shuffled (seeded) and
// dealt round-robin, continuing where the previous class stopped.
func Folds(labels []int, classes, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	byClass := make([][]int, classes)
	for i, y := range labels {
		byClass[y] = append(byClass[y], i)
	}
	fold := make([]int, len(labels))
	next := 0
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, r := range rows {
			fold[r] = next
			next = (next + 1) % k
		}
	}
	return fold
}
