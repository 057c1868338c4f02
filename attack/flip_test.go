package attack_test

import (
	"math"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
)

// TestLabelFlipUniform checks that a flipped label is drawn uniformly from
// the other classes: with 3 classes each of the two others takes about
// half of a class's flips.
func TestLabelFlipUniform(t *testing.T) {
	set := tabularSet(9000, 1, 3)
	res, err := attack.Apply(attack.Spec{Kind: attack.LabelFlip, Rate: 0.5, Seed: 3}, set)
	if err != nil {
		t.Fatal(err)
	}
	var moves [3][3]int
	for _, i := range res.Indices {
		moves[set.Y[i]][res.Poisoned.Y[i]]++
	}
	for from := range 3 {
		if moves[from][from] != 0 {
			t.Errorf("%d rows of class %d kept their label", moves[from][from], from)
		}
		a, b := moves[from][(from+1)%3], moves[from][(from+2)%3]
		// About 1500 flips a class; the share is binomial with sd ≈ 0.013.
		if share := float64(a) / float64(a+b); math.Abs(share-0.5) > 0.05 {
			t.Errorf("class %d: %d and %d flips to the two other classes", from, a, b)
		}
	}
}

func TestTargetedFlip(t *testing.T) {
	set := tabularSet(100, 2, 4) // 25 rows a class
	for _, tc := range []struct {
		rate float64
		want int
	}{{0.1, 3}, {0.5, 13}, {1, 25}} { // round(2.5), round(12.5), all
		res, err := attack.Apply(attack.Spec{Kind: attack.TargetedFlip, Rate: tc.rate, Source: 1, Target: 3, Seed: 2}, set)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Indices) != tc.want {
			t.Errorf("rate %g: %d rows flipped, want %d", tc.rate, len(res.Indices), tc.want)
		}
		for _, i := range res.Indices {
			if set.Y[i] != 1 || res.Poisoned.Y[i] != 3 {
				t.Errorf("row %d: %d → %d, want 1 → 3", i, set.Y[i], res.Poisoned.Y[i])
			}
		}
		if got := count(res.Poisoned.Y, 1); got != 25-tc.want {
			t.Errorf("rate %g: %d rows of class 1 left, want %d", tc.rate, got, 25-tc.want)
		}
	}
}
