package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is C = alpha·op(A)·op(B) + beta·C in float64, with bound[i*n+j]
// set to |alpha|·Σ|a·b| + |beta·c|, the scale of the rounding error that
// float32 arithmetic may make on element (i, j).
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, bound []float64) {
	want = make([]float64, m*n)
	bound = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, abs float64
			for p := range k {
				var x, y float32
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				s += float64(x) * float64(y)
				abs += math.Abs(float64(x) * float64(y))
			}
			w := float64(alpha) * s
			bd := math.Abs(float64(alpha)) * abs
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				bd += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], bound[i*n+j] = w, bd
		}
	}
	return want, bound
}

// randMatrix returns rows×cols values in [-1, 1) with row stride ld and
// NaN in the padding, which a correct Sgemm never reads.
func randMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	s := make([]float32, max(0, (rows-1)*ld+cols))
	for i := range s {
		s[i] = float32(math.NaN())
		if i%ld < cols {
			s[i] = rng.Float32()*2 - 1
		}
	}
	return s
}

type shape struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int
	padC           int
}

func (s shape) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,alpha=%g,beta=%g,pad=%d/%d/%d", s.transA, s.transB, s.m, s.n, s.k, s.alpha, s.beta, s.padA, s.padB, s.padC)
}

// check runs sgemm on s with kern and nt goroutines and compares it with
// refGemm. The tolerance is (k+2)·2⁻²³ relative to the error scale, a
// little above the worst case of recursive float32 summation.
func check(t *testing.T, rng *rand.Rand, kern *kernel, nt int, s shape) {
	t.Helper()
	ar, ac := s.m, s.k
	if s.transA {
		ar, ac = s.k, s.m
	}
	br, bc := s.k, s.n
	if s.transB {
		br, bc = s.n, s.k
	}
	lda, ldb, ldc := max(1, ac+s.padA), max(1, bc+s.padB), max(1, s.n+s.padC)
	a := randMatrix(rng, ar, ac, lda)
	b := randMatrix(rng, br, bc, ldb)
	c := randMatrix(rng, s.m, s.n, ldc)
	if s.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	want, bound := refGemm(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, c, ldc)
	sgemm(kern, nt, s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, c, ldc)
	tol := float64(s.k+2) * 0x1p-23
	for i := range s.m {
		for j := range s.n {
			got := float64(c[i*ldc+j])
			w := want[i*s.n+j]
			if d := math.Abs(got - w); !(d <= tol*bound[i*s.n+j]+1e-30) {
				t.Fatalf("%s %v threads=%d: C[%d,%d] = %g, want %g (error %g > %g)", kern.name, s, nt, i, j, got, w, d, tol*bound[i*s.n+j])
			}
		}
		for j := s.n; j < ldc && i < s.m-1; j++ {
			if v := c[i*ldc+j]; !math.IsNaN(float64(v)) && s.beta != 0 {
				t.Fatalf("%s %v: padding C[%d,%d] overwritten with %g", kern.name, s, i, j, v)
			}
		}
	}
}

// smallBlocks returns a copy of kern with tiny block sizes, so that small
// matrices cross every k, row and column block boundary.
func smallBlocks(kern *kernel) *kernel {
	k := *kern
	k.kc, k.mc, k.nc = 5, 2*k.mr, 2*k.nr
	return &k
}

func TestKernelsRandomShapes(t *testing.T) {
	for _, kern := range kernels() {
		for _, kn := range []*kernel{kern, smallBlocks(kern)} {
			t.Run(fmt.Sprintf("%s/kc=%d", kn.name, kn.kc), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				for range 400 {
					s := shape{
						transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
						m: rng.IntN(71), n: rng.IntN(71), k: rng.IntN(71),
						alpha: []float32{1, -0.5, 2.5}[rng.IntN(3)],
						beta:  []float32{0, 1, 0.25, -1}[rng.IntN(4)],
						padA:  rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
					}
					check(t, rng, kn, 1+rng.IntN(3), s)
				}
			})
		}
	}
}

func TestKernelsEdgeShapes(t *testing.T) {
	dims := []int{0, 1, 2, 5, 13, 14, 15, 16, 17, 31, 32, 33, 47}
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, m := range dims {
				for _, n := range dims {
					for _, k := range []int{0, 1, 3, 17, 300, 600} {
						for tr := range 4 {
							s := shape{transA: tr&1 == 1, transB: tr&2 == 2, m: m, n: n, k: k, alpha: 1.5, beta: 0.5, padA: 1, padC: 2}
							check(t, rng, kern, 2, s)
						}
					}
				}
			}
		})
	}
}

// TestPack checks each kernel's pack against its definition, for the
// panel widths the kernels use, ragged line counts and depths on both
// sides of the 16-wide blocks the assembly moves.
func TestPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range kernels() {
		for _, w := range []int{kern.mr, kern.nr} {
			for _, lines := range []int{1, w / 2, w - 1, w} {
				for _, kb := range []int{1, 15, 16, 17, 40} {
					for _, transpose := range []bool{false, true} {
						ld := kb + 3
						if !transpose {
							ld = lines + 3
						}
						src := randMatrix(rng, max(kb, lines), ld, ld)
						dst := randMatrix(rng, 1, w*kb+5, w*kb+5)
						tail := append([]float32(nil), dst[w*kb:]...)
						kern.pack(dst, src, ld, w, lines, kb, transpose)
						for p := range kb {
							for i := range w {
								want := float32(0)
								if i < lines && transpose {
									want = src[i*ld+p]
								} else if i < lines {
									want = src[p*ld+i]
								}
								if got := dst[p*w+i]; got != want {
									t.Fatalf("%s w=%d lines=%d kb=%d transpose=%v: dst[%d] = %g, want %g", kern.name, w, lines, kb, transpose, p*w+i, got, want)
								}
							}
						}
						for i, v := range tail {
							if dst[w*kb+i] != v {
								t.Fatalf("%s w=%d lines=%d kb=%d transpose=%v: wrote past the panel", kern.name, w, lines, kb, transpose)
							}
						}
					}
				}
			}
		}
	}
}

// TestKernelsThreadsBitwise checks, for every kernel and with small blocks
// too, that the number of goroutines and so the split of C changes no bit
// of the result.
func TestKernelsThreadsBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kern := range kernels() {
		for _, kn := range []*kernel{kern, smallBlocks(kern)} {
			for _, s := range []shape{
				{m: 131, n: 97, k: 300, alpha: 1, beta: 0},
				{transA: true, m: 61, n: 203, k: 77, alpha: -0.5, beta: 2},
				{transB: true, m: 300, n: 19, k: 41, alpha: 1, beta: 1},
				{transA: true, transB: true, m: 45, n: 70, k: 555, alpha: 3, beta: 0},
			} {
				ar, ac, br, bc := s.m, s.k, s.k, s.n
				if s.transA {
					ar, ac = s.k, s.m
				}
				if s.transB {
					br, bc = s.n, s.k
				}
				a, b := randMatrix(rng, ar, ac, ac), randMatrix(rng, br, bc, bc)
				c0 := randMatrix(rng, s.m, s.n, s.n)
				var first []float32
				for _, nt := range []int{1, 2, 3, 5, 8} {
					c := append([]float32(nil), c0...)
					sgemm(kn, nt, s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, ac, b, bc, s.beta, c, s.n)
					if first == nil {
						first = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%s kc=%d %v: %d threads give C[%d] = %g, 1 thread %g", kn.name, kn.kc, s, nt, i, c[i], first[i])
						}
					}
				}
			}
		}
	}
}

// TestChoose checks how POISONGUARD_GEMM picks a kernel: by name when this
// CPU runs it, else the fastest one.
func TestChoose(t *testing.T) {
	ks := kernels()
	if got := choose("go"); got != &goKernel {
		t.Errorf(`choose("go") = %s, want go`, got.name)
	}
	for _, want := range []string{"", "bogus", "AVX512"} {
		if got := choose(want); got != ks[0] {
			t.Errorf("choose(%q) = %s, want %s", want, got.name, ks[0].name)
		}
	}
	for _, k := range ks {
		if got := choose(k.name); got != k {
			t.Errorf("choose(%q) = %s", k.name, got.name)
		}
	}
}

// TestSteadyStateAllocations checks that repeated calls reuse their
// packing buffers: what is left per call is the job and its list of
// regions.
func TestSteadyStateAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	m, n, k := 128, 256, 784
	a, b := randMatrix(rng, m, k, k), randMatrix(rng, k, n, n)
	c := make([]float32, m*n)
	for _, kern := range kernels() {
		allocs := testing.AllocsPerRun(20, func() {
			sgemm(kern, 2, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		if allocs > 3 {
			t.Errorf("%s: %v allocations per call, want at most 3", kern.name, allocs)
		}
	}
}
