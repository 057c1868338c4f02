package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Value is an element type that Write stores.
type Value interface {
	float64 | float32 | int64 | int32 | uint8
}

// Write writes data as a C-order .npy file (format 1.0) of the given
// shape, little endian. The product of shape must equal len(data).
func Write[T Value](w io.Writer, shape []int64, data []T) error {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || d > 0 && n > MaxElements/d {
			return fmt.Errorf("invalid shape %v", shape)
		}
		n *= d
	}
	if len(shape) > MaxDims || n != int64(len(data)) {
		return fmt.Errorf("shape %v does not hold %d values", shape, len(data))
	}
	var descr string
	switch any(data).(type) {
	case []float64:
		descr = "<f8"
	case []float32:
		descr = "<f4"
	case []int64:
		descr = "<i8"
	case []int32:
		descr = "<i4"
	case []uint8:
		descr = "|u1"
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.FormatInt(d, 10)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// NumPy pads the header with spaces and a newline so that the data
	// starts at a multiple of 64 bytes.
	total := (10 + len(dict) + 1 + 63) / 64 * 64
	if total-10 > math.MaxUint16 {
		return errors.New("shape too long for an npy 1.0 header")
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(Magic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(total-10))
	bw.WriteString(dict)
	bw.WriteString(strings.Repeat(" ", total-10-len(dict)-1))
	bw.WriteByte('\n')
	var buf [8]byte
	switch v := any(data).(type) {
	case []float64:
		for _, x := range v {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			bw.Write(buf[:8])
		}
	case []float32:
		for _, x := range v {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
			bw.Write(buf[:4])
		}
	case []int64:
		for _, x := range v {
			binary.LittleEndian.PutUint64(buf[:], uint64(x))
			bw.Write(buf[:8])
		}
	case []int32:
		for _, x := range v {
			binary.LittleEndian.PutUint32(buf[:], uint32(x))
			bw.Write(buf[:4])
		}
	case []uint8:
		bw.Write(v)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write npy: %w", err)
	}
	return nil
}
