package npy_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// BenchmarkDecode measures float32 to float64 decoding, contiguous (one
// Fortran-order column) and strided (one column of a C-order block of
// 784-value rows, as MNIST-shaped data is read).
func BenchmarkDecode(b *testing.B) {
	const rows, cols = 4096, 784
	src := make([]byte, rows*cols*4)
	for i := range rows * cols {
		binary.LittleEndian.PutUint32(src[4*i:], math.Float32bits(float32(i)*0.5))
	}
	dt := npy.DType{Kind: npy.Float, Size: 4}
	dst := make([]float64, rows*cols)
	b.Run("contiguous", func(b *testing.B) {
		for b.Loop() {
			dt.Decode(dst, src)
		}
		b.ReportMetric(float64(b.N)*rows*cols/b.Elapsed().Seconds(), "values/s")
	})
	b.Run("strided", func(b *testing.B) {
		for b.Loop() {
			for j := range cols {
				dt.DecodeStrided(dst[j*rows:(j+1)*rows], src[4*j:], 4*cols)
			}
		}
		b.ReportMetric(float64(b.N)*rows*cols/b.Elapsed().Seconds(), "values/s")
	})
}
