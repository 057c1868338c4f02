package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxThriftDepth caps the nesting of structs, lists and maps in any Thrift
// structure of a file. Parquet's own metadata nests about eight deep.
const maxThriftDepth = 64

// errThriftTruncated reports Thrift data that ends inside a value. When a
// page header is read through a window, it means the window is too small.
var errThriftTruncated = errors.New("truncated thrift data")

// thriftWalker walks a Thrift compact-protocol struct without decoding or
// allocating anything. It checks what parquet-go's decoder trusts: every
// list, set, map and binary length fits in the bytes that remain (so no
// declared length can make the decoder allocate more than a small multiple
// of the input), nesting stays under maxThriftDepth (so skipping unknown
// fields cannot exhaust the stack), and every type tag is known.
type thriftWalker struct {
	b   []byte
	pos int
}

// walkThrift returns the length of the compact-protocol struct at the
// start of b.
func walkThrift(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, err
	}
	return w.pos, nil
}

func (w *thriftWalker) remaining() int { return len(w.b) - w.pos }

func (w *thriftWalker) byte() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, errThriftTruncated
	}
	c := w.b[w.pos]
	w.pos++
	return c, nil
}

func (w *thriftWalker) varint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.pos:])
	switch {
	case n == 0:
		return 0, errThriftTruncated
	case n < 0:
		return 0, errors.New("thrift varint overflows 64 bits")
	}
	w.pos += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.remaining()) {
		return errThriftTruncated
	}
	w.pos += int(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("thrift data nests deeper than %d levels", maxThriftDepth)
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		typ := h & 0x0f
		if typ == 0 {
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a varint
			if _, err := w.varint(); err != nil {
				return err
			}
		}
		if typ == 1 || typ == 2 { // booleans live in the field header
			continue
		}
		if err := w.value(typ, depth); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(typ byte, depth int) error {
	switch typ {
	case 1, 2, 3: // a boolean inside a list, or a byte
		return w.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := w.varint()
		return err
	case 7: // double
		return w.skip(8)
	case 8: // binary
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10: // list, set
		h, err := w.byte()
		if err != nil {
			return err
		}
		size, elem := uint64(h>>4), h&0x0f
		if size == 15 {
			if size, err = w.varint(); err != nil {
				return err
			}
		}
		// Every element takes at least one byte.
		if size > uint64(w.remaining()) {
			return errThriftTruncated
		}
		return w.elements(size, depth, elem)
	case 11: // map
		size, err := w.varint()
		if err != nil || size == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		if size > uint64(w.remaining())/2 {
			return errThriftTruncated
		}
		return w.elements(size, depth, kv>>4, kv&0x0f)
	case 12:
		return w.structure(depth + 1)
	}
	return fmt.Errorf("unknown thrift type %d", typ)
}

func (w *thriftWalker) elements(n uint64, depth int, types ...byte) error {
	if depth+1 > maxThriftDepth {
		return fmt.Errorf("thrift data nests deeper than %d levels", maxThriftDepth)
	}
	for range n {
		for _, t := range types {
			if err := w.value(t, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
