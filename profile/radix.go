package profile

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
// buf). Digits that every key shares are skipped, so integer-valued and
// narrow-range data take fewer passes.
func radixSortKeys(keys, buf []uint64) []uint64 {
	if len(keys) < 2 {
		return keys
	}
	var hist [radixPasses][radixBuckets]uint32
	for _, k := range keys {
		for p := range radixPasses {
			hist[p][(k>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := keys, buf[:len(keys)]
	for p := range radixPasses {
		h := &hist[p]
		shift := p * radixBits
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
	return src
}

// valuesFromSortedKeys compacts sorted order keys into a sample.
func valuesFromSortedKeys(keys []uint64) *Values {
	distinct := 0
	for i := range keys {
		if i == 0 || keys[i] != keys[i-1] {
			distinct++
		}
	}
	out := &Values{Values: make([]float64, 0, distinct), Counts: make([]int64, 0, distinct)}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		out.Values = append(out.Values, fromOrderKey(keys[i]))
		out.Counts = append(out.Counts, int64(j-i))
		i = j
	}
	return out
}

// radixSortRows sorts pending rows by hash as radixSortKeys sorts keys. It
// repeats that function's loop for a 16-byte element rather than sharing
// it through a key function, which would cost a call per element per pass
// on the sketch's hot path.
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
