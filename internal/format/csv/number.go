package csv

import (
	"strconv"
	"unsafe"
)

// exactPow10 holds the powers of ten that float64 represents exactly. It
// is never written.
var exactPow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// ParseFloat parses b as strconv.ParseFloat(string(b), 64) does, with the
// same result bit for bit, but without allocating. It reports whether b is
// a number; a number beyond float64's range is one (it reads as ±Inf or
// ±0, as strconv rounds it). Spaces are not trimmed.
//
// Plain decimals with at most 15 or so significant digits and at most 22
// fractional digits take a fast path: the digits form an integer m ≤ 2^53
// and the value is m / 10^k, where both operands are exact and IEEE
// division rounds correctly, so the result is the correctly rounded value
// that strconv also returns. Everything else (exponents, hex floats, inf,
// nan, long mantissas) goes to strconv.
func ParseFloat(b []byte) (float64, bool) {
	if v, ok := parseDecimal(b); ok {
		return v, true
	}
	if len(b) == 0 {
		return 0, false
	}
	switch c := b[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == 'i', c == 'I', c == 'n', c == 'N':
	default:
		return 0, false // cannot be a number; spare strconv's error allocation
	}
	// The string shares b's bytes. strconv.ParseFloat keeps no reference
	// to its argument past the call (its errors hold a copy, and we drop
	// them anyway), and b is not modified during the call.
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// parseDecimal is ParseFloat's fast path: [+-]digits[.digits] with at
// most 19 digits in all, whose digits as an integer fit in 2^53 and whose
// fraction has at most 22 digits.
func parseDecimal(b []byte) (float64, bool) {
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var mant uint64
	start := i
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
	}
	digits := i - start
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		from := i
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				break
			}
			mant = mant*10 + uint64(d)
		}
		frac = i - from
		digits += frac
	}
	// More than 19 digits may have overflowed mant; strconv takes those.
	if i != len(b) || digits == 0 || digits > 19 || mant > 1<<53 || frac >= len(exactPow10) {
		return 0, false
	}
	f := float64(mant)
	if frac > 0 {
		f /= exactPow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}
