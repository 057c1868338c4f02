package gemm

import (
	"sync"
	"unsafe"
)

// packBuf is scratch space for the packed panels of one goroutine.
type packBuf struct{ raw []float32 }

// bufPool keeps packBufs between calls so that steady-state Sgemm calls do
// not allocate them.
var bufPool sync.Pool

// align is the alignment of packed panels in floats: a 64-byte cache line.
const align = 16

// getBuf returns a pooled buffer split into an na-float and an nb-float
// slice, each starting on a cache line. Return it with bufPool.Put.
func getBuf(na, nb int) (pb *packBuf, a, b []float32) {
	na, nb = roundUp(na, align), roundUp(nb, align)
	need := na + nb + align
	pb, _ = bufPool.Get().(*packBuf)
	if pb == nil || len(pb.raw) < need {
		pb = &packBuf{raw: make([]float32, need)}
	}
	off := int(-uintptr(unsafe.Pointer(&pb.raw[0])) / 4 % align)
	return pb, pb.raw[off : off+na], pb.raw[off+na : off+na+nb]
}

// packGo is kernel.pack in plain Go.
func packGo(dst, src []float32, ld, w, lines, kb int, transpose bool) {
	dst = dst[:w*kb]
	if !transpose {
		for p := range kb {
			d := dst[p*w : p*w+w]
			copy(d, src[p*ld:p*ld+lines])
			clear(d[lines:])
		}
		return
	}
	// Four lines at a time, so that each value written lands next to the
	// last one.
	i := 0
	for ; i+4 <= lines; i += 4 {
		s0 := src[i*ld : i*ld+kb]
		s1 := src[(i+1)*ld : (i+1)*ld+kb]
		s2 := src[(i+2)*ld : (i+2)*ld+kb]
		s3 := src[(i+3)*ld : (i+3)*ld+kb]
		for p := range s0 {
			d := dst[p*w+i : p*w+i+4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; i < lines; i++ {
		for p, v := range src[i*ld : i*ld+kb] {
			dst[p*w+i] = v
		}
	}
	for ; i < w; i++ {
		for p := range kb {
			dst[p*w+i] = 0
		}
	}
}
