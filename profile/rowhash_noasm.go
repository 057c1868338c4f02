//go:build !amd64 || purego

package profile

// Without assembly, rowHasher.addNum hashes every cell in Go.

const hasHashNum8 = false

func hashNum8(h1, h2 *uint64, xs *float64, n int, c uint64) { panic("unreachable") }
