package learn

import "github.com/poisonguard/poisonguard/internal/gemm"

// minParallelWork is the work (in values touched) below which splitting
// across goroutines costs more than it saves.
const minParallelWork = 1 << 15

// parallel runs fn over [0, n) split into contiguous parts when the work
// is large enough, on the goroutines that run the matrix products (which
// are awake between them); each index is visited once. Parts write
// disjoint outputs, so results do not depend on the split.
func parallel(n, workPerItem int, fn func(lo, hi int)) {
	if n*workPerItem < minParallelWork {
		fn(0, n)
		return
	}
	gemm.Parallel(n, fn)
}
