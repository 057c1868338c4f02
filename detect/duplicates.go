package detect

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/poisonguard/poisonguard/internal/gemm"
	"github.com/zeebo/xxh3"
)

// Duplicates is the "duplicates" detector: it groups the rows whose
// values in view are identical (bit for bit, except that −0 equals 0) and
// scores each row by the share of the other rows of its group that carry
// another label. A row that is unique, or whose copies all share its
// label, scores 0; a row with one copy labelled otherwise scores 1.
// Rows are grouped by an xxh3 hash of their bytes and the groups checked
// value by value, so a hash collision never joins two rows.
//
// Like holds the label most rows of the row's group carry, or -1 for a
// row without copies or when two or more labels tie for most. Each
// class's Statistic is the mean score of its rows; Poisoned is left
// false. Near-identical rows are not grouped: a copy moved by noise falls
// to KNNLabel, whose nearest neighbour it is.
//
// view must hold one row per label of d, as d.Validate checks for
// d.Features and d.Inputs.
func Duplicates(d *Data, view Matrix) *Scores {
	n := len(d.Labels)
	sc := &Scores{Detector: DuplicatesName, Row: make([]float64, n), Like: make([]int, n)}
	for i := range sc.Like {
		sc.Like[i] = -1
	}
	hashes := make([]uint64, n)
	gemm.Parallel(n, func(lo, hi int) {
		buf := make([]byte, 4*view.Cols)
		for i := lo; i < hi; i++ {
			hashes[i] = xxh3.Hash(dupBytes(buf, view.Row(i)))
		}
	})
	dupGroups(sc, d, view, hashes)
	sc.Class = knnClassMeans(d.Labels, d.Classes, sc.Row)
	return sc
}

// dupGroups scores the rows of sc by their groups of identical rows in
// view, given a hash of each row's bytes.
func dupGroups(sc *Scores, d *Data, view Matrix, hashes []uint64) {
	n := len(hashes)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(hashes[a], hashes[b]), cmp.Compare(a, b))
	})
	votes := make([]int, d.Classes)
	var group []int
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && hashes[order[hi]] == hashes[order[lo]] {
			hi++
		}
		// Split the rows of one hash into groups of equal rows: almost
		// always a single one.
		rest := order[lo:hi]
		for len(rest) > 1 {
			head := view.Row(rest[0])
			group = append(group[:0], rest[0])
			w := 0
			for _, i := range rest[1:] {
				if dupEqual(head, view.Row(i)) {
					group = append(group, i)
				} else {
					rest[w] = i
					w++
				}
			}
			rest = rest[:w]
			if len(group) > 1 {
				dupScore(sc, d.Labels, votes, group)
			}
		}
		lo = hi
	}
}

// dupBytes writes row's values to buf as little-endian bits, −0 as 0, and
// returns buf.
func dupBytes(buf []byte, row []float32) []byte {
	buf = buf[:4*len(row)]
	for p, v := range row {
		b := math.Float32bits(v)
		if b == 1<<31 {
			b = 0
		}
		binary.LittleEndian.PutUint32(buf[4*p:], b)
	}
	return buf
}

// dupEqual reports whether rows a and b hold the same bits, −0 equal to 0.
func dupEqual(a, b []float32) bool {
	b = b[:len(a)]
	for p, v := range a {
		if v != b[p] && math.Float32bits(v) != math.Float32bits(b[p]) {
			return false
		}
	}
	return true
}

// dupScore scores the rows of one group of identical rows. votes is
// scratch of one count per class, all zero, and is left so.
func dupScore(sc *Scores, labels, votes []int, group []int) {
	like := knnPlurality(votes, labels, group)
	for _, i := range group {
		votes[labels[i]]++
	}
	g := float64(len(group))
	for _, i := range group {
		sc.Row[i] = (g - float64(votes[labels[i]])) / (g - 1)
		sc.Like[i] = like
	}
	for _, i := range group {
		votes[labels[i]] = 0
	}
}
