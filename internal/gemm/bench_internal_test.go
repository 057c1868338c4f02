package gemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// benchShapes are the products the project's models compute: the MLP
// 784-256-128-10 on a batch of 128 (forward, then the weight and input
// gradients), the full 10000-image batch, and the CNN's im2col products.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"mlp1_128x784x256", false, false, 128, 256, 784},
	{"mlp2_128x256x128", false, false, 128, 128, 256},
	{"mlp3_128x128x10", false, false, 128, 10, 128},
	{"mlp1_dW_T784x128x256", true, false, 784, 256, 128},
	{"mlp2_dX_128x256xT784", false, true, 128, 784, 256},
	{"full_10000x784x256", false, false, 10000, 256, 784},
	{"conv1_73728x25x16", false, false, 73728, 16, 25},
	{"conv1_dW_T25x73728x16", true, false, 25, 16, 73728},
	{"conv1_dX_73728x16xT25", false, true, 73728, 25, 16},
	{"conv2_8192x400x32", false, false, 8192, 32, 400},
	{"conv2_dW_T400x8192x32", true, false, 400, 32, 8192},
	{"conv2_dX_8192x32xT400", false, true, 8192, 400, 32},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		ar, ac := s.m, s.k
		if s.transA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.transB {
			br, bc = s.n, s.k
		}
		rng := rand.New(rand.NewPCG(1, 1))
		a := randMatrix(rng, ar, ac, ac)
		bm := randMatrix(rng, br, bc, bc)
		c := make([]float32, s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		for _, kern := range kernels() {
			b.Run(s.name+"/"+kern.name, func(b *testing.B) {
				nt := numThreads()
				for b.Loop() {
					sgemm(kern, nt, s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
				}
				report(b)
			})
		}
		b.Run(s.name+"/gonum", func(b *testing.B) {
			tA, tB := blas.NoTrans, blas.NoTrans
			if s.transA {
				tA = blas.Trans
			}
			if s.transB {
				tB = blas.Trans
			}
			ga := blas32.General{Rows: ar, Cols: ac, Stride: ac, Data: a}
			gb := blas32.General{Rows: br, Cols: bc, Stride: bc, Data: bm}
			gc := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
			for b.Loop() {
				blas32.Gemm(tA, tB, 1, ga, gb, 0, gc)
			}
			report(b)
		})
	}
}
