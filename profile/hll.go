package profile

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// HyperLogLog parameters.
const (
	// DefaultHLLPrecision is the precision NewHLL uses for p ≤ 0: 2^12 = 4096
	// one-byte registers and a relative standard error of about 1.6%, the
	// setting whylogs uses (hll_lg_k = 12).
	DefaultHLLPrecision = 12
	// MinHLLPrecision and MaxHLLPrecision bound the precision p; a sketch
	// has 2^p registers.
	MinHLLPrecision = 4
	MaxHLLPrecision = 18
)

// hllMagic and hllVersion open the HLL binary encoding: magic "PGHL",
// version byte 1, precision byte p, then 2^p register bytes.
const (
	hllMagic      = "PGHL"
	hllVersion    = 1
	hllHeaderSize = 4 + 1 + 1
)

// ErrPrecisionMismatch is returned by HLL.Merge when the two sketches have
// different precisions.
var ErrPrecisionMismatch = errors.New("hll precision mismatch")

// HLL is a HyperLogLog distinct counter (Flajolet, Fusy, Gandouet and
// Meunier, 2007) over 64-bit hashes that the caller computes, with the
// linear-counting correction for small cardinalities. Merging is exact: the
// merge of two sketches is identical to the sketch of the union of their
// inputs, in any order. The caller must hash every value with the same
// well-mixed 64-bit hash (for example xxh3) on every shard.
//
// The zero value is not usable; build an HLL with NewHLL. An HLL is not safe
// for concurrent use.
type HLL struct {
	p    uint8
	regs []uint8
}

// NewHLL returns an empty distinct counter with 2^p registers. A p ≤ 0
// selects DefaultHLLPrecision; other values are clamped to
// [MinHLLPrecision, MaxHLLPrecision].
func NewHLL(p int) *HLL {
	switch {
	case p <= 0:
		p = DefaultHLLPrecision
	case p < MinHLLPrecision:
		p = MinHLLPrecision
	case p > MaxHLLPrecision:
		p = MaxHLLPrecision
	}
	return &HLL{p: uint8(p), regs: make([]uint8, 1<<p)}
}

// Precision returns p; the sketch has 2^p registers.
func (h *HLL) Precision() int { return int(h.p) }

// AddHash records one value by its 64-bit hash. The top p bits pick a
// register; the rest give the rank.
func (h *HLL) AddHash(x uint64) {
	idx := x >> (64 - h.p)
	r := uint8(bits.LeadingZeros64(x<<h.p|1<<(h.p-1))) + 1
	if r > h.regs[idx&uint64(len(h.regs)-1)] {
		h.regs[idx&uint64(len(h.regs)-1)] = r
	}
}

// Merge folds other into h, register by register, so that h counts the
// union of both inputs. It returns ErrPrecisionMismatch, leaving h
// unchanged, when the precisions differ.
func (h *HLL) Merge(other *HLL) error {
	if other == nil {
		return nil
	}
	if other.p != h.p {
		return fmt.Errorf("merge p=%d into p=%d: %w", other.p, h.p, ErrPrecisionMismatch)
	}
	for i, r := range other.regs {
		h.regs[i] = max(h.regs[i], r)
	}
	return nil
}

// Estimate returns the estimated number of distinct hashes added. Below
// 2.5·2^p it uses linear counting over the empty registers (nearly exact for
// small sets); above, the HyperLogLog harmonic-mean estimate. With 64-bit
// hashes no large-range correction is needed. An empty sketch estimates 0.
// Near the switch (about 2.5·2^p distinct values, 10,000 at p = 12) the raw
// estimate is biased up by about 1.5% and the spread is about 1.7 times
// RelativeError (measured over 300 seeds at p = 12); elsewhere it is unbiased
// within 0.2% with the spread RelativeError predicts.
func (h *HLL) Estimate() float64 {
	m := float64(len(h.regs))
	var sum float64
	zeros := 0
	for _, r := range h.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	if e := hllAlpha(len(h.regs)) * m * m / sum; e > 2.5*m || zeros == 0 {
		return e
	}
	return m * math.Log(m/float64(zeros))
}

// RelativeError returns the relative standard error of Estimate,
// 1.04/sqrt(2^p): about 68% of estimates fall within this fraction of the
// true count, and about 99.7% within three times it.
func (h *HLL) RelativeError() float64 {
	return 1.04 / math.Sqrt(float64(len(h.regs)))
}

// hllAlpha is the bias constant α_m of Flajolet et al.
func hllAlpha(m int) float64 {
	switch m {
	case 16:
		return 0.673
	case 32:
		return 0.697
	case 64:
		return 0.709
	}
	return 0.7213 / (1 + 1.079/float64(m))
}

// MarshalBinary encodes the sketch as a 6-byte header and its 2^p dense
// registers, one byte each.
func (h *HLL) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, hllHeaderSize+len(h.regs))
	b = append(b, hllMagic...)
	b = append(b, hllVersion, h.p)
	return append(b, h.regs...), nil
}

// UnmarshalBinary replaces h with the sketch encoded in data by
// MarshalBinary. It treats data as untrusted: it checks the magic, version
// and precision limits, the exact length, and that no register exceeds the
// largest rank a 64-bit hash can give (65 − p). On failure it returns an error
// wrapping ErrMalformedSketch and leaves h unchanged; it never panics.
func (h *HLL) UnmarshalBinary(data []byte) error {
	if err := checkHLL(data); err != nil {
		return fmt.Errorf("decode hll sketch: %w: %w", ErrMalformedSketch, err)
	}
	p := data[5]
	h.p = p
	h.regs = append([]uint8(nil), data[hllHeaderSize:]...)
	return nil
}

func checkHLL(data []byte) error {
	if len(data) < hllHeaderSize {
		return fmt.Errorf("%d bytes, shorter than the %d-byte header", len(data), hllHeaderSize)
	}
	if string(data[:4]) != hllMagic {
		return errors.New("bad magic")
	}
	if data[4] != hllVersion {
		return fmt.Errorf("unsupported version %d", data[4])
	}
	p := int(data[5])
	if p < MinHLLPrecision || p > MaxHLLPrecision {
		return fmt.Errorf("precision %d outside [%d, %d]", p, MinHLLPrecision, MaxHLLPrecision)
	}
	regs := data[hllHeaderSize:]
	if len(regs) != 1<<p {
		return fmt.Errorf("%d registers, want %d", len(regs), 1<<p)
	}
	for i, r := range regs {
		if int(r) > 65-p {
			return fmt.Errorf("register %d holds rank %d, above %d", i, r, 65-p)
		}
	}
	return nil
}
