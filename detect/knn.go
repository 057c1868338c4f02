package detect

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// DefaultK is the number of neighbours KNNLabel reads when asked for k < 1:
// cleanlab's default for its leave-one-out kNN label check.
const DefaultK = 10

// NeighbourList holds each row's K nearest other rows by cosine
// similarity, as Neighbours finds them.
type NeighbourList struct {
	// K is the number of neighbours per row.
	K int
	// Index holds row i's neighbours at [i·K, (i+1)·K), most similar
	// first; among equally similar rows the lower index comes first.
	Index []int32
	// Sim holds the cosine similarity of each neighbour in Index.
	Sim []float32
}

// Row returns row i's neighbours and their similarities, sharing storage
// with the list.
func (l *NeighbourList) Row(i int) (index []int32, sim []float32) {
	lo, hi := i*l.K, (i+1)*l.K
	return l.Index[lo:hi:hi], l.Sim[lo:hi:hi]
}

// knnTileMax is the largest side of the square blocks of the similarity
// matrix that Neighbours computes and scans at a time. Larger blocks pack
// fewer rows per product; on MNIST's 784 pixels and on 64 random values a
// side, 1536 ran 8 to 25% faster than 512 and no slower than 2048.
const knnTileMax = 1536

// knnTileFor returns the block side for n rows: at most knnTileMax, and
// small enough that there are 8 block rows, 36 blocks, for the goroutines
// to share evenly.
func knnTileFor(n int) int {
	t := (n + 7) / 8
	t = (t + 63) / 64 * 64
	return min(max(t, 64), knnTileMax)
}

// Neighbours finds, for every row of m, the k rows most similar to it by
// cosine similarity: an exact, brute-force, leave-one-out search. A row is
// never its own neighbour, but rows equal to it are neighbours like any
// other. A row of zeros has similarity 0 to every row. When m has k rows
// or fewer, each row gets the m.Rows−1 others (K in the list says so).
//
// Results are deterministic: neighbours are ordered by decreasing
// similarity, then by increasing index, and do not depend on the number
// of threads (gemm.SetThreads), which Neighbours uses through gemm.
//
// The rows are scaled to unit length into a float32 copy of m; the
// similarity matrix is never held whole but computed in blocks of up to
// 1536×1536, each pair of rows once, with gemm, and scanned while in
// cache. Memory beyond m: the copy, the list, and per thread up to 9 MiB
// for a block and a list of its own. Neighbours checks ctx between blocks and returns ctx.Err() once it
// is done. m must hold finite values and fewer than 2³¹ rows.
func Neighbours(ctx context.Context, m Matrix, k int) (*NeighbourList, error) {
	return knnNeighbours(ctx, m, k, knnTileFor(m.Rows), false)
}

// neighboursInPlace is Neighbours for a matrix the caller gives up: its
// rows are scaled to unit length where they are, saving the copy.
func neighboursInPlace(ctx context.Context, m Matrix, k int) (*NeighbourList, error) {
	return knnNeighbours(ctx, m, k, knnTileFor(m.Rows), true)
}

// knnNeighbours is Neighbours with the block size given; inPlace scales
// m's own rows instead of a copy.
func knnNeighbours(ctx context.Context, m Matrix, k, tile int, inPlace bool) (*NeighbourList, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("%d neighbours: need at least one", k)
	}
	if m.Rows > math.MaxInt32 {
		return nil, fmt.Errorf("%d rows: at most %d supported", m.Rows, math.MaxInt32)
	}
	n := m.Rows
	k = min(k, max(n-1, 0))
	list := &NeighbourList{K: k, Index: make([]int32, n*k), Sim: make([]float32, n*k)}
	if k == 0 {
		return list, nil
	}
	dst := m.Data
	if !inPlace {
		dst = make([]float32, len(m.Data))
	}
	x, err := knnNormalise(dst, m)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	s := &knnSearch{x: x, n: n, d: m.Cols, k: k, tile: tile}
	s.blocks = (n + tile - 1) / tile
	s.tiles = s.blocks * (s.blocks + 1) / 2
	slots := make([]*knnTop, runtime.GOMAXPROCS(0))
	gemm.Parallel(len(slots), func(lo, _ int) {
		slots[lo] = s.run(ctx)
	})
	if s.stopped.Load() {
		return nil, ctx.Err()
	}
	tops := slices.DeleteFunc(slots, func(t *knnTop) bool { return t == nil })
	knnMerge(list, tops)
	return list, nil
}

// knnNormalise writes m's rows scaled to unit Euclidean length to x (which
// may be m.Data itself), zero rows left zero, or returns an error naming
// the first row that is not finite.
func knnNormalise(x []float32, m Matrix) ([]float32, error) {
	var bad atomic.Int64 // the first row not finite, or MaxInt64
	bad.Store(math.MaxInt64)
	gemm.Parallel(m.Rows, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := m.Row(i)
			var ss float64
			for _, v := range row {
				ss += float64(v) * float64(v)
			}
			if math.IsNaN(ss) || math.IsInf(ss, 0) {
				for b := bad.Load(); int64(i) < b && !bad.CompareAndSwap(b, int64(i)); b = bad.Load() {
				}
				return
			}
			if ss == 0 {
				continue
			}
			inv := 1 / math.Sqrt(ss)
			out := x[i*m.Cols : (i+1)*m.Cols]
			for j, v := range row {
				out[j] = float32(float64(v) * inv)
			}
		}
	})
	if i := bad.Load(); i != math.MaxInt64 {
		return nil, fmt.Errorf("row %d holds a value that is not finite", i)
	}
	return x, nil
}

// knnSearch is one Neighbours call, shared by the goroutines that run it.
// The similarity matrix is cut into blocks×blocks square tiles; only the
// tiles on and above the diagonal are computed, since the matrix is
// symmetric, and goroutines claim them one at a time in row-major order.
type knnSearch struct {
	x       []float32 // unit rows, n×d
	n, d, k int
	tile    int
	blocks  int // tiles along a side
	tiles   int // tiles on or above the diagonal
	next    atomic.Int64
	stopped atomic.Bool
}

// knnTop is one goroutine's running top k of every row, over the
// candidates it has seen. A row's list is sorted by knnBetter and starts
// full of sentinels (similarity −∞) that every real candidate beats.
type knnTop struct {
	k   int
	sim []float32
	idx []int32
	// kth holds the similarity of each row's last entry: a candidate must
	// exceed it to enter the list (see knnNext).
	kth []float32
}

func newKNNTop(n, k int) *knnTop {
	t := &knnTop{k: k, sim: make([]float32, n*k), idx: make([]int32, n*k), kth: make([]float32, n)}
	inf := float32(math.Inf(-1))
	for i := range t.sim {
		t.sim[i] = inf
		t.idx[i] = math.MaxInt32
	}
	for i := range t.kth {
		t.kth[i] = inf
	}
	return t
}

// knnBetter reports whether candidate (s, j) ranks before (t, i): more
// similar, or as similar and of lower index. It is a strict total order on
// a row's candidates, so the top k is the same whatever order they come in.
func knnBetter(s float32, j int32, t float32, i int32) bool {
	return s > t || s == t && j < i
}

// offer puts candidate j with similarity s in row i's list if it ranks
// there. The caller has checked s > kth[i].
func (t *knnTop) offer(i int, s float32, j int32) {
	k := t.k
	sim, idx := t.sim[i*k:(i+1)*k], t.idx[i*k:(i+1)*k]
	p := k - 1
	if !knnBetter(s, j, sim[p], idx[p]) {
		return
	}
	for p > 0 && knnBetter(s, j, sim[p-1], idx[p-1]) {
		sim[p], idx[p] = sim[p-1], idx[p-1]
		p--
	}
	sim[p], idx[p] = s, j
	t.kth[i] = sim[k-1]
}

// run claims tiles until none is left or ctx is done, and returns the top
// k it found, or nil if it claimed no tile.
func (s *knnSearch) run(ctx context.Context) *knnTop {
	var top *knnTop
	var buf []float32
	for !s.stopped.Load() {
		t := int(s.next.Add(1) - 1)
		if t >= s.tiles {
			break
		}
		if ctx.Err() != nil {
			s.stopped.Store(true)
			break
		}
		if top == nil {
			top = newKNNTop(s.n, s.k)
			buf = make([]float32, s.tile*s.tile)
		}
		bi, bj := s.tileAt(t)
		s.scan(top, buf, bi, bj)
	}
	return top
}

// tileAt returns the block row and column of the t'th tile on or above
// the diagonal, counting row by row.
func (s *knnSearch) tileAt(t int) (bi, bj int) {
	// Block row r starts at tile r·blocks − r(r−1)/2; find the last start
	// at or before t.
	bi = sort.Search(s.blocks, func(r int) bool { return r*s.blocks-r*(r-1)/2 > t }) - 1
	return bi, bi + t - (bi*s.blocks - bi*(bi-1)/2)
}

// scan computes tile (bi, bj) of the similarity matrix into buf and
// offers every pair in it, i < j, to both rows' lists in top.
func (s *knnSearch) scan(top *knnTop, buf []float32, bi, bj int) {
	i0, j0 := bi*s.tile, bj*s.tile
	rows, cols := min(s.tile, s.n-i0), min(s.tile, s.n-j0)
	d := s.d
	if d == 0 {
		clear(buf[:rows*cols])
	} else {
		gemm.Sgemm(false, true, rows, cols, d, 1, s.x[i0*d:], d, s.x[j0*d:], d, 0, buf, cols)
	}
	kthJ := top.kth[j0 : j0+cols]
	for r := range rows {
		i := i0 + r
		c0 := 0
		if bi == bj {
			c0 = r + 1 // the diagonal tile: only pairs above the diagonal
		}
		row := buf[r*cols : (r+1)*cols]
		for c := knnNext(row, kthJ, top.kth[i], c0); c < cols; c = knnNext(row, kthJ, top.kth[i], c+1) {
			v := row[c]
			if v > top.kth[i] {
				top.offer(i, v, int32(j0+c))
			}
			if v > kthJ[c] {
				top.offer(j0+c, v, int32(i))
			}
		}
	}
}

// knnNext returns the first column c ≥ from where row[c] exceeds kthI or
// kthJ[c], or len(row) if there is none. A candidate that only ties a
// list's last entry is passed over rightly: each goroutine offers a row
// its candidates in increasing index order (it claims tiles in row-major
// order, and scans a tile's rows in order), so a tie comes after, and
// ranks below, every entry. That keeps rows of zeros and runs of copies,
// which tie everywhere, from costing an offer per pair.
//
// It is the scan's inner loop: free of calls, so that nothing spills, and
// unrolled eight times, which more than halves its time here.
func knnNext(row, kthJ []float32, kthI float32, from int) int {
	kthJ = kthJ[:len(row)]
	c := from
	for ; c+8 <= len(row); c += 8 {
		r := row[c : c+8 : c+8]
		k := kthJ[c : c+8 : c+8]
		if r[0] > kthI || r[1] > kthI || r[2] > kthI || r[3] > kthI ||
			r[4] > kthI || r[5] > kthI || r[6] > kthI || r[7] > kthI ||
			r[0] > k[0] || r[1] > k[1] || r[2] > k[2] || r[3] > k[3] ||
			r[4] > k[4] || r[5] > k[5] || r[6] > k[6] || r[7] > k[7] {
			break
		}
	}
	for ; c < len(row); c++ {
		if v := row[c]; v > kthI || v > kthJ[c] {
			return c
		}
	}
	return len(row)
}

// knnMerge fills list with the best k of each row over the goroutines'
// lists.
func knnMerge(list *NeighbourList, tops []*knnTop) {
	k := list.K
	n := len(list.Index) / k
	if len(tops) == 1 {
		copy(list.Sim, tops[0].sim)
		copy(list.Index, tops[0].idx)
		return
	}
	gemm.Parallel(n, func(lo, hi int) {
		pos := make([]int, len(tops))
		for i := lo; i < hi; i++ {
			clear(pos)
			for p := i * k; p < (i+1)*k; p++ {
				best := -1
				for t, top := range tops {
					q := i*k + pos[t]
					if pos[t] == k {
						continue
					}
					if best < 0 || knnBetter(top.sim[q], top.idx[q], tops[best].sim[i*k+pos[best]], tops[best].idx[i*k+pos[best]]) {
						best = t
					}
				}
				q := i*k + pos[best]
				list.Sim[p], list.Index[p] = tops[best].sim[q], tops[best].idx[q]
				pos[best]++
			}
		}
	})
}
