package gemm

// goKernel is the portable micro-kernel, used where no assembly one runs.
var goKernel = kernel{
	name: "go",
	mr:   4, nr: 4,
	kc: 256, ks: 1024, mc: 128, nc: 512,
	tile: tileGo,
	pack: packGo,
}

// tileGo is kernel.tile for a 4×4 tile in plain Go. Every tile, full or
// not, runs the same arithmetic, so results do not depend on where tile
// edges fall.
func tileGo(kc int, a, b, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	var (
		c00, c01, c02, c03 float32
		c10, c11, c12, c13 float32
		c20, c21, c22, c23 float32
		c30, c31, c32, c33 float32
	)
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p < len(a) && p < len(b); p += 4 {
		pa, pb := a[p:p+4:p+4], b[p:p+4:p+4]
		b0, b1, b2, b3 := pb[0], pb[1], pb[2], pb[3]
		a0 := pa[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := pa[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := pa[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := pa[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range rows {
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
