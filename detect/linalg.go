package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// Per-class linear algebra shared by the trigger detectors (spectral
// signatures, activation clustering, SPECTRE): a class's rows are
// gathered into a dense float32 matrix and centred (the mean summed in
// float64, so that subtracting it cancels nothing in float32), the D×D
// Gram matrix X̄ᵀX̄ of the centred rows is one float32 product on the
// gemm kernels (centring first keeps its float32 sums free of
// cancellation), and the eigen problems on it are solved in float64.

// linalgPowerTol and linalgPowerIters stop power iteration: at a change of
// the unit iterate below linalgPowerTol, or after linalgPowerIters steps.
const (
	linalgPowerTol   = 1e-6
	linalgPowerIters = 100
)

// linalgEigenSymMax is the largest dimension whose eigenproblem
// linalgTopEigen hands to gonum's dense solver (about 5 ms at 128, but
// 150 ms at 256); above it, and when few eigenvectors are wanted,
// subspace iteration finds them.
const linalgEigenSymMax = 128

// linalgOversample and linalgSubspaceIters set the subspace iteration:
// how many vectors beyond those wanted it carries, and how many products
// with the matrix it takes.
const (
	linalgOversample    = 10
	linalgSubspaceIters = 16
)

// linalgCentred copies rows of f into dst (grown as needed) as a dense
// len(rows)×f.Cols row-major matrix minus the rows' mean, and returns it
// with the mean.
func linalgCentred(f Matrix, rows []int, dst []float32) ([]float32, []float64) {
	n, dim := len(rows), f.Cols
	mean := make([]float64, dim)
	if n == 0 || dim == 0 {
		return dst[:0], mean
	}
	// Each part sums whole columns over all rows in row order, so the
	// mean does not depend on how many parts there are.
	gemm.Parallel(dim, func(lo, hi int) {
		acc := mean[lo:hi]
		for _, r := range rows {
			for j, v := range f.Data[r*dim+lo : r*dim+hi] {
				acc[j] += float64(v)
			}
		}
		for j := range acc {
			acc[j] /= float64(n)
		}
	})
	x := slices.Grow(dst[:0], n*dim)[:n*dim]
	gemm.Parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out := x[i*dim : (i+1)*dim]
			for j, v := range f.Row(rows[i]) {
				out[j] = float32(float64(v) - mean[j])
			}
		}
	})
	return x, mean
}

// linalgGram returns X̄ᵀX̄ of the n×dim row-major matrix x as a symmetric
// dim×dim float64 matrix, using scratch (grown as needed) for the
// float32 product.
func linalgGram(x []float32, n, dim int, scratch []float32) ([]float64, []float32) {
	scratch = slices.Grow(scratch[:0], dim*dim)[:dim*dim]
	if n == 0 {
		clear(scratch)
	} else {
		gemm.Sgemm(true, false, dim, dim, n, 1, x, dim, x, dim, 0, scratch, dim)
	}
	g := make([]float64, dim*dim)
	for i := range dim {
		for j := i; j < dim; j++ {
			// The product sums C[i][j] and C[j][i] alike, but average
			// anyway so the matrix is exactly symmetric.
			v := (float64(scratch[i*dim+j]) + float64(scratch[j*dim+i])) / 2
			g[i*dim+j], g[j*dim+i] = v, v
		}
	}
	return g, scratch
}

// linalgSymMulVec sets dst = c·v for the dim×dim row-major c.
func linalgSymMulVec(dst, c, v []float64, dim int) {
	body := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] = linalgDot(c[i*dim:(i+1)*dim], v)
		}
	}
	if dim < 128 {
		body(0, dim)
		return
	}
	gemm.Parallel(dim, body)
}

// linalgOrthogonalise removes from v its components along the unit
// vectors in basis (twice, for accuracy) and returns its remaining norm.
func linalgOrthogonalise(v []float64, basis [][]float64) float64 {
	for range 2 {
		for _, b := range basis {
			p := linalgDot(v, b)
			for j := range v {
				v[j] -= p * b[j]
			}
		}
	}
	return math.Sqrt(linalgDot(v, v))
}

// linalgDot returns a·b, summed in four interleaved partial sums (so the
// additions do not wait on each other) in a fixed order.
func linalgDot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// linalgPowerTop finds the leading eigenpair of the symmetric positive
// semi-definite dim×dim matrix c restricted to the complement of the unit
// vectors in skip (deflation), by power iteration from a start fixed by
// seed. It stops when the unit iterate moves less than linalgPowerTol or
// after linalgPowerIters steps, and returns the Rayleigh quotient, the
// unit vector (its largest-magnitude entry positive) and the number of
// steps taken.
func linalgPowerTop(c []float64, dim int, skip [][]float64, seed uint64) (float64, []float64, int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	v := make([]float64, dim)
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	norm := linalgOrthogonalise(v, skip)
	if norm == 0 {
		return 0, v, 0
	}
	for j := range v {
		v[j] /= norm
	}
	w := make([]float64, dim)
	steps := 0
	for steps < linalgPowerIters {
		steps++
		linalgSymMulVec(w, c, v, dim)
		norm := linalgOrthogonalise(w, skip)
		if norm == 0 || math.IsNaN(norm) {
			return 0, v, steps
		}
		var moved float64
		for j := range w {
			w[j] /= norm
			moved += (w[j] - v[j]) * (w[j] - v[j])
		}
		v, w = w, v
		if math.Sqrt(moved) < linalgPowerTol {
			break
		}
	}
	linalgSignFix(v)
	linalgSymMulVec(w, c, v, dim)
	return linalgDot(v, w), v, steps
}

// linalgSignFix flips v so that its largest-magnitude entry is positive.
func linalgSignFix(v []float64) {
	big := 0
	for j, x := range v {
		if math.Abs(x) > math.Abs(v[big]) {
			big = j
		}
	}
	if len(v) > 0 && v[big] < 0 {
		for j := range v {
			v[j] = -v[j]
		}
	}
}

// linalgTopEigen returns the k leading eigenvalues of the symmetric
// positive semi-definite dim×dim matrix c, descending, and their unit
// eigenvectors as the columns of a dim×k row-major matrix. Up to
// linalgEigenSymMax, or when k is over a third of dim, it solves the
// whole eigenproblem with gonum; else it runs subspace iteration seeded
// by seed.
func linalgTopEigen(c []float64, dim, k int, seed uint64) ([]float64, []float64, error) {
	if k > dim || k < 0 {
		return nil, nil, fmt.Errorf("%d eigenvectors of a %d×%d matrix", k, dim, dim)
	}
	if dim > linalgEigenSymMax && 3*k < dim {
		return linalgSubspace(c, dim, k, seed)
	}
	vals, vecs, err := linalgEigenSym(c, dim)
	if err != nil {
		return nil, nil, err
	}
	top := make([]float64, dim*k)
	for i := range dim {
		copy(top[i*k:(i+1)*k], vecs[i*dim:i*dim+k])
	}
	return vals[:k], top, nil
}

// linalgEigenSym decomposes the symmetric dim×dim matrix c: eigenvalues
// descending and the matching unit eigenvectors as columns of a dim×dim
// row-major matrix, each column's largest-magnitude entry positive.
func linalgEigenSym(c []float64, dim int) ([]float64, []float64, error) {
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(dim, slices.Clone(c)), true) {
		return nil, nil, fmt.Errorf("eigendecomposition of a %d×%d matrix did not converge", dim, dim)
	}
	asc := es.Values(nil)
	var q mat.Dense
	es.VectorsTo(&q)
	vals := make([]float64, dim)
	vecs := make([]float64, dim*dim)
	col := make([]float64, dim)
	for j := range dim {
		src := dim - 1 - j
		vals[j] = asc[src]
		mat.Col(col, src, &q)
		linalgSignFix(col)
		for i := range dim {
			vecs[i*dim+j] = col[i]
		}
	}
	return vals, vecs, nil
}

// linalgSubspace finds the k leading eigenpairs of the symmetric
// positive semi-definite dim×dim matrix c by subspace iteration on
// k+linalgOversample vectors from a seeded random start (the randomized
// range finder of Halko, Martinsson and Tropp, as sklearn's PCA runs it
// for a few components), with the products c·Q in float32 on the gemm
// kernels, and a final Rayleigh–Ritz step in float64.
func linalgSubspace(c []float64, dim, k int, seed uint64) ([]float64, []float64, error) {
	p := min(dim, k+linalgOversample)
	c32 := make([]float32, len(c))
	for i, v := range c {
		c32[i] = float32(v)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	basis := make([][]float64, p)
	for j := range basis {
		basis[j] = make([]float64, dim)
		for i := range dim {
			basis[j][i] = rng.NormFloat64()
		}
	}
	linalgOrthonormal(basis)
	q := make([]float32, dim*p) // the basis as a dim×p row-major matrix
	y := make([]float32, dim*p)
	for range linalgSubspaceIters {
		for j, b := range basis {
			for i, v := range b {
				q[i*p+j] = float32(v)
			}
		}
		gemm.Sgemm(false, false, dim, p, dim, 1, c32, dim, q, p, 0, y, p)
		for j, b := range basis {
			for i := range b {
				b[i] = float64(y[i*p+j])
			}
		}
		linalgOrthonormal(basis)
	}
	// Rayleigh–Ritz: T = QᵀCQ, then rotate Q by T's eigenvectors.
	t := make([]float64, p*p)
	cq := make([]float64, dim)
	for j := range p {
		linalgSymMulVec(cq, c, basis[j], dim)
		for i := range p {
			t[i*p+j] = linalgDot(basis[i], cq)
		}
	}
	for i := range p {
		for j := i + 1; j < p; j++ {
			s := (t[i*p+j] + t[j*p+i]) / 2
			t[i*p+j], t[j*p+i] = s, s
		}
	}
	vals, rot, err := linalgEigenSym(t, p)
	if err != nil {
		return nil, nil, err
	}
	top := make([]float64, dim*k)
	col := make([]float64, dim)
	for j := range k {
		clear(col)
		for i := range p {
			r := rot[i*p+j]
			for l, b := range basis[i] {
				col[l] += r * b
			}
		}
		linalgSignFix(col)
		for l := range dim {
			top[l*k+j] = col[l]
		}
	}
	return vals[:k], top, nil
}

// linalgOrthonormal orthonormalises vs in place by modified Gram–Schmidt
// with reorthogonalisation; a vector that vanishes is replaced by zeros.
func linalgOrthonormal(vs [][]float64) {
	for j, v := range vs {
		norm := linalgOrthogonalise(v, vs[:j])
		if norm == 0 {
			clear(v)
			continue
		}
		for i := range v {
			v[i] /= norm
		}
	}
}

// linalgProject returns the n×k float32 matrix x·w of the n×dim rows x
// and the dim×k float64 basis w.
func linalgProject(x []float32, n, dim int, w []float64, k int) []float32 {
	w32 := make([]float32, len(w))
	for i, v := range w {
		w32[i] = float32(v)
	}
	z := make([]float32, n*k)
	if n > 0 && k > 0 {
		gemm.Sgemm(false, false, n, k, dim, 1, x, dim, w32, k, 0, z, k)
	}
	return z
}
