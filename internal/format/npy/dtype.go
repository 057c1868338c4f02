package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Kind is the NumPy kind character of a supported dtype.
type Kind byte

// The kinds this package reads.
const (
	Bool  Kind = 'b'
	Int   Kind = 'i'
	Uint  Kind = 'u'
	Float Kind = 'f'
)

// DType is a plain numeric dtype.
type DType struct {
	Kind Kind
	// Size is the number of bytes of one value: 1, 2, 4 or 8.
	Size int
	// BigEndian is the byte order of values wider than one byte.
	BigEndian bool
}

// String returns the dtype in NumPy's descr form, such as "<f4" or "|u1".
func (d DType) String() string {
	order := byte('<')
	switch {
	case d.Size == 1:
		order = '|'
	case d.BigEndian:
		order = '>'
	}
	return string(order) + string(d.Kind) + strconv.Itoa(d.Size)
}

// Integral reports whether every value of the dtype is an integer.
func (d DType) Integral() bool { return d.Kind != Float }

// ParseDType parses a NumPy descr string such as "<f4", ">i8" or "|b1".
// The byte-order characters '|' and '=' and a missing one mean little
// endian. Dtypes that NumPy knows but this package does not read give an
// error wrapping ErrUnsupportedDType.
func ParseDType(s string) (DType, error) {
	var d DType
	rest := s
	if rest != "" {
		switch rest[0] {
		case '>':
			d.BigEndian = true
			rest = rest[1:]
		case '<', '|', '=':
			rest = rest[1:]
		}
	}
	if rest == "" {
		return d, fmt.Errorf("invalid dtype %q", s)
	}
	d.Kind = Kind(rest[0])
	switch d.Kind {
	case Bool, Int, Uint, Float:
	case 'O':
		return d, fmt.Errorf("object dtype %q (pickled Python objects): %w", s, ErrUnsupportedDType)
	case 'S', 'a', 'U':
		return d, fmt.Errorf("string dtype %q: %w", s, ErrUnsupportedDType)
	case 'V':
		return d, fmt.Errorf("void or structured dtype %q: %w", s, ErrUnsupportedDType)
	case 'c':
		return d, fmt.Errorf("complex dtype %q: %w", s, ErrUnsupportedDType)
	case 'M', 'm':
		return d, fmt.Errorf("date or time dtype %q: %w", s, ErrUnsupportedDType)
	default:
		return d, fmt.Errorf("invalid dtype %q", s)
	}
	size, err := strconv.Atoi(rest[1:])
	if err != nil || rest[1] < '0' || rest[1] > '9' {
		return d, fmt.Errorf("invalid dtype %q", s)
	}
	d.Size = size
	ok := false
	switch d.Kind {
	case Bool:
		ok = size == 1
	case Int, Uint:
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case Float:
		ok = size == 2 || size == 4 || size == 8
	}
	if !ok {
		return d, fmt.Errorf("dtype %q of %d bytes: %w", s, size, ErrUnsupportedDType)
	}
	return d, nil
}

// Decode converts the first len(dst) values packed in src to float64.
// src must hold at least len(dst)*d.Size bytes. NaNs decode to the
// canonical math.NaN(), so no payload survives into dst.
func (d DType) Decode(dst []float64, src []byte) {
	d.DecodeStrided(dst, src, d.Size)
}

// DecodeStrided converts len(dst) values to float64, the i-th of which
// starts at src[i*stride]. It reads a column of a row-major block when
// stride is the width of a row in bytes. src must hold at least
// (len(dst)-1)*stride + d.Size bytes; a shorter src is a programming
// error and panics.
func (d DType) DecodeStrided(dst []float64, src []byte, stride int) {
	if len(dst) == 0 {
		return
	}
	src = src[:(len(dst)-1)*stride+d.Size]
	le := !d.BigEndian
	switch {
	case d.Kind == Float && d.Size == 4 && le:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[i*stride:])))
		}
	case d.Kind == Float && d.Size == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(src[i*stride:])))
		}
	case d.Kind == Float && d.Size == 8 && le:
		for i := range dst {
			dst[i] = canonical(math.Float64frombits(binary.LittleEndian.Uint64(src[i*stride:])))
		}
	case d.Kind == Float && d.Size == 8:
		for i := range dst {
			dst[i] = canonical(math.Float64frombits(binary.BigEndian.Uint64(src[i*stride:])))
		}
	case d.Kind == Float && le:
		for i := range dst {
			dst[i] = float16(binary.LittleEndian.Uint16(src[i*stride:]))
		}
	case d.Kind == Float:
		for i := range dst {
			dst[i] = float16(binary.BigEndian.Uint16(src[i*stride:]))
		}
	case d.Kind == Bool:
		for i := range dst {
			dst[i] = 0
			if src[i*stride] != 0 {
				dst[i] = 1
			}
		}
	case d.Kind == Uint && d.Size == 1:
		for i := range dst {
			dst[i] = float64(src[i*stride])
		}
	case d.Kind == Int && d.Size == 1:
		for i := range dst {
			dst[i] = float64(int8(src[i*stride]))
		}
	case d.Size == 2:
		d.decode16(dst, src, stride)
	case d.Size == 4:
		d.decode32(dst, src, stride)
	case d.Size == 8:
		d.decode64(dst, src, stride)
	}
}

func (d DType) decode16(dst []float64, src []byte, stride int) {
	switch {
	case d.Kind == Int && !d.BigEndian:
		for i := range dst {
			dst[i] = float64(int16(binary.LittleEndian.Uint16(src[i*stride:])))
		}
	case d.Kind == Int:
		for i := range dst {
			dst[i] = float64(int16(binary.BigEndian.Uint16(src[i*stride:])))
		}
	case !d.BigEndian:
		for i := range dst {
			dst[i] = float64(binary.LittleEndian.Uint16(src[i*stride:]))
		}
	default:
		for i := range dst {
			dst[i] = float64(binary.BigEndian.Uint16(src[i*stride:]))
		}
	}
}

func (d DType) decode32(dst []float64, src []byte, stride int) {
	switch {
	case d.Kind == Int && !d.BigEndian:
		for i := range dst {
			dst[i] = float64(int32(binary.LittleEndian.Uint32(src[i*stride:])))
		}
	case d.Kind == Int:
		for i := range dst {
			dst[i] = float64(int32(binary.BigEndian.Uint32(src[i*stride:])))
		}
	case !d.BigEndian:
		for i := range dst {
			dst[i] = float64(binary.LittleEndian.Uint32(src[i*stride:]))
		}
	default:
		for i := range dst {
			dst[i] = float64(binary.BigEndian.Uint32(src[i*stride:]))
		}
	}
}

func (d DType) decode64(dst []float64, src []byte, stride int) {
	switch {
	case d.Kind == Int && !d.BigEndian:
		for i := range dst {
			dst[i] = float64(int64(binary.LittleEndian.Uint64(src[i*stride:])))
		}
	case d.Kind == Int:
		for i := range dst {
			dst[i] = float64(int64(binary.BigEndian.Uint64(src[i*stride:])))
		}
	case !d.BigEndian:
		for i := range dst {
			dst[i] = float64(binary.LittleEndian.Uint64(src[i*stride:]))
		}
	default:
		for i := range dst {
			dst[i] = float64(binary.BigEndian.Uint64(src[i*stride:]))
		}
	}
}

// canonical replaces any NaN by math.NaN(), dropping its payload.
func canonical(v float64) float64 {
	if v != v {
		return math.NaN()
	}
	return v
}

// float16 converts an IEEE 754 half-precision value.
func float16(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	default:
		v = math.Ldexp(frac+1024, exp-25)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}
