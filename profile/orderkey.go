package profile

import "math"

// Order keys map floats to unsigned integers in the same order, for radix
// sorting, the KLL sketch's levels and the exact samples' encoding: +x
// maps to 2^63 + |x|'s bits and −x to 2^63 − |x|'s bits (−0 and +0 to the
// same key). Unlike the usual sign flip (^bits for negatives), this keeps
// the zero low bits of a float32 widened to float64 zero on both sides of
// zero, so a radix sort skips those digits for float32 data of either
// sign. Both directions are branch-free: signs of unsorted data are random.

const signBit = 1 << 63

// orderKey returns the order key of a float64 (not NaN).
func orderKey(f float64) uint64 {
	b := math.Float64bits(f)
	s := uint64(int64(b) >> 63) // all ones when negative
	m := b &^ signBit
	return signBit + (m ^ s) - s
}

// fromOrderKey inverts orderKey.
func fromOrderKey(k uint64) float64 {
	d := int64(k - signBit)
	s := uint64(d >> 63)
	m := (uint64(d) ^ s) - s // |d|
	return math.Float64frombits(m | s&signBit)
}

// orderKey32 is orderKey over the 32 bits of a float32-exact value.
func orderKey32(f float64) uint64 {
	b := math.Float32bits(float32(f))
	s := uint32(int32(b) >> 31)
	m := b &^ (1 << 31)
	return uint64(1<<31 + (m ^ s) - s)
}

// fromOrderKey32 inverts orderKey32.
func fromOrderKey32(k uint64) float64 {
	d := int32(uint32(k) - 1<<31)
	s := uint32(d >> 31)
	m := (uint32(d) ^ s) - s
	return float64(math.Float32frombits(m | s&(1<<31)))
}
