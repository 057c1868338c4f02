//go:build amd64 && !purego

package gemm

// transpose16 sets dst[p*ldd+i] = src[i*lds+p] for p < n and i < 16, with zero for i ≥ rows, writing only the i whose bit is
// set in mask. It reads only rows i < rows.
//
//go:noescape
func transpose16(dst, src *float32, lds, ldd, rows, n int, mask uint32)

// copyLines copies, for p < n, the 32 floats at src[p*lds:] whose bits are
// set in lmask, with zeros for the others, to dst[p*ldd:], writing only
// those whose bits are set in smask.
//
//go:noescape
func copyLines(dst, src *float32, lds, ldd, n int, lmask, smask uint32)

// mask32 returns a mask of the low n ≤ 32 bits.
func mask32(n int) uint32 { return uint32(1<<n - 1) }

// packAVX512 is kernel.pack with AVX-512 moves, for w ≤ 32.
func packAVX512(dst, src []float32, ld, w, lines, kb int, transpose bool) {
	if kb == 0 {
		return
	}
	dst = dst[:w*kb]
	if !transpose {
		_ = src[(kb-1)*ld+lines-1]
		copyLines(&dst[0], &src[0], ld, w, kb, mask32(lines), mask32(w))
		return
	}
	_ = src[(lines-1)*ld+kb-1]
	for i := 0; i < w; i += 16 {
		rows := max(0, min(16, lines-i))
		s := &src[0]
		if rows > 0 {
			s = &src[i*ld]
		}
		transpose16(&dst[i], s, ld, w, rows, kb, mask32(min(16, w-i)))
	}
}
