package profile

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// KLL sketch parameters.
const (
	// DefaultKLLK is the accuracy parameter NewKLL uses for k ≤ 0. At k = 200
	// the single-sided normalized rank error is about 1.33% (see
	// NormalizedRankError), and a sketch retains about 3k values (plus a
	// level-0 buffer of up to kllLevel0Cap while values stream in).
	DefaultKLLK = 200
	// MinKLLK and MaxKLLK bound the accuracy parameter k, as in Apache
	// DataSketches.
	MinKLLK = 8
	MaxKLLK = 65535
	// MaxKLLLevels bounds the number of compaction levels. Level h holds
	// values of weight 2^h, so 60 levels cover any int64 count.
	MaxKLLLevels = 60
)

// kllMinLevelCap is the smallest nominal level capacity (DataSketches' m).
const kllMinLevelCap = 8

// kllSeed seeds the compaction coin of every new sketch, so that the same
// input order always gives the same sketch.
const kllSeed = 0x8a5cd789635d2dff

// ErrMalformedSketch is returned, wrapped, by the UnmarshalBinary methods
// when the bytes are not a valid encoding of the sketch.
var ErrMalformedSketch = errors.New("malformed sketch")

// KLL is a mergeable quantile sketch of float64 values: the KLL sketch of
// Karnin, Lang and Liberty ("Optimal Quantile Approximation in Streams",
// FOCS 2016) with the level-capacity schedule and lazy compaction of Apache
// DataSketches' KllDoublesSketch, except that level 0 holds at least
// kllLevel0Cap values once the sketch has two levels, and is radix-sorted.
//
// Ranks are inclusive: the rank of x is the share of the stream that is ≤ x
// (CDF), and Quantile(q) is the smallest retained value whose inclusive rank
// is ≥ q — DataSketches' QuantileSearchCriteria.INCLUSIVE. With probability
// about 99%, every rank the sketch answers is within NormalizedRankError of the
// true rank, and every quantile it returns has a true rank within that error
// of q. While N ≤ k the sketch holds every value and its answers are exact.
//
// Compaction coins come from a small PRNG whose state is part of the sketch
// and whose seed is fixed, so the same values in the same order give the same
// sketch (and the same MarshalBinary bytes) whether they arrive through Update
// or UpdateMany, and the same merges in the same order give the same result.
//
// The zero value is not usable; build a KLL with NewKLL. A KLL is not safe for
// concurrent use.
type KLL struct {
	k, minK  int
	n        int64
	min, max float64 // +Inf and -Inf while empty
	// levels[h] holds the retained values of weight 2^h, as order keys (see
	// orderKey) so that sorting and merging compare integers. Level
	// 0 is unsorted; every higher level is sorted ascending.
	levels   [][]uint64
	caps     []int // nominal capacity of each level for len(levels)
	totalCap int
	size     int // retained values, the sum of len(levels[h])
	rng      uint64
	scratch  []uint64 // spare buffer swapped with a level during compaction
	sortBuf  []uint64 // sort buffer for level 0
}

// NewKLL returns an empty quantile sketch with accuracy parameter k. A k ≤ 0
// selects DefaultKLLK; other values are clamped to [MinKLLK, MaxKLLK]. The
// rank error falls roughly as 1/k while the memory grows as about 3k values.
func NewKLL(k int) *KLL {
	switch {
	case k <= 0:
		k = DefaultKLLK
	case k < MinKLLK:
		k = MinKLLK
	case k > MaxKLLK:
		k = MaxKLLK
	}
	s := &KLL{k: k, minK: k, min: math.Inf(1), max: math.Inf(-1), rng: kllSeed}
	s.levels = [][]uint64{make([]uint64, 0, k)}
	s.setCaps()
	return s
}

// K returns the accuracy parameter the sketch was built with.
func (s *KLL) K() int { return s.k }

// N returns the number of values the sketch has summarized.
func (s *KLL) N() int64 { return s.n }

// Min returns the smallest value seen, exactly, or NaN when the sketch is empty.
func (s *KLL) Min() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.min
}

// Max returns the largest value seen, exactly, or NaN when the sketch is empty.
func (s *KLL) Max() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.max
}

// NormalizedRankError returns the single-sided normalized rank error of the
// sketch at about 99% confidence: the bound on |estimated rank − true rank|
// for CDF, Quantile and Quantiles. After merges it is the error for the
// smallest k among the merged sketches.
//
// The figure is DataSketches' empirical fit to the 99th percentile of the
// maximum rank error over thousands of trials, 2.296 / k^0.9723
// (apache/datasketches-java, kll/KllHelper.java, getNormalizedRankError with
// pmf=false; the double-sided PMF bound there is 2.446 / k^0.9433).
func (s *KLL) NormalizedRankError() float64 {
	return 2.296 / math.Pow(float64(s.minK), 0.9723)
}

// Update adds one value. NaN is ignored: callers count missing values
// themselves. Infinities are ordinary values.
func (s *KLL) Update(v float64) {
	if v != v {
		return
	}
	if s.size >= s.totalCap {
		s.compress()
	}
	s.levels[0] = append(s.levels[0], orderKey(v))
	s.size++
	s.n++
	s.min = min(s.min, v)
	s.max = max(s.max, v)
}

// UpdateMany adds the values of vs in order, skipping NaN. It gives exactly
// the sketch that calling Update on each value would give, copying runs of
// values into level 0 between compactions. Compaction dominates the cost of
// both, so UpdateMany saves only the per-call overhead: about 14 ns a value
// on one core of the reference machine, for k = 200 or 1024 alike, with
// the radix-sorted level 0. vs is not retained.
func (s *KLL) UpdateMany(vs []float64) {
	for len(vs) > 0 {
		if s.size >= s.totalCap && !s.compress() {
			s.Update(vs[0])
			vs = vs[1:]
			continue
		}
		run := vs[:min(s.totalCap-s.size, len(vs))]
		vs = vs[len(run):]
		lv := s.levels[0]
		mn, mx := s.min, s.max
		added := 0
		for _, v := range run {
			if v != v {
				continue
			}
			lv = append(lv, orderKey(v))
			added++
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		s.levels[0] = lv
		s.min, s.max = mn, mx
		s.size += added
		s.n += int64(added)
	}
}

// Merge folds other into s, so that s summarizes both streams. other is not
// changed and may be s itself. Sketches of different k merge; the result keeps
// the k of s and the rank error of the smaller k. Merging is deterministic:
// the same sketches merged in the same order give the same result.
func (s *KLL) Merge(other *KLL) {
	if other == nil || other.n == 0 {
		return
	}
	if other == s {
		other = s.clone()
	}
	for len(s.levels) < len(other.levels) {
		s.addLevel()
	}
	s.levels[0] = append(s.levels[0], other.levels[0]...)
	for h := 1; h < len(other.levels); h++ {
		s.levels[h] = mergeKeys(nil, s.levels[h], other.levels[h])
	}
	s.size += other.size
	s.n += other.n
	s.min = min(s.min, other.min)
	s.max = max(s.max, other.max)
	s.minK = min(s.minK, other.minK)
	for s.size > s.totalCap && s.compress() {
	}
}

// mergeSample folds an exact sample into the sketch without expanding its
// counts, which may stand for billions of rows: a value counted c times
// enters as one item in level h for each bit h of c, where an item weighs
// 2^h, as DataSketches' weighted update places it, and the result merges
// in like another sketch. Counts of 2^(MaxKLLLevels-1) or more, which no
// real column reaches, put their excess in the top level as several items.
func (s *KLL) mergeSample(v *Values) {
	if len(v.Values) == 0 {
		return
	}
	o := &KLL{k: s.k, minK: s.minK, min: v.Values[0], max: v.Values[len(v.Values)-1]}
	top := MaxKLLLevels - 1
	place := func(h int, key uint64) {
		for len(o.levels) <= h {
			o.levels = append(o.levels, nil)
		}
		o.levels[h] = append(o.levels[h], key) // ascending, as the sample is
		o.size++
		o.n += int64(1) << h
	}
	for i, x := range v.Values {
		key, c := orderKey(x), uint64(v.Count(i))
		for h := 0; h < top && c != 0; h, c = h+1, c>>1 {
			if c&1 == 1 {
				place(h, key)
			}
		}
		for range c >> top {
			place(top, key)
		}
	}
	o.setCaps()
	s.Merge(o)
}

// Sorted returns the retained values in ascending order with their weights:
// values[i] stands for weights[i] values of the stream, and the weights sum
// to N. Equal values may appear more than once. Callers use it to compute
// distances such as Kolmogorov–Smirnov or Wasserstein between sketches.
func (s *KLL) Sorted() (values []float64, weights []int64) {
	type item struct {
		key uint64
		w   int64
	}
	items := make([]item, 0, s.size)
	for h, lv := range s.levels {
		for _, key := range lv {
			items = append(items, item{key, int64(1) << h})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
	values = make([]float64, len(items))
	weights = make([]int64, len(items))
	for i, it := range items {
		values[i], weights[i] = fromOrderKey(it.key), it.w
	}
	return values, weights
}

// Quantile returns the estimated q-quantile: the smallest retained value
// whose inclusive rank is at least q. Quantile(0) is Min and Quantile(1) is
// Max, both exact. It returns NaN when the sketch is empty or q is outside
// [0, 1]. To ask for several quantiles, Quantiles is cheaper.
func (s *KLL) Quantile(q float64) float64 {
	return s.Quantiles([]float64{q})[0]
}

// Quantiles returns Quantile(q) for each q in qs, building the sorted view of
// the sketch once.
func (s *KLL) Quantiles(qs []float64) []float64 {
	out := make([]float64, len(qs))
	if s.n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	values, weights := s.Sorted()
	cum := make([]int64, len(weights))
	var c int64
	for i, w := range weights {
		c += w
		cum[i] = c
	}
	for i, q := range qs {
		switch {
		case !(q >= 0 && q <= 1) || len(values) == 0:
			out[i] = math.NaN()
		case q == 0:
			out[i] = s.min
		case q == 1:
			out[i] = s.max
		default:
			target := max(int64(math.Ceil(q*float64(s.n))), 1)
			j := sort.Search(len(cum), func(j int) bool { return cum[j] >= target })
			out[i] = values[min(j, len(values)-1)]
		}
	}
	return out
}

// CDF returns the estimated share of the stream that is ≤ x, in [0, 1]. It
// is exact at or beyond Min and Max (0 below Min, 1 at or above Max) and NaN
// when the sketch is empty or x is NaN.
func (s *KLL) CDF(x float64) float64 {
	if s.n == 0 || x != x {
		return math.NaN()
	}
	if x == 0 {
		x = 0 // +0, so that −0 and +0 both count as ≤ x
	}
	kx := orderKey(x)
	var w int64
	for h, lv := range s.levels {
		var c int
		if h == 0 {
			for _, key := range lv {
				if key <= kx {
					c++
				}
			}
		} else {
			c = sort.Search(len(lv), func(i int) bool { return lv[i] > kx })
		}
		w += int64(c) << h
	}
	return float64(w) / float64(s.n)
}

// compress compacts the lowest level that has reached its nominal capacity,
// first adding a level when that is the top one. It reports false when no
// level can be compacted because the sketch already has MaxKLLLevels levels.
func (s *KLL) compress() bool {
	h := 0
	for h < len(s.levels) && len(s.levels[h]) < s.caps[h] {
		h++
	}
	if h == len(s.levels) {
		return false
	}
	if h == len(s.levels)-1 {
		if len(s.levels) == MaxKLLLevels {
			return false
		}
		s.addLevel()
	}
	s.compact(h)
	return true
}

// compact halves level h into level h+1: it sorts level 0, keeps the
// smallest value in place when the level has an odd count, and promotes every
// other value of the rest, starting at an offset chosen by the coin.
func (s *KLL) compact(h int) {
	lv := s.levels[h]
	switch {
	case h == 0 && len(lv) >= kllRadixMin:
		if cap(s.sortBuf) < len(lv) {
			s.sortBuf = make([]uint64, len(lv))
		}
		if sorted := radixSortKeys(lv, s.sortBuf[:len(lv)]); &sorted[0] != &lv[0] {
			copy(lv, sorted)
		}
	case h == 0:
		s.sortBuf = sortKeys(lv, s.sortBuf)
	}
	keep := len(lv) & 1
	src := lv[keep:]
	half := len(src) / 2
	off := int(s.nextBit())
	up := s.levels[h+1]
	out := slices.Grow(s.scratch[:0], len(up)+half)[:len(up)+half]
	i, j, o := 0, off, 0
	for i < len(up) && j < len(src) && o < len(out) {
		// Branch-free select: the merge of random data mispredicts half the
		// branches, which dominated the update cost.
		a, b := up[i], src[j]
		v, di, dj := a, 1, 0
		if b < a {
			v, di, dj = b, 0, 2
		}
		out[o] = v
		i += di
		j += dj
		o++
	}
	o += copy(out[o:], up[i:])
	for ; j < len(src); j += 2 {
		out[o] = src[j]
		o++
	}
	s.scratch = up[:0]
	s.levels[h+1] = out
	s.levels[h] = lv[:keep]
	s.size -= half
}

// nextBit returns the next compaction coin from a splitmix64 generator.
func (s *KLL) nextBit() uint64 {
	s.rng += 0x9e3779b97f4a7c15
	z := s.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return (z ^ (z >> 31)) & 1
}

func (s *KLL) addLevel() {
	s.levels = append(s.levels, nil)
	s.setCaps()
}

// setCaps recomputes the nominal level capacities for the current number of
// levels: the top level holds k values and each level below two thirds of the
// one above, but never fewer than 8; level 0 holds at least kllLevel0Cap
// (see kllLevelCap).
func (s *KLL) setCaps() {
	s.caps = s.caps[:0]
	s.totalCap = 0
	for h := range s.levels {
		c := kllLevelCap(s.k, len(s.levels), h)
		s.caps = append(s.caps, c)
		s.totalCap += c
	}
}

// kllTotalCap returns the total nominal capacity of a sketch with numLevels levels.
func kllTotalCap(k, numLevels int) int {
	t := 0
	for h := range numLevels {
		t += kllLevelCap(k, numLevels, h)
	}
	return t
}

// kllLevelCap returns round(k·(2/3)^depth), at least kllMinLevelCap, where
// depth counts levels from the top, in integer arithmetic so that every
// platform agrees.
func kllLevelCap(k, numLevels, h int) int {
	if h == 0 && numLevels > 1 {
		return max(kllBaseCap(k, numLevels, h), kllLevel0Cap)
	}
	return kllBaseCap(k, numLevels, h)
}

// kllLevel0Cap is the least capacity of level 0 once the sketch has more
// than one level. DataSketches lets level 0 shrink to 8 items, which makes
// every compaction merge a handful of items into the far larger level 1;
// with a level 0 of 4096 items sorted by radix sort (about 11 ns an item
// against 34 for a comparison sort at that size, 13 at 64) an update costs
// about half as much. A level holding more than its nominal capacity keeps
// every KLL error bound: it only compacts less often.
const kllLevel0Cap = 4096

// kllRadixMin is the level-0 size from which compaction sorts by radix.
const kllRadixMin = 512

func kllBaseCap(k, numLevels, h int) int {
	depth := numLevels - 1 - h
	if depth >= 30 { // 65535·(2/3)^30 < 1
		return kllMinLevelCap
	}
	pow3 := uint64(1)
	for range depth {
		pow3 *= 3
	}
	c := int(((uint64(2*k)<<depth)/pow3 + 1) >> 1)
	return max(c, kllMinLevelCap)
}

func (s *KLL) clone() *KLL {
	c := *s
	c.levels = make([][]uint64, len(s.levels))
	for h, lv := range s.levels {
		c.levels[h] = slices.Clone(lv)
	}
	c.caps = slices.Clone(s.caps)
	c.scratch, c.sortBuf = nil, nil
	return &c
}

// sortKeys sorts a ascending with a branch-free bottom-up merge sort, using
// buf (grown as needed and returned) as scratch. Level 0 holds unordered
// data, on which the branches of a comparison sort mispredict half the time;
// on the level-0 sizes of a k = 200 sketch this sort took about 30% less time
// than slices.Sort.
func sortKeys(a, buf []uint64) []uint64 {
	n := len(a)
	if n < 2 {
		return buf
	}
	// Runs of 4 by a sorting network, then an insertion sort of the tail.
	r := n &^ 3
	for i := 0; i < r; i += 4 {
		q := a[i : i+4 : i+4]
		a0, a1 := min(q[0], q[1]), max(q[0], q[1])
		a2, a3 := min(q[2], q[3]), max(q[2], q[3])
		b0, b2 := min(a0, a2), max(a0, a2)
		b1, b3 := min(a1, a3), max(a1, a3)
		q[0], q[1], q[2], q[3] = b0, min(b1, b2), max(b1, b2), b3
	}
	for i := r + 1; i < n; i++ {
		for j := i; j > r && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	if n <= 4 {
		return buf
	}
	if cap(buf) < n {
		buf = make([]uint64, n)
	}
	src, dst := a, buf[:n]
	for width := 4; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			mergeRun(dst[lo:hi], src[lo:mid], src[mid:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
	return buf
}

// mergeRun merges the ascending runs x and y into dst, which has room for
// both, without data-dependent branches.
func mergeRun(dst, x, y []uint64) {
	i, j, k := 0, 0, 0
	for i < len(x) && j < len(y) && k < len(dst) {
		a, b := x[i], y[j]
		v, di := a, 1
		if b < a {
			v, di = b, 0
		}
		dst[k] = v
		i += di
		j += 1 - di
		k++
	}
	k += copy(dst[k:], x[i:])
	copy(dst[k:], y[j:])
}

// mergeKeys appends the merge of the ascending slices a and b to dst.
func mergeKeys(dst, a, b []uint64) []uint64 {
	dst = slices.Grow(dst, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			dst = append(dst, b[j])
			j++
		} else {
			dst = append(dst, a[i])
			i++
		}
	}
	dst = append(dst, a[i:]...)
	return append(dst, b[j:]...)
}

// KLL binary encoding, little endian:
//
//	magic "PGKL", version byte 1,
//	k uint16, minK uint16, numLevels uint8,
//	n uint64, coin state uint64, min float64, max float64,
//	numLevels × level length uint32,
//	the values of level 0, then level 1, … as float64.
const (
	kllMagic      = "PGKL"
	kllVersion    = 1
	kllHeaderSize = 4 + 1 + 2 + 2 + 1 + 8 + 8 + 8 + 8
)

// MarshalBinary encodes the sketch compactly: a 42-byte header, 4 bytes a
// level and 8 bytes a retained value. The encoding is deterministic.
func (s *KLL) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, kllHeaderSize+4*len(s.levels)+8*s.size)
	b = append(b, kllMagic...)
	b = append(b, kllVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(s.k))
	b = binary.LittleEndian.AppendUint16(b, uint16(s.minK))
	b = append(b, uint8(len(s.levels)))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.n))
	b = binary.LittleEndian.AppendUint64(b, s.rng)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.min))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.max))
	for _, lv := range s.levels {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(lv)))
	}
	for _, lv := range s.levels {
		for _, key := range lv {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(fromOrderKey(key)))
		}
	}
	return b, nil
}

// UnmarshalBinary replaces s with the sketch encoded in data by
// MarshalBinary. It treats data as untrusted: it checks the limits on k and
// the number of levels, that the retained values fit the capacity for k, that
// their weights sum to N, that no value is NaN or outside [Min, Max], and that
// every level above 0 is sorted. On failure it returns an error wrapping
// ErrMalformedSketch and leaves s unchanged. It never panics and never
// allocates more than a small multiple of len(data).
func (s *KLL) UnmarshalBinary(data []byte) error {
	d, err := decodeKLL(data)
	if err != nil {
		return fmt.Errorf("decode kll sketch: %w: %w", ErrMalformedSketch, err)
	}
	*s = *d
	return nil
}

func decodeKLL(data []byte) (*KLL, error) {
	if len(data) < kllHeaderSize {
		return nil, fmt.Errorf("%d bytes, shorter than the %d-byte header", len(data), kllHeaderSize)
	}
	if string(data[:4]) != kllMagic {
		return nil, errors.New("bad magic")
	}
	if data[4] != kllVersion {
		return nil, fmt.Errorf("unsupported version %d", data[4])
	}
	le := binary.LittleEndian
	k := int(le.Uint16(data[5:]))
	minK := int(le.Uint16(data[7:]))
	numLevels := int(data[9])
	n := le.Uint64(data[10:])
	rng := le.Uint64(data[18:])
	mn := math.Float64frombits(le.Uint64(data[26:]))
	mx := math.Float64frombits(le.Uint64(data[34:]))
	if k < MinKLLK || minK < MinKLLK || minK > k {
		return nil, fmt.Errorf("k %d, min k %d outside [%d, %d]", k, minK, MinKLLK, MaxKLLK)
	}
	if numLevels < 1 || numLevels > MaxKLLLevels {
		return nil, fmt.Errorf("%d levels outside [1, %d]", numLevels, MaxKLLLevels)
	}
	if n > math.MaxInt64 {
		return nil, fmt.Errorf("n %d overflows int64", n)
	}
	rest := data[kllHeaderSize:]
	if len(rest) < 4*numLevels {
		return nil, errors.New("truncated level lengths")
	}
	lens := make([]int, numLevels)
	total, capacity := 0, kllTotalCap(k, numLevels)
	var weight uint64
	for h := range lens {
		l := le.Uint32(rest[4*h:])
		if uint64(l) > uint64(capacity-total) {
			return nil, fmt.Errorf("more values than the capacity %d for k %d and %d levels", capacity, k, numLevels)
		}
		lens[h] = int(l)
		total += int(l)
		if uint64(l) > (math.MaxInt64-weight)>>h {
			return nil, errors.New("total weight overflows int64")
		}
		weight += uint64(l) << h
	}
	if weight != n {
		return nil, fmt.Errorf("level weights sum to %d, n is %d", weight, n)
	}
	rest = rest[4*numLevels:]
	if len(rest) != 8*total {
		return nil, fmt.Errorf("%d bytes of values, want %d", len(rest), 8*total)
	}
	if n == 0 {
		if !math.IsInf(mn, 1) || !math.IsInf(mx, -1) {
			return nil, errors.New("empty sketch with a min or max")
		}
	} else if !(mn <= mx) {
		return nil, fmt.Errorf("min %v and max %v out of order", mn, mx)
	}
	s := &KLL{k: k, minK: minK, n: int64(n), min: mn, max: mx, rng: rng, size: total}
	s.levels = make([][]uint64, numLevels)
	for h, l := range lens {
		lv := make([]uint64, l)
		for i := range lv {
			v := math.Float64frombits(le.Uint64(rest[8*i:]))
			if !(v >= mn && v <= mx) {
				return nil, fmt.Errorf("level %d value %d is %v, outside [min, max]", h, i, v)
			}
			lv[i] = orderKey(v)
			if h > 0 && i > 0 && lv[i] < lv[i-1] {
				return nil, fmt.Errorf("level %d is not sorted at value %d", h, i)
			}
		}
		s.levels[h] = lv
		rest = rest[8*l:]
	}
	s.setCaps()
	return s, nil
}
