package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType is an element type as the header spells it, such as "F32".
type DType string

// The dtypes this package reads and writes: every whole-byte dtype of the
// reference implementation. The sub-byte F4, F6_E2M3 and F6_E3M2 are
// refused.
const (
	Bool   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	F8E8M0 DType = "F8_E8M0"
	U16    DType = "U16"
	I16    DType = "I16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	U32    DType = "U32"
	I32    DType = "I32"
	F32    DType = "F32"
	U64    DType = "U64"
	I64    DType = "I64"
	F64    DType = "F64"
	// C64 is a complex number of two F32 parts.
	C64 DType = "C64"
)

// Size returns the number of bytes of one element, 0 for a dtype this
// package does not know.
func (d DType) Size() int {
	switch d {
	case Bool, U8, I8, F8E4M3, F8E5M2, F8E8M0:
		return 1
	case U16, I16, F16, BF16:
		return 2
	case U32, I32, F32:
		return 4
	case U64, I64, F64, C64:
		return 8
	}
	return 0
}

// byteLen returns the number of data bytes of a tensor of the given dtype
// and shape. It fails on a negative dimension, an unknown dtype, or when
// the product of the non-zero dimensions times the element size exceeds
// math.MaxInt; the check ignores zero dimensions, so that it does not
// depend on their position and no partial product of a valid shape can
// overflow.
func byteLen(d DType, shape []int) (int, error) {
	size := d.Size()
	if size == 0 {
		return 0, fmt.Errorf("unknown dtype %s", short(string(d)))
	}
	limit := math.MaxInt / size
	n, zero := 1, false
	for _, dim := range shape {
		switch {
		case dim < 0:
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		case dim == 0:
			zero = true
		case n > limit/dim:
			return 0, fmt.Errorf("shape %v of %s overflows the byte count", shape, d)
		default:
			n *= dim
		}
	}
	if zero {
		return 0, nil
	}
	return n * size, nil
}

// FromFloat32s builds an F32 tensor of the given shape, copying shape and
// encoding values little endian. Write checks that the shape holds
// len(values) elements.
func FromFloat32s(name string, shape []int, values []float32) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: F32, Shape: append([]int{}, shape...), Data: data}
}

// Float32s decodes an F32 tensor. It fails for any other dtype and when
// the data does not hold exactly the elements of the shape.
func (t Tensor) Float32s() ([]float32, error) {
	if t.DType != F32 {
		return nil, fmt.Errorf("safetensors: tensor %s is %s, not F32", short(t.Name), short(string(t.DType)))
	}
	n, err := byteLen(t.DType, t.Shape)
	if err != nil {
		return nil, fmt.Errorf("safetensors: tensor %s: %w", short(t.Name), err)
	}
	if n != len(t.Data) {
		return nil, fmt.Errorf("safetensors: tensor %s: %d data bytes, shape %v of F32 needs %d",
			short(t.Name), len(t.Data), t.Shape, n)
	}
	out := make([]float32, n/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}
