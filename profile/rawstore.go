package profile

// rawStore keeps the raw values of a column's exact store in fixed-size
// chunks, so that growing never copies what is stored, and as float32 while
// every value is exactly a float32 (every float32 or image source): half
// the memory, and a new process pays for its memory in page faults.
type rawStore struct {
	narrow [][]float32
	wide   [][]float64
	isWide bool
	n      int
}

// rawChunk is the number of values in one chunk.
const rawChunk = 1 << 15

func (r *rawStore) len() int { return r.n }

// add appends values.
func (r *rawStore) add(xs []float64) {
	r.n += len(xs)
	if !r.isWide {
		if allFloat32(xs) {
			r.narrow = appendChunked(r.narrow, xs, func(x float64) float32 { return float32(x) })
			return
		}
		r.widen()
	}
	r.wide = appendChunked(r.wide, xs, func(x float64) float64 { return x })
}

func allFloat32(xs []float64) bool {
	for _, x := range xs {
		if float64(float32(x)) != x {
			return false
		}
	}
	return true
}

// widen moves the float32 chunks into float64 ones, once.
func (r *rawStore) widen() {
	r.isWide = true
	for _, c := range r.narrow {
		w := make([]float64, len(c), rawChunk)
		for i, x := range c {
			w[i] = float64(x)
		}
		r.wide = append(r.wide, w)
	}
	r.narrow = nil
}

func appendChunked[T float32 | float64](chunks [][]T, xs []float64, conv func(float64) T) [][]T {
	for len(xs) > 0 {
		if n := len(chunks); n == 0 || len(chunks[n-1]) == cap(chunks[n-1]) {
			chunks = append(chunks, make([]T, 0, rawChunk))
		}
		last := &chunks[len(chunks)-1]
		k := min(len(xs), cap(*last)-len(*last))
		for _, x := range xs[:k] {
			*last = append(*last, conv(x))
		}
		xs = xs[k:]
	}
	return chunks
}

// appendKeys appends the order key of every value to keys: the 32-bit one
// (orderKey32) when narrow, which the store must be.
func (r *rawStore) appendKeys(keys []uint64, narrow bool) []uint64 {
	for _, c := range r.narrow {
		if narrow {
			for _, x := range c {
				keys = append(keys, orderKey32(float64(x)))
			}
			continue
		}
		for _, x := range c {
			keys = append(keys, orderKey(float64(x)))
		}
	}
	for _, c := range r.wide {
		for _, x := range c {
			keys = append(keys, orderKey(x))
		}
	}
	return keys
}

// each calls fn with the values in float64 blocks; a block is reused
// between calls.
func (r *rawStore) each(fn func(block []float64)) {
	for _, c := range r.wide {
		fn(c)
	}
	var block []float64
	for _, c := range r.narrow {
		block = block[:0]
		for _, x := range c {
			block = append(block, float64(x))
		}
		fn(block)
	}
}
