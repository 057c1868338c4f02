//go:build amd64 && !purego

package profile

import "golang.org/x/sys/cpu"

// hashNum8 folds n numeric cells (n a multiple of 8) into the row hashes
// h1 and h2, eight rows at a time with AVX-512: exactly what step and
// numToken do one cell at a time, column constant c included.
//
//go:noescape
func hashNum8(h1, h2 *uint64, xs *float64, n int, c uint64)

// hasHashNum8 reports whether this CPU runs hashNum8 (AVX-512 F and DQ,
// for the 64-bit multiply).
var hasHashNum8 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
