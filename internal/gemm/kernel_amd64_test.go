//go:build amd64 && !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTile14x16MatchesTile14x32 checks that the half-width AVX-512 kernel
// writes the same bits as the full one, so which of them a tile gets does
// not show in the result.
func TestTile14x16MatchesTile14x32(t *testing.T) {
	if !archHas(&avx512Kernel) {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kc := range []int{1, 3, 4, 25, 256} {
		for _, beta := range []float32{0, 1, 0.5} {
			a := randMatrix(rng, 14, kc, kc)
			b := randMatrix(rng, 32, kc, kc)
			c0 := randMatrix(rng, 14, 16, 16)
			half := append([]float32(nil), c0...)
			full := append([]float32(nil), c0...)
			tile14x16(kc, &a[0], &b[0], &half[0], 16, 1.5, beta, 14, 0xffff)
			tile14x32(kc, &a[0], &b[0], &full[0], 16, 1.5, beta, 14, 0xffff)
			for i := range half {
				if math.Float32bits(half[i]) != math.Float32bits(full[i]) {
					t.Fatalf("kc=%d beta=%g: C[%d] = %g from tile14x16, %g from tile14x32", kc, beta, i, half[i], full[i])
				}
			}
		}
	}
}

func archHas(k *kernel) bool {
	for _, a := range archKernels() {
		if a == k {
			return true
		}
	}
	return false
}
