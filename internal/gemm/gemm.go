// Package gemm multiplies single-precision matrices: Sgemm is the row-major
// counterpart of BLAS sgemm, written in Go and Go assembly without cgo.
//
// Sgemm packs panels of A and B into contiguous buffers (Goto/BLIS style)
// and runs a register-blocked micro-kernel over them. Three micro-kernels
// exist, named by Backend:
//
//   - "avx512": 14×32 tiles in zmm registers (14×16 where a tile has 16
//     columns or fewer), on amd64 CPUs with AVX-512F;
//   - "avx2": 6×16 tiles in ymm registers, on amd64 CPUs with AVX2 and FMA;
//   - "go": portable Go, used on other architectures, when built with the
//     purego tag, or when forced.
//
// The best kernel the CPU supports is chosen when the program starts. Setting
// the environment variable POISONGUARD_GEMM to "go" (or "avx2") before the
// program starts forces that kernel; an unknown or unsupported name is
// ignored.
//
// Results are reproducible: every element of C is summed over k in the same
// order whatever SetThreads says and however C is split among goroutines, so
// a given backend gives bitwise identical results for any thread count.
// Backends differ from each other in rounding: the assembly ones fuse
// multiply and add, the Go one may not.
package gemm

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
)

// threads is the SetThreads setting; values below 1 mean GOMAXPROCS.
var threads atomic.Int64

// SetThreads sets how many goroutines Sgemm may use (n < 1 means
// runtime.GOMAXPROCS(0)) and returns the previous setting.
//
// The goroutines Sgemm adds to the caller's stay alive between calls and,
// for about a millisecond after each, poll for the next one: waking a
// sleeping goroutine takes as long as a whole product of the sizes the
// project uses. Products smaller than 65536 multiply-adds run on the
// calling goroutine alone.
func SetThreads(n int) int {
	return int(threads.Swap(int64(n)))
}

func numThreads() int {
	n := int(threads.Load())
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return n
}

// Backend names the kernel in use: "avx512", "avx2" or "go".
func Backend() string { return active.name }

// serialWork is the m·n·k below which Sgemm does not start goroutines.
const serialWork = 1 << 16

// Sgemm computes C = alpha·op(A)·op(B) + beta·C where op(A) is m×k, op(B)
// is k×n and C is m×n, all row-major; op(X) is X or its transpose. lda, ldb
// and ldc are row strides in elements: A is stored as m rows of k elements,
// or k rows of m if transA, and B as k rows of n, or n rows of k if transB.
//
// When beta is zero C is only written, so it may hold anything, NaN
// included. Sgemm panics if a dimension is negative, a stride is shorter
// than its row, or a slice is too short for the matrix it holds.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(active, numThreads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm with the kernel and the goroutine limit given.
func sgemm(kern *kernel, nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", ar, ac, lda, len(a))
	checkMatrix("b", br, bc, ldb, len(b))
	checkMatrix("c", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	gemm(kern, nt, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless a slice of length have can hold a row-major
// rows×cols matrix with row stride ld.
func checkMatrix(name string, rows, cols, ld, have int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s=%d shorter than a row of %d", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if rows-1 > (math.MaxInt-cols)/ld {
		panic(fmt.Sprintf("gemm: %s of %d×%d with stride %d overflows int", name, rows, cols, ld))
	}
	if need := (rows-1)*ld + cols; have < need {
		panic(fmt.Sprintf("gemm: len(%s)=%d too short for %d×%d with stride %d (need %d)", name, have, rows, cols, ld, need))
	}
}

// scale sets C = beta·C, writing zeros without reading C when beta is zero.
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// kernel is a micro-kernel and the block sizes tuned for it.
type kernel struct {
	name   string
	mr, nr int // rows and columns of a micro-tile
	kc     int // most columns of op(A), rows of op(B), a tile sums at once
	ks     int // most columns of op(A) packed at once, a multiple of kc
	mc     int // most rows of op(A) packed at once, a multiple of mr
	nc     int // most columns of op(B) packed at once, a multiple of nr

	// tile sets C = alpha·A·B + beta·C on the top-left rows×cols of an
	// mr×nr tile of C with row stride ldc, where A is an mr×kc panel packed
	// column by column and B a kc×nr panel packed row by row. When beta is
	// zero it must not read C.
	tile func(kc int, a, b, c []float32, ldc int, alpha, beta float32, rows, cols int)

	// pack fills a panel of w lines, each kb long: dst[p*w+i] is the i'th
	// line's p'th value for i < lines and zero for lines ≤ i < w. Line i
	// runs down a column of src (src[p*ld+i]) or, with transpose, along a
	// row (src[i*ld+p]).
	pack func(dst, src []float32, ld, w, lines, kb int, transpose bool)
}

// job is one Sgemm call, shared by the goroutines that run it. They only
// read it, but for the counters through which they claim its regions.
type job struct {
	k              *kernel
	transA, transB bool
	kdim           int
	kc, ks         int // depth of each k block and of each packed span
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	// each, when set, makes the job a parallel loop (see Parallel): a
	// region's rows [i0, i1) are the loop's indices.
	each func(lo, hi int)

	regions  []region     // the parts of C goroutines take one at a time
	next     atomic.Int64 // regions claimed so far
	finished atomic.Int64 // regions done so far
}

// region is the part of C one goroutine computes: rows [i0,i1), columns
// [j0,j1).
type region struct{ i0, i1, j0, j1 int }

// gemm is sgemm once the arguments are checked and some work is left: m,
// n and k are at least one and alpha is not zero.
func gemm(kern *kernel, nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// Split k into equal blocks so the last one is not a thin remainder.
	// The split depends on k and the kernel only, never on threads, and
	// every element of C sums its k blocks in order: that is what makes
	// results independent of the thread count.
	nkb := (k + kern.kc - 1) / kern.kc
	kc := (k + nkb - 1) / nkb
	j := &job{
		k: kern, transA: transA, transB: transB, kdim: k,
		kc: kc, ks: kc * max(1, kern.ks/kern.kc),
		alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
	}
	if m*n < serialWork/k {
		nt = 1
	}
	j.regions = split(m, n, nt, kern)
	if len(j.regions) == 1 {
		j.run(j.regions[0])
		return
	}
	crew.do(j, len(j.regions)-1)
}

// packCost is what packing one value costs, in the units of split's cost
// model, where one column of one micro-tile row costs one.
const packCost = 32

// split divides an m×n C among at most nt goroutines as a grid cut along
// tile boundaries. It picks the grid whose costliest part is cheapest,
// counting both the micro-tiles of a part and what it packs: each part
// packs its columns of op(B) and its rows of op(A), the latter once per nc
// columns.
func split(m, n, nt int, kern *kernel) []region {
	mr, nr := kern.mr, kern.nr
	tm, tn := (m+mr-1)/mr, (n+nr-1)/nr
	best, bestP, bestQ := -1, 1, 1
	for p := 1; p <= min(nt, tm); p++ {
		for q := 1; q <= min(nt/p, tn); q++ {
			// The first part of each cut is the largest.
			i0, i1 := cut(tm, p, 0, mr, m)
			j0, j1 := cut(tn, q, 0, nr, n)
			rows, cols := i1-i0, j1-j0
			c := roundUp(rows, mr)*roundUp(cols, nr) + packCost*(rows*((cols+kern.nc-1)/kern.nc)+cols)
			if best < 0 || c < best {
				best, bestP, bestQ = c, p, q
			}
		}
	}
	rs := make([]region, 0, bestP*bestQ)
	for pi := range bestP {
		i0, i1 := cut(tm, bestP, pi, mr, m)
		for qi := range bestQ {
			j0, j1 := cut(tn, bestQ, qi, nr, n)
			rs = append(rs, region{i0, i1, j0, j1})
		}
	}
	return rs
}

// cut returns the element range of part i when t tiles of size ts are
// shared among p parts as evenly as possible, the larger parts first,
// clipped to length l.
func cut(t, p, i, ts, l int) (lo, hi int) {
	lo = (t*i + p - 1) / p * ts
	hi = (t*(i+1) + p - 1) / p * ts
	return min(lo, l), min(hi, l)
}

// run computes one region of C with the loops around the micro-kernel:
// column blocks of op(B), spans of k packed at once, row blocks of op(A),
// the k blocks of a span, then the micro-tiles. A row block of C stays in
// cache while all its k blocks add into it.
func (j *job) run(r region) {
	kern := j.k
	mr, nr := kern.mr, kern.nr
	mcap := min(kern.mc, roundUp(r.i1-r.i0, mr))
	ncap := min(kern.nc, roundUp(r.j1-r.j0, nr))
	kcap := min(j.ks, roundUp(j.kdim, j.kc))
	pb, bufA, bufB := getBuf(mcap*kcap, kcap*ncap)
	defer bufPool.Put(pb)
	for jc := r.j0; jc < r.j1; jc += kern.nc {
		nb := min(kern.nc, r.j1-jc)
		nbr := roundUp(nb, nr)
		for ps := 0; ps < j.kdim; ps += j.ks {
			pe := min(j.kdim, ps+j.ks)
			for pc := ps; pc < pe; pc += j.kc {
				kb := min(j.kc, pe-pc)
				j.packB(bufB[(pc-ps)*nbr:], pc, jc, kb, nb)
			}
			for ic := r.i0; ic < r.i1; ic += kern.mc {
				mb := min(kern.mc, r.i1-ic)
				mbr := roundUp(mb, mr)
				for pc := ps; pc < pe; pc += j.kc {
					kb := min(j.kc, pe-pc)
					j.packA(bufA[(pc-ps)*mbr:], ic, pc, mb, kb)
				}
				for pc := ps; pc < pe; pc += j.kc {
					kb := min(j.kc, pe-pc)
					blockA, blockB := bufA[(pc-ps)*mbr:], bufB[(pc-ps)*nbr:]
					beta := j.beta
					if pc > 0 {
						beta = 1
					}
					for jr := 0; jr < nb; jr += nr {
						bp := blockB[jr*kb : (jr+nr)*kb]
						cols := min(nr, nb-jr)
						for ir := 0; ir < mb; ir += mr {
							c := j.c[(ic+ir)*j.ldc+jc+jr:]
							kern.tile(kb, blockA[ir*kb:(ir+mr)*kb], bp, c, j.ldc, j.alpha, beta, min(mr, mb-ir), cols)
						}
					}
				}
			}
		}
	}
}

// packA packs rows [i0,i0+mb) and columns [p0,p0+kb) of op(A) into dst as
// panels of mr rows, zero-padded to a whole panel.
func (j *job) packA(dst []float32, i0, p0, mb, kb int) {
	mr := j.k.mr
	for q := 0; q < mb; q += mr {
		rows := min(mr, mb-q)
		if j.transA {
			j.k.pack(dst[q*kb:], j.a[p0*j.lda+i0+q:], j.lda, mr, rows, kb, false)
		} else {
			j.k.pack(dst[q*kb:], j.a[(i0+q)*j.lda+p0:], j.lda, mr, rows, kb, true)
		}
	}
}

// packB packs rows [p0,p0+kb) and columns [j0,j0+nb) of op(B) into dst as
// panels of nr columns, zero-padded to a whole panel.
func (j *job) packB(dst []float32, p0, j0, kb, nb int) {
	nr := j.k.nr
	for q := 0; q < nb; q += nr {
		cols := min(nr, nb-q)
		if j.transB {
			j.k.pack(dst[q*kb:], j.b[(j0+q)*j.ldb+p0:], j.ldb, nr, cols, kb, true)
		} else {
			j.k.pack(dst[q*kb:], j.b[p0*j.ldb+j0+q:], j.ldb, nr, cols, kb, false)
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
