package gemm_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

func ExampleSgemm() {
	// C = A·B for A 2×3 and B 3×2.
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		7, 8,
		9, 10,
		11, 12,
	}
	c := make([]float32, 4)
	gemm.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [58 64 139 154]
}

// TestSgemmKnown checks hand-worked products for each transpose, with
// alpha, beta and strides longer than the rows.
func TestSgemmKnown(t *testing.T) {
	// A is 2×3 and B 3×2, each stored with one padding element per row.
	a := []float32{1, 2, 3, -1, 4, 5, 6, -1}
	at := []float32{1, 4, -1, 2, 5, -1, 3, 6, -1}
	b := []float32{7, 8, -1, 9, 10, -1, 11, 12, -1}
	bt := []float32{7, 9, 11, -1, 8, 10, 12, -1}
	// 2·A·B + 0.5·C with C = [[2, 4], [6, 8]]: A·B = [[58, 64], [139, 154]].
	want := []float32{117, 130, -1, 281, 312, -1}
	for _, tc := range []struct {
		name           string
		transA, transB bool
		a              []float32
		lda            int
		b              []float32
		ldb            int
	}{
		{"NN", false, false, a, 4, b, 3},
		{"TN", true, false, at, 3, b, 3},
		{"NT", false, true, a, 4, bt, 4},
		{"TT", true, true, at, 3, bt, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := []float32{2, 4, -1, 6, 8, -1}
			gemm.Sgemm(tc.transA, tc.transB, 2, 2, 3, 2, tc.a, tc.lda, tc.b, tc.ldb, 0.5, c, 3)
			for i := range c {
				if c[i] != want[i] {
					t.Fatalf("C = %v, want %v", c, want)
				}
			}
		})
	}
}

// TestSgemmRandom compares Sgemm with a float64 reference on random
// shapes, for each transpose, alpha and beta. Each element may be off by
// (k+2)·2⁻²³ times |alpha|·Σ|a·b| + |beta·c|, a little above the worst case
// of float32 summation.
func TestSgemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		transA, transB := rng.IntN(2) == 1, rng.IntN(2) == 1
		m, n, k := 1+rng.IntN(100), 1+rng.IntN(100), 1+rng.IntN(300)
		alpha := float32(rng.NormFloat64())
		beta := []float32{0, 1, float32(rng.NormFloat64())}[rng.IntN(3)]
		ar, ac, br, bc := m, k, k, n
		if transA {
			ar, ac = k, m
		}
		if transB {
			br, bc = n, k
		}
		lda, ldb, ldc := ac+rng.IntN(4), bc+rng.IntN(4), n+rng.IntN(4)
		a, b, c := random(rng, ar*lda), random(rng, br*ldb), random(rng, m*ldc)
		at := func(i, p int) float64 {
			if transA {
				return float64(a[p*lda+i])
			}
			return float64(a[i*lda+p])
		}
		bt := func(p, j int) float64 {
			if transB {
				return float64(b[j*ldb+p])
			}
			return float64(b[p*ldb+j])
		}
		c0 := append([]float32(nil), c...)
		gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		for i := range m {
			for j := range n {
				var s, bound float64
				for p := range k {
					s += at(i, p) * bt(p, j)
					bound += math.Abs(at(i, p) * bt(p, j))
				}
				want := float64(alpha) * s
				bound *= math.Abs(float64(alpha))
				if beta != 0 {
					want += float64(beta) * float64(c0[i*ldc+j])
					bound += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
				}
				tol := float64(k+2) * 0x1p-23 * bound
				if got := float64(c[i*ldc+j]); math.Abs(got-want) > tol {
					t.Fatalf("tA=%v tB=%v m=%d n=%d k=%d: C[%d,%d] = %g, want %g ± %g", transA, transB, m, n, k, i, j, got, want, tol)
				}
			}
			for j := n; j < ldc; j++ {
				if c[i*ldc+j] != c0[i*ldc+j] {
					t.Fatalf("m=%d n=%d ldc=%d: padding C[%d,%d] changed", m, n, ldc, i, j)
				}
			}
		}
	}
}

func random(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestSgemmThreadsBitwise checks that results do not depend on the number
// of goroutines, down to the last bit, on shapes large enough to be split.
func TestSgemmThreadsBitwise(t *testing.T) {
	defer gemm.SetThreads(gemm.SetThreads(1))
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct {
		transA, transB bool
		m, n, k        int
	}{
		{false, false, 128, 256, 784},
		{true, false, 784, 256, 128},
		{false, true, 128, 784, 256},
		{true, true, 97, 301, 1100},
		{false, false, 2000, 10, 64},
		{true, false, 25, 16, 5000},
	} {
		a, b := random(rng, s.m*s.k), random(rng, s.k*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		var first []float32
		for _, nt := range []int{1, 2, 3, 4, 7} {
			gemm.SetThreads(nt)
			c := random(rand.New(rand.NewPCG(1, 1)), s.m*s.n)
			gemm.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 0.7, a, lda, b, ldb, 0.3, c, s.n)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%+v: %d threads give C[%d] = %g, 1 thread %g", s, nt, i, c[i], first[i])
				}
			}
		}
	}
}

// TestSgemmBetaZeroIgnoresC checks that beta = 0 overwrites C without
// reading it, even where C holds NaN and infinities, and that alpha = 0 or
// k = 0 still scale C by beta.
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	m, n, k := 37, 45, 29
	a, b := random(rng, m*k), random(rng, k*n)
	for _, tc := range []struct {
		name  string
		k     int
		alpha float32
	}{{"product", k, 1}, {"k=0", 0, 1}, {"alpha=0", k, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			c := make([]float32, m*n)
			for i := range c {
				c[i] = [...]float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[i%3]
			}
			gemm.Sgemm(false, false, m, n, tc.k, tc.alpha, a, max(1, tc.k), b, n, 0, c, n)
			for i, v := range c {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("C[%d] = %g after beta = 0", i, v)
				}
				if (tc.k == 0 || tc.alpha == 0) && v != 0 {
					t.Fatalf("C[%d] = %g, want 0", i, v)
				}
			}
		})
	}
}

// TestSgemmPanics checks that bad arguments panic with a message that
// names the problem instead of reading out of bounds.
func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 20)
	for _, tc := range []struct {
		name string
		call func()
		msg  string
	}{
		{"negative m", func() { gemm.Sgemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "negative dimension"},
		{"short a", func() { gemm.Sgemm(false, false, 4, 3, 4, 1, s[:12], 4, s, 3, 0, s, 3) }, "len(a)=12 too short"},
		{"short transposed a", func() { gemm.Sgemm(true, false, 3, 2, 5, 1, s[:14], 3, s, 2, 0, s, 2) }, "len(a)=14 too short"},
		{"short b", func() { gemm.Sgemm(false, false, 2, 4, 4, 1, s, 4, s[:12], 4, 0, s, 4) }, "len(b)=12 too short"},
		{"short transposed b", func() { gemm.Sgemm(false, true, 2, 4, 3, 1, s, 3, s[:11], 3, 0, s, 4) }, "len(b)=11 too short"},
		{"short c", func() { gemm.Sgemm(false, false, 3, 4, 2, 1, s, 2, s, 4, 0, s[:11], 4) }, "len(c)=11 too short"},
		{"lda below row", func() { gemm.Sgemm(false, false, 2, 2, 3, 1, s, 2, s, 2, 0, s, 2) }, "lda=2 shorter than a row of 3"},
		{"ldc below row", func() { gemm.Sgemm(false, false, 2, 3, 2, 1, s, 2, s, 3, 0, s, 2) }, "ldc=2 shorter than a row of 3"},
		{"huge stride", func() { gemm.Sgemm(false, false, 3, 2, 2, 1, s, math.MaxInt/2, s, 2, 0, s, 2) }, "overflows int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.msg) {
					t.Fatalf("panic %v, want one containing %q", r, tc.msg)
				}
			}()
			tc.call()
		})
	}
}

func TestSetThreads(t *testing.T) {
	prev := gemm.SetThreads(3)
	defer gemm.SetThreads(prev)
	if got := gemm.SetThreads(0); got != 3 {
		t.Fatalf("SetThreads returned %d, want 3", got)
	}
}

// TestBackend checks the backend's name and, when the test runs with
// POISONGUARD_GEMM=go, that the variable forced the Go kernel.
func TestBackend(t *testing.T) {
	b := gemm.Backend()
	switch b {
	case "avx512", "avx2", "go":
	default:
		t.Fatalf("Backend() = %q", b)
	}
	if os.Getenv("POISONGUARD_GEMM") == "go" && b != "go" {
		t.Fatalf("Backend() = %q with POISONGUARD_GEMM=go", b)
	}
}

// TestParallel visits every index once, whatever the thread count.
func TestParallel(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		prev := gemm.SetThreads(threads)
		for _, n := range []int{0, 1, 2, 7, 1000} {
			seen := make([]int32, n)
			gemm.Parallel(n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, v := range seen {
				if v != 1 {
					t.Fatalf("%d threads, n %d: index %d visited %d times", threads, n, i, v)
				}
			}
		}
		gemm.SetThreads(prev)
	}
}
