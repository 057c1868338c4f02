package attack

import (
	"math"
	"math/rand/v2"
	"slices"
)

// The PCG streams drawn from Spec.Seed: one for the poisoned rows and the
// new labels of LabelFlip, one for the noise pattern, so that the pattern
// does not depend on the size of the data set it is stamped on.
const (
	victimStream = 0x76696374696d73 // "victims"
	noiseStream  = 0x6e6f697365     // "noise"
)

// plan returns the rows the attack may poison, in index order, and how many
// of them it poisons:
//
//   - LabelFlip: any row; round(Rate·N).
//   - TargetedFlip: rows of the Source class; round(Rate·count(Source)).
//   - CleanLabel: rows of the Target class; round(Rate·N).
//   - dirty-label AllToAll: any row; round(Rate·N).
//   - dirty-label AllToOne: rows not of the Target class; round(Rate·N).
func (s Spec) plan(y []int) (candidates []int, k int) {
	keep := func(int) bool { return true }
	switch {
	case s.Kind == LabelFlip, s.Mode == AllToAll:
	case s.Kind == TargetedFlip:
		keep = func(c int) bool { return c == s.Source }
	case s.Kind == CleanLabel:
		keep = func(c int) bool { return c == s.Target }
	default:
		keep = func(c int) bool { return c != s.Target }
	}
	for i, c := range y {
		if keep(c) {
			candidates = append(candidates, i)
		}
	}
	of := len(y)
	if s.ofOneClass() {
		of = len(candidates)
	}
	return candidates, int(math.Round(s.Rate * float64(of)))
}

// ofOneClass reports whether the rate is a share of one class's rows
// (the source class of TargetedFlip, the target class of CleanLabel)
// rather than of the whole set.
func (s Spec) ofOneClass() bool { return s.Kind == TargetedFlip || s.Kind == CleanLabel }

// sample draws k of the candidates without replacement (a partial
// Fisher-Yates shuffle of a copy) and returns them sorted. candidates is not
// modified; k is capped at len(candidates).
func sample(rng *rand.Rand, candidates []int, k int) []int {
	c := slices.Clone(candidates)
	k = max(0, min(k, len(c)))
	for i := range k {
		j := i + rng.IntN(len(c)-i)
		c[i], c[j] = c[j], c[i]
	}
	c = c[:k:k]
	slices.Sort(c)
	return c
}
