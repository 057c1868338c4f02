package attack

import (
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/dataset"
)

// relabel gives the chosen rows of a label attack their new labels:
// LabelFlip draws each uniformly from the classes other than the row's own,
// TargetedFlip sets the Target class.
func relabel(s Spec, rng *rand.Rand, set *dataset.Set, rows []int) {
	for _, i := range rows {
		switch s.Kind {
		case LabelFlip:
			y := rng.IntN(set.Classes - 1)
			if y >= set.Y[i] {
				y++
			}
			set.Y[i] = y
		case TargetedFlip:
			set.Y[i] = s.Target
		}
	}
}
