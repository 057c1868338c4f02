//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// tile14x32 sets C = alpha·A·B + beta·C on a 14×32 tile of C, of which it
// touches the first rows rows (1 to 14) and, in each, the columns whose bit
// is set in mask. It reads C only when beta is not zero. A is a packed
// 14×kc panel and B a packed kc×32 panel.
//
//go:noescape
func tile14x32(kc int, a, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint32)

// tile14x16 is tile14x32 for tiles whose columns past the 16th are all
// left out: it sums only the left half of each B row, doing for each
// element it writes exactly what tile14x32 does. mask covers 16 columns.
//
//go:noescape
func tile14x16(kc int, a, b, c *float32, ldc int, alpha, beta float32, rows int, mask uint16)

// tile6x16 sets C = alpha·A·B + beta·C on a full 6×16 tile of C, reading C
// only when beta is not zero. A is a packed 6×kc panel and B a packed kc×16
// panel.
//
//go:noescape
func tile6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

var avx512Kernel = kernel{
	name: "avx512",
	mr:   14, nr: 32,
	kc: 256, ks: 768, mc: 14 * 8, nc: 32 * 8,
	tile: tileAVX512,
	pack: packAVX512,
}

var avx2Kernel = kernel{
	name: "avx2",
	mr:   6, nr: 16,
	kc: 256, ks: 768, mc: 6 * 16, nc: 16 * 16,
	tile: tileAVX2,
	pack: packGo,
}

// archKernels returns the assembly kernels this CPU runs, fastest first.
func archKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasBMI2 {
		ks = append(ks, &avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &avx2Kernel)
	}
	return ks
}

func tileAVX512(kc int, a, b, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	// Bounds checks: the assembly trusts these extents.
	_ = a[14*kc-1]
	_ = b[32*kc-1]
	_ = c[(rows-1)*ldc+cols-1]
	if cols <= 16 {
		tile14x16(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, rows, uint16(1<<cols-1))
		return
	}
	tile14x32(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, rows, mask32(cols))
}

func tileAVX2(kc int, a, b, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[6*kc-1]
	_ = b[16*kc-1]
	if rows == 6 && cols == 16 {
		_ = c[5*ldc+15]
		tile6x16(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
		return
	}
	// An edge tile goes through a full one on the stack, so its arithmetic
	// is that of every other tile.
	var t [6 * 16]float32
	if beta != 0 {
		for i := range rows {
			copy(t[i*16:i*16+cols], c[i*ldc:i*ldc+cols])
		}
	}
	tile6x16(kc, &a[0], &b[0], &t[0], 16, alpha, beta)
	for i := range rows {
		copy(c[i*ldc:i*ldc+cols], t[i*16:i*16+cols])
	}
}
