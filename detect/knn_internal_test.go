package detect

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// knnTestMatrix returns n rows of d values drawn around a few random
// centres, with some rows repeated exactly, some scaled copies of others
// (cosine 1, different bytes), and some rows of zeros.
func knnTestMatrix(rng *rand.Rand, n, d int) Matrix {
	centres := make([][]float64, 5)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64() * 3
		}
	}
	m := Matrix{Data: make([]float32, n*d), Rows: n, Cols: d}
	for i := range n {
		row := m.Row(i)
		switch {
		case i%97 == 13:
			continue // zeros
		case i%50 == 7 && i > 100:
			copy(row, m.Row(i-rng.IntN(100)-1)) // an exact duplicate
		case i%61 == 5 && i > 100:
			for j, v := range m.Row(i - 100) {
				row[j] = 2 * v // the same direction
			}
		default:
			c := centres[rng.IntN(len(centres))]
			for j := range row {
				row[j] = float32(c[j] + rng.NormFloat64())
			}
		}
	}
	return m
}

// knnBrute returns the exact leave-one-out neighbours of every row in
// float64: the reference Neighbours is checked against.
func knnBrute(m Matrix, k int) (idx [][]int, sim [][]float64) {
	n, d := m.Rows, m.Cols
	unit := make([][]float64, n)
	for i := range n {
		unit[i] = make([]float64, d)
		var ss float64
		for _, v := range m.Row(i) {
			ss += float64(v) * float64(v)
		}
		if ss == 0 {
			continue
		}
		for j, v := range m.Row(i) {
			unit[i][j] = float64(v) / math.Sqrt(ss)
		}
	}
	idx = make([][]int, n)
	sim = make([][]float64, n)
	type cand struct {
		j int
		s float64
	}
	for i := range n {
		cs := make([]cand, 0, n-1)
		for j := range n {
			if j == i {
				continue
			}
			var s float64
			for p := range d {
				s += unit[i][p] * unit[j][p]
			}
			cs = append(cs, cand{j, s})
		}
		slices.SortFunc(cs, func(a, b cand) int {
			if c := cmp.Compare(b.s, a.s); c != 0 {
				return c
			}
			return cmp.Compare(a.j, b.j)
		})
		for _, c := range cs[:min(k, n-1)] {
			idx[i] = append(idx[i], c.j)
			sim[i] = append(sim[i], c.s)
		}
	}
	return idx, sim
}

// knnCosine64 is the float64 cosine similarity of rows i and j of m, 0
// when either is zero.
func knnCosine64(m Matrix, i, j int) float64 {
	var dot, ni, nj float64
	for p := range m.Cols {
		a, b := float64(m.Row(i)[p]), float64(m.Row(j)[p])
		dot += a * b
		ni += a * a
		nj += b * b
	}
	if ni == 0 || nj == 0 {
		return 0
	}
	return dot / math.Sqrt(ni*nj)
}

// checkAgainstBrute fails t unless got is the exact neighbour list of m:
// similarities within 1e-5 of float64 ones at every rank, and the same
// row at every rank unless the one got holds is as similar, within 1e-6,
// as the reference's but not exactly as similar (float32 rounding may swap
// near-ties, but exact ties go by index).
func checkAgainstBrute(t *testing.T, m Matrix, k int, got *NeighbourList) {
	t.Helper()
	wantIdx, wantSim := knnBrute(m, k)
	if got.K != min(k, m.Rows-1) {
		t.Fatalf("K = %d, want %d", got.K, min(k, m.Rows-1))
	}
	if len(got.Index) != m.Rows*got.K || len(got.Sim) != m.Rows*got.K {
		t.Fatalf("%d indices and %d similarities for %d rows of %d", len(got.Index), len(got.Sim), m.Rows, got.K)
	}
	swaps := 0
	for i := range m.Rows {
		idx, sim := got.Row(i)
		seen := map[int32]bool{}
		for p, j := range idx {
			if int(j) == i {
				t.Fatalf("row %d is its own neighbour", i)
			}
			if j < 0 || int(j) >= m.Rows || seen[j] {
				t.Fatalf("row %d: neighbours %v", i, idx)
			}
			seen[j] = true
			if d := math.Abs(float64(sim[p]) - wantSim[i][p]); d > 1e-5 {
				t.Fatalf("row %d rank %d: similarity %v, want %v", i, p, sim[p], wantSim[i][p])
			}
			if int(j) != wantIdx[i][p] {
				// Exact ties must follow the index order; near ones may
				// swap.
				if c := knnCosine64(m, i, int(j)); c == wantSim[i][p] || math.Abs(c-wantSim[i][p]) > 1e-6 {
					t.Fatalf("row %d rank %d: neighbour %d (similarity %v), want %d (%v)", i, p, j, knnCosine64(m, i, int(j)), wantIdx[i][p], wantSim[i][p])
				}
				swaps++
			}
			if p > 0 && (sim[p-1] < sim[p] || sim[p-1] == sim[p] && idx[p-1] > idx[p]) {
				t.Fatalf("row %d: ranks %d and %d out of order: %v %v", i, p-1, p, idx, sim)
			}
		}
	}
	if swaps > m.Rows*got.K/10 {
		t.Errorf("%d near-tie swaps: too many to be rounding", swaps)
	}
}

func TestNeighboursBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range []struct{ n, d, k int }{
		{1300, 24, 10},
		{700, 3, 10},   // low dimension: many close similarities
		{300, 100, 1},  // nearest neighbour only
		{257, 784, 15}, // deep products
		{12, 5, 11},    // every other row
		{12, 5, 40},    // k beyond the rows
		{2, 4, 10},
	} {
		t.Run(fmt.Sprintf("%dx%d_k%d", c.n, c.d, c.k), func(t *testing.T) {
			m := knnTestMatrix(rng, c.n, c.d)
			got, err := Neighbours(context.Background(), m, c.k)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstBrute(t, m, c.k, got)
		})
	}
}

// TestNeighboursDeterministic checks that block size and thread count do
// not change a single bit of the result.
func TestNeighboursDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	m := knnTestMatrix(rng, 1500, 40)
	want, err := Neighbours(context.Background(), m, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstBrute(t, m, 10, want)
	defer gemm.SetThreads(gemm.SetThreads(0))
	for _, threads := range []int{1, 2, 3} {
		for _, tile := range []int{1, 7, 64, 100, 512, 1499, 1500, 4096} {
			t.Run(fmt.Sprintf("threads%d_tile%d", threads, tile), func(t *testing.T) {
				gemm.SetThreads(threads)
				got, err := knnNeighbours(context.Background(), m, 10, tile, false)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Index, want.Index) || !slices.Equal(got.Sim, want.Sim) {
					t.Errorf("result differs from the default blocks on all threads")
				}
			})
		}
	}
}

// knnCancelAfter is a context whose Err is nil for its first calls and
// context.Canceled after.
type knnCancelAfter struct {
	context.Context
	calls atomic.Int64
	after int64
}

func (c *knnCancelAfter) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}

func TestNeighboursCancelled(t *testing.T) {
	m := knnTestMatrix(rand.New(rand.NewPCG(1, 1)), 200, 8)
	for _, after := range []int64{0, 1, 5, 30} {
		ctx := &knnCancelAfter{Context: context.Background(), after: after}
		// 13 blocks of 16 rows: 91 tiles, each checking ctx.
		if _, err := knnNeighbours(ctx, m, 10, 16, false); err != context.Canceled {
			t.Errorf("cancelled after %d checks: err = %v, want context.Canceled", after, err)
		}
		if calls := ctx.calls.Load(); calls > after+10 {
			t.Errorf("cancelled after %d checks: %d checks, tiles went on", after, calls)
		}
	}
}

func TestKNNTileAt(t *testing.T) {
	for blocks := 1; blocks < 20; blocks++ {
		s := &knnSearch{blocks: blocks}
		tt := 0
		for bi := range blocks {
			for bj := bi; bj < blocks; bj++ {
				if gi, gj := s.tileAt(tt); gi != bi || gj != bj {
					t.Fatalf("%d blocks: tile %d at (%d, %d), want (%d, %d)", blocks, tt, gi, gj, bi, bj)
				}
				tt++
			}
		}
	}
}

// TestNeighboursInPlace gives the same list as Neighbours and scales the
// matrix it was given.
func TestNeighboursInPlace(t *testing.T) {
	m := Matrix{Data: []float32{3, 4, 0, 0, 1, 0, 2, 2, 6, 8}, Rows: 5, Cols: 2}
	want, err := Neighbours(context.Background(), m, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := neighboursInPlace(context.Background(), m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Index, want.Index) || !slices.Equal(got.Sim, want.Sim) {
		t.Errorf("in place %v %v, copied %v %v", got.Index, got.Sim, want.Index, want.Sim)
	}
	if m.Data[0] != 0.6 || m.Data[2] != 0 {
		t.Errorf("rows not scaled in place: %v", m.Data)
	}
}
