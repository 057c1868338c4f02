package detect

import (
	"math"
	"slices"
)

// Confusion scores a set of flagged rows against the ground truth.
type Confusion struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
	TN int `json:"tn"`
}

// Rates derived from a Confusion; a rate whose denominator is zero is
// NaN (rendered as null).
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN), the share of poisoned rows flagged.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FPR is FP / (FP + TN), the share of clean rows flagged.
func (c Confusion) FPR() float64 { return ratio(c.FP, c.FP+c.TN) }

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Compare counts flagged rows against the poisoned ones among n rows.
func Compare(flagged, poisoned []int, n int) Confusion {
	isPoisoned := make([]bool, n)
	for _, i := range poisoned {
		isPoisoned[i] = true
	}
	var c Confusion
	isFlagged := make([]bool, n)
	for _, i := range flagged {
		isFlagged[i] = true
	}
	for i := range n {
		switch {
		case isFlagged[i] && isPoisoned[i]:
			c.TP++
		case isFlagged[i]:
			c.FP++
		case isPoisoned[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

// AUROC is the area under the ROC curve of scores as a ranking of the
// poisoned rows: the probability that a random poisoned row scores above
// a random clean one, ties counting half (the Mann-Whitney statistic).
// It is NaN when either group is empty.
func AUROC(scores []float64, poisoned []int) float64 {
	n := len(scores)
	isPoisoned := make([]bool, n)
	for _, i := range poisoned {
		isPoisoned[i] = true
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	// Sum the (average) ranks of the poisoned rows.
	var rankSum float64
	pos := 0
	for i := 0; i < n; {
		j := i
		for j < n && scores[order[j]] == scores[order[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j averaged
		for _, r := range order[i:j] {
			if isPoisoned[r] {
				rankSum += mid
				pos++
			}
		}
		i = j
	}
	neg := n - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}
