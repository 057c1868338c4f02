package idx

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Value is an element type Write stores: unsigned bytes or big-endian
// float32.
type Value interface{ uint8 | float32 }

// Write writes an IDX file of the given dimensions (Dims[0] counts
// records) holding data in row-major order.
func Write[T Value](w io.Writer, dims []int, data []T) error {
	if len(dims) == 0 || len(dims) > MaxDims {
		return fmt.Errorf("idx: %d dimensions, want 1 to %d", len(dims), MaxDims)
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > math.MaxUint32 || d > 0 && n > math.MaxInt/d {
			return fmt.Errorf("idx: invalid dimensions %v", dims)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("idx: dimensions %v hold %d values, not %d", dims, n, len(data))
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	typ := UByte
	var zero T
	if _, ok := any(zero).(float32); ok {
		typ = Float
	}
	hdr := []byte{0, 0, byte(typ), byte(len(dims))}
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	switch v := any(data).(type) {
	case []uint8:
		if _, err := bw.Write(v); err != nil {
			return err
		}
	case []float32:
		var b [4]byte
		for _, f := range v {
			binary.BigEndian.PutUint32(b[:], math.Float32bits(f))
			if _, err := bw.Write(b[:]); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
