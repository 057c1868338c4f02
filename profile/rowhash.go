package profile

import (
	"math"
	"math/bits"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/zeebo/xxh3"
)

// Row hashing. Each row's features hash to 128 bits in two independent
// 64-bit lanes, built column by column so that a batch is hashed in
// cache-friendly column order. The canonical form of a value makes the hash
// stable across formats of the same data:
//
//   - numbers are rounded to float32 (the precision of every image and
//     most tabular stores), -0 becomes 0 and every NaN is one NaN, so 0.1
//     read from CSV text, a float32 .npy and a double Parquet column agree;
//   - a missing value (numeric or text) is its own token;
//   - text is hashed with XXH3 and its length.
//
// Column names are not hashed: the same values under other names are the
// same data. The hash is not cryptographic; it finds accidental and replayed
// duplicates, not a forger who controls both sides.

const (
	laneSeed1 = 0x9e3779b97f4a7c15
	laneSeed2 = 0xc2b2ae3d27d4eb4f
	tokenMiss = 0x6d697373696e6721
	tokenNaN  = 0x7fc00000
)

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// numToken canonicalises a numeric cell for hashing.
func numToken(v float64) uint64 {
	if v != v {
		if dataset.IsMissing(v) {
			return tokenMiss
		}
		return tokenNaN
	}
	f := float32(v)
	if f == 0 {
		return 0
	}
	return uint64(math.Float32bits(f))
}

// strToken canonicalises a text cell for hashing.
func strToken(s string) uint64 {
	if s == "" {
		return tokenMiss
	}
	return xxh3.HashString(s) ^ uint64(len(s))<<56
}

// rowHasher accumulates the two lanes of a block of rows.
type rowHasher struct {
	h1, h2 []uint64
}

func (r *rowHasher) reset(n int) {
	r.h1 = slicesGrow(r.h1, n)
	r.h2 = slicesGrow(r.h2, n)
	for i := range n {
		r.h1[i] = laneSeed1
		r.h2[i] = laneSeed2
	}
}

func slicesGrow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

// useHashNum8 lets tests compare the assembly with the Go loop.
var useHashNum8 = true

// addStr folds one text column's tokens of rows lo..hi into the lanes.
func (r *rowHasher) addStr(col int, ss []string, lo, hi int) {
	c := uint64(col+1) * 0x94d049bb133111eb
	h1, h2 := r.h1, r.h2
	for i := lo; i < hi; i++ {
		h1[i], h2[i] = step(h1[i], h2[i], strToken(ss[i])^c)
	}
}

// addNum folds one numeric column's tokens of rows lo..hi into the lanes,
// eight rows at a time where the CPU has AVX-512 (see hashNum8).
func (r *rowHasher) addNum(col int, xs []float64, lo, hi int) {
	c := uint64(col+1) * 0x94d049bb133111eb
	h1, h2 := r.h1, r.h2
	if n := (hi - lo) &^ 7; hasHashNum8 && useHashNum8 && n > 0 {
		_, _, _ = h1[lo+n-1], h2[lo+n-1], xs[lo+n-1] // the assembly writes and reads n
		hashNum8(&h1[lo], &h2[lo], &xs[lo], n, c)
		lo += n
	}
	for i := lo; i < hi; i++ {
		h1[i], h2[i] = step(h1[i], h2[i], numToken(xs[i])^c)
	}
}

// step folds one token into both lanes: a multiply-rotate chain per lane
// with different constants (one multiply each, cheap enough for every
// cell); finish's full avalanche mixes the result.
func step(h1, h2, t uint64) (uint64, uint64) {
	h1 = bits.RotateLeft64((h1^t)*0x9e3779b97f4a7c15, 31)
	h2 = bits.RotateLeft64((h2+t)*0xc2b2ae3d27d4eb4f, 29) ^ t>>17
	return h1, h2
}

// finish finalises row i's feature hash.
func (r *rowHasher) finish(i int) (uint64, uint64) {
	return mix64(r.h1[i]), mix64(r.h2[i] ^ laneSeed1)
}

// labelHash hashes a label for row sets and fingerprints; 0 means none.
func labelHash(s string) uint64 {
	if s == "" {
		return 0
	}
	h := xxh3.HashString(s)
	if h == 0 {
		h = 1
	}
	return h
}
