package profile

import (
	"math/bits"
	"slices"
)

// Radix sorting of order keys (see orderKey): the exact store of a column
// sorts up to its exact limit of values when the profile is finished, and
// a least-significant-digit radix sort does it in a few linear passes where
// a comparison sort needs log2(n) — four to five times faster at 60,000
// values.

const (
	radixBits    = 11
	radixBuckets = 1 << radixBits
	radixPasses  = (64 + radixBits - 1) / radixBits
	radixMask    = radixBuckets - 1
)

// radixSortKeys sorts keys in ascending order, using buf (of the same
// length) as scratch, and returns the slice that holds the result (keys or
// buf). It sorts by the 33 bits from the highest bit in which the keys
// differ — sign, exponent and the mantissa's top 21 bits for data of either
// sign, more mantissa bits for data in a narrow range — in three 11-bit
// passes, skipping digits every key shares, then sorts each run of keys
// that share those bits by the rest. Such runs are rare and short for
// continuous data (a few equal values, or float32 values that differ in
// their last mantissa bits), which is why this takes half the passes of a
// full 64-bit radix sort. (Two passes over 22 bits leave runs common enough
// that sorting them mispredicts more than the third pass costs.)
func radixSortKeys(keys, buf []uint64) []uint64 {
	if len(keys) < 2 {
		return keys
	}
	var diff uint64
	for _, k := range keys {
		diff |= k ^ keys[0]
	}
	if diff == 0 {
		return keys
	}
	low := max(bits.Len64(diff)-radixHighPasses*radixBits, 0)
	var hist [radixHighPasses][radixBuckets]uint32
	for _, k := range keys {
		h := k >> low
		hist[0][h&radixMask]++
		hist[1][(h>>radixBits)&radixMask]++
		hist[2][(h>>(2*radixBits))&radixMask]++
	}
	src, dst := keys, buf[:len(keys)]
	for p := range radixHighPasses {
		h := &hist[p]
		shift := low + p*radixBits
		if h[(src[0]>>shift)&radixMask] == uint32(len(src)) {
			continue // every key has this digit
		}
		var sum uint32
		for i, c := range h {
			h[i] = sum
			sum += c
		}
		for _, k := range src {
			d := (k >> shift) & radixMask
			dst[h[d]] = k
			h[d]++
		}
		src, dst = dst, src
	}
	if low > 0 {
		sortLowRuns(src, low)
	}
	return src
}

// radixHighPasses is the number of 11-bit digits radixSortKeys sorts by.
const radixHighPasses = 3

// sortLowRuns sorts each run of keys that share the bits above low (as
// radixSortKeys left them, ordered by those bits) by their low bits.
func sortLowRuns(keys []uint64, low int) {
	for i := 0; i < len(keys); {
		hi := keys[i] >> low
		j := i + 1
		for j < len(keys) && keys[j]>>low == hi {
			j++
		}
		if run := keys[i:j]; len(run) > 1 {
			if len(run) <= 16 {
				for a := 1; a < len(run); a++ {
					for b := a; b > 0 && run[b] < run[b-1]; b-- {
						run[b], run[b-1] = run[b-1], run[b]
					}
				}
			} else {
				slices.Sort(run)
			}
		}
		i = j
	}
}

// valuesFromSortedKeys compacts sorted order keys into a sample: 32-bit
// ones (orderKey32) when narrow, else 64-bit ones.
func valuesFromSortedKeys(keys []uint64, narrow bool) *Values {
	from := fromOrderKey
	if narrow {
		from = fromOrderKey32
	}
	distinct := 0
	for i := range keys {
		if i == 0 || keys[i] != keys[i-1] {
			distinct++
		}
	}
	if len(keys) < 2*distinct { // mostly single values: repeats, no counts
		out := &Values{Values: make([]float64, len(keys))}
		for i, k := range keys {
			out.Values[i] = from(k)
		}
		return out
	}
	out := &Values{Values: make([]float64, 0, distinct)}
	out.Counts = make([]int64, 0, distinct)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		out.Values = append(out.Values, from(keys[i]))
		out.Counts = append(out.Counts, int64(j-i))
		i = j
	}
	return out
}

// radixSortRows sorts pending rows by hash, a full 64-bit least-significant
// digit radix sort (hashes have no shared high bits to exploit). It repeats
// radixSortKeys's pass loop for a 16-byte element rather than sharing it
// through a key function, which would cost a call per element per pass on
// the sketch's hot path.
func radixSortRows(rows, buf []pendingRow) []pendingRow {
	if len(rows) < 2 {
		return rows
	}
	var hist [radixPasses][radixBuckets]uint32
	for _, r := range rows {
		for p := range radixPasses {
			hist[p][(r.hash>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := rows, buf[:len(rows)]
	for p := range radixPasses {
		h := &hist[p]
		shift := p * radixBits
		if h[(src[0].hash>>shift)&radixMask] == uint32(len(src)) {
			continue
		}
		var sum uint32
		for i, c := range h {
			h[i] = sum
			sum += c
		}
		for _, r := range src {
			d := (r.hash >> shift) & radixMask
			dst[h[d]] = r
			h[d]++
		}
		src, dst = dst, src
	}
	return src
}
