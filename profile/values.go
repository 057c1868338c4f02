package profile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Values is an exact sample of a numeric column: its finite values in
// ascending order. Profiles keep it while a column has at most
// Options.ExactLimit values, so that tests against the baseline (KS,
// Wasserstein, PSI binning) are exact rather than sketched.
//
// It takes one of two forms, whichever is smaller, and always the same one
// for the same values (see canonical):
//
//   - Counts nil: every value as often as it occurred, repeats side by
//     side — the form of a continuous column, whose values mostly occur
//     once, or a few times (float32 data);
//   - Counts set: each distinct value once, strictly ascending, with how
//     often it occurred — the form of codes, integers and pixels.
//
// Read the count of Values[i] through Count; code that walks the distinct
// values takes a run of equal values together.
type Values struct {
	Values []float64
	Counts []int64
}

// Count returns how often Values[i] stands for: its count, or 1.
func (v *Values) Count(i int) int64 {
	if v.Counts == nil {
		return 1
	}
	return v.Counts[i]
}

// Distinct returns the number of distinct values.
func (v *Values) Distinct() int {
	if v.Counts != nil {
		return len(v.Values)
	}
	d := 0
	for i, x := range v.Values {
		if i == 0 || x != v.Values[i-1] {
			d++
		}
	}
	return d
}

// canonical returns the sample in its form for its values: repeats
// without counts when it has fewer than two values per distinct value
// (where that form is the smaller), distinct values with counts otherwise.
// It may return v itself.
func (v *Values) canonical() *Values {
	n, d := v.N(), int64(v.Distinct())
	switch expand := n < 2*d; {
	case expand && v.Counts != nil:
		return &Values{Values: v.expand()}
	case !expand && v.Counts == nil:
		out := &Values{Values: make([]float64, 0, d), Counts: make([]int64, 0, d)}
		for i := 0; i < len(v.Values); {
			j := i + 1
			for j < len(v.Values) && v.Values[j] == v.Values[i] {
				j++
			}
			out.Values, out.Counts = append(out.Values, v.Values[i]), append(out.Counts, int64(j-i))
			i = j
		}
		return out
	}
	return v
}

// N returns the number of values the sample holds.
func (v *Values) N() int64 {
	if v.Counts == nil {
		return int64(len(v.Values))
	}
	var n int64
	for _, c := range v.Counts {
		n += c
	}
	return n
}

// Compact turns raw values (any order, no NaN) into a sample of their
// distinct values and counts, by radix-sorting their order keys (−0 counts
// as 0).
func Compact(raw []float64) *Values {
	keys := make([]uint64, len(raw))
	for i, x := range raw {
		keys[i] = orderKey(x)
	}
	return valuesFromSortedKeys(radixSortKeys(keys, make([]uint64, len(raw))), false)
}

// mergeValues merges two samples into a new one.
func mergeValues(a, b *Values) *Values {
	out := &Values{
		Values: make([]float64, 0, len(a.Values)+len(b.Values)),
		Counts: make([]int64, 0, len(a.Values)+len(b.Values)),
	}
	// push appends x with count c, adding to the last value when equal
	// (a sample without counts repeats its values).
	push := func(x float64, c int64) {
		if k := len(out.Values); k > 0 && out.Values[k-1] == x {
			out.Counts[k-1] += c
			return
		}
		out.Values, out.Counts = append(out.Values, x), append(out.Counts, c)
	}
	i, j := 0, 0
	for i < len(a.Values) || j < len(b.Values) {
		switch {
		case j == len(b.Values) || (i < len(a.Values) && a.Values[i] < b.Values[j]):
			push(a.Values[i], a.Count(i))
			i++
		case i == len(a.Values) || b.Values[j] < a.Values[i]:
			push(b.Values[j], b.Count(j))
			j++
		default:
			push(a.Values[i], a.Count(i)+b.Count(j))
			i++
			j++
		}
	}
	return out.canonical()
}

// expand returns every value of the sample in order, repeated by count.
func (v *Values) expand() []float64 {
	out := make([]float64, 0, v.N())
	for i, x := range v.Values {
		for range v.Count(i) {
			out = append(out, x)
		}
	}
	return out
}

// Quantile returns the q-quantile with linear interpolation between order
// statistics (numpy's default "linear" method).
func (v *Values) Quantile(q float64) float64 {
	return v.Quantiles([]float64{q})[0]
}

// Quantiles returns Quantile(q) for each q in qs, which must be ascending,
// in one pass over the sample.
func (v *Values) Quantiles(qs []float64) []float64 {
	out := make([]float64, len(qs))
	n := v.N()
	i, below := 0, int64(0) // below: values before v.Values[i]
	// at returns the k-th smallest value (0-based), for k not decreasing
	// from call to call.
	at := func(k int64) float64 {
		for i < len(v.Values)-1 && k >= below+v.Count(i) {
			below += v.Count(i)
			i++
		}
		return v.Values[i]
	}
	for j, q := range qs {
		if n == 0 {
			out[j] = math.NaN()
			continue
		}
		pos := q * float64(n-1)
		lo := int64(math.Floor(pos))
		frac := pos - float64(lo)
		a := at(lo)
		if frac == 0 || lo+1 >= n {
			out[j] = a
			continue
		}
		out[j] = a + frac*(at(lo+1)-a)
	}
	return out
}

// Limits on an encoded sample, checked when a profile is read.
const (
	// MaxEncodedValuesBytes caps one column's encoded exact sample.
	MaxEncodedValuesBytes = 64 << 20
	// MaxDistinctValues caps the distinct values of one decoded sample.
	MaxDistinctValues = 10_000_000
)

// The encoding: uvarint distinct count, a byte giving the key width (8, or
// 4 when every value is a float32), then per value the uvarint delta of its
// order-preserving key from the previous key and the uvarint count;
// base64-encoded in JSON. (DEFLATE was tried: it gains nothing on
// continuous values, whose deltas are random, and few-valued columns are
// already a few bytes a value.)
// MarshalJSON encodes the sample compactly as a base64 string.
func (v *Values) MarshalJSON() ([]byte, error) {
	return quotedBase64(v.appendEncoded(nil)), nil
}

// appendEncoded appends the sample's binary encoding to raw. A sample
// whose every value is a float32 (pixels, and every float32 source) is
// encoded with 32-bit keys, whose deltas take about half the bytes.
func (v *Values) appendEncoded(raw []byte) []byte {
	raw = slices.Grow(raw, 3+len(v.Values)*10)
	raw = binary.AppendUvarint(raw, uint64(v.Distinct()))
	key, width := orderKey, byte(8)
	if v.float32Exact() {
		key, width = orderKey32, 4
	}
	raw = append(raw, width)
	var prev uint64
	for i := 0; i < len(v.Values); {
		x, c := v.Values[i], v.Count(i)
		for i++; i < len(v.Values) && v.Values[i] == x; i++ {
			c += v.Count(i)
		}
		k := key(x)
		raw = binary.AppendUvarint(raw, k-prev)
		raw = binary.AppendUvarint(raw, uint64(c))
		prev = k
	}
	return raw
}

func (v *Values) float32Exact() bool {
	for _, x := range v.Values {
		if float64(float32(x)) != x {
			return false
		}
	}
	return true
}

// quotedBase64 returns raw as a JSON string of its standard base64.
func quotedBase64(raw []byte) []byte { return appendQuotedBase64(nil, raw) }

// appendQuotedBase64 appends raw to dst as a JSON string of its base64.
func appendQuotedBase64(dst, raw []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}

// UnmarshalJSON decodes and validates an encoded sample.
func (v *Values) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if base64.StdEncoding.DecodedLen(len(s)) > MaxEncodedValuesBytes {
		return fmt.Errorf("exact values: more than %d bytes", MaxEncodedValuesBytes)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("exact values: %w", err)
	}
	r := bytes.NewReader(raw)
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("exact values: %w", err)
	}
	if n > MaxDistinctValues || n > uint64(len(raw)) {
		return fmt.Errorf("exact values: %d distinct values exceed the limit", n)
	}
	width, err := r.ReadByte()
	if err != nil {
		return fmt.Errorf("exact values: %w", err)
	}
	from, limit := fromOrderKey, uint64(math.MaxUint64)
	switch width {
	case 8:
	case 4:
		from, limit = fromOrderKey32, math.MaxUint32
	default:
		return fmt.Errorf("exact values: key width %d", width)
	}
	out := Values{Values: make([]float64, 0, n), Counts: make([]int64, 0, n)}
	var key uint64
	var total int64
	for i := uint64(0); i < n; i++ {
		d, err1 := binary.ReadUvarint(r)
		c, err2 := binary.ReadUvarint(r)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("exact values: entry %d: %w", i, err)
		}
		if (i > 0 && d == 0) || key+d < key || key+d > limit || c == 0 || c > math.MaxInt64/2 {
			return fmt.Errorf("exact values: entry %d is out of order or empty", i)
		}
		if total += int64(c); total > math.MaxInt64/2 {
			return fmt.Errorf("exact values: counts overflow at entry %d", i)
		}
		key += d
		f := from(key)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("exact values: entry %d is not finite", i)
		}
		out.Values = append(out.Values, f)
		out.Counts = append(out.Counts, int64(c))
	}
	if r.Len() != 0 {
		return errors.New("exact values: trailing bytes")
	}
	*v = *out.canonical()
	return nil
}
