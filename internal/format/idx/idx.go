// Package idx reads the IDX format of the MNIST files: a magic number
// (two zero bytes, a type code and the number of dimensions), one
// big-endian uint32 per dimension, then the values in row-major order, big
// endian. The first dimension counts records; the others give a record's
// shape (28x28 for MNIST images, none for labels). Files may be gzipped.
//
// Reader streams records from untrusted input: it checks the header
// against named limits, never allocates more than the input has proved to
// hold, and reports a file that is shorter or longer than its header says.
package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// Limits on what NewReader accepts.
const (
	// MaxDims caps the number of dimensions, the record count included.
	MaxDims = 16
	// MaxRecordBytes caps the size of one record (16 MiB holds a
	// 4096x4096 image of bytes).
	MaxRecordBytes = 1 << 24
)

// Type is the element type code of an IDX file.
type Type byte

// The IDX element types.
const (
	UByte  Type = 0x08
	SByte  Type = 0x09
	Short  Type = 0x0B
	Int    Type = 0x0C
	Float  Type = 0x0D
	Double Type = 0x0E
)

// DType returns the equivalent NumPy dtype (big endian), whose Decode
// method converts raw records to float64. It returns false for an unknown
// type code.
func (t Type) DType() (npy.DType, bool) {
	switch t {
	case UByte:
		return npy.DType{Kind: npy.Uint, Size: 1}, true
	case SByte:
		return npy.DType{Kind: npy.Int, Size: 1}, true
	case Short:
		return npy.DType{Kind: npy.Int, Size: 2, BigEndian: true}, true
	case Int:
		return npy.DType{Kind: npy.Int, Size: 4, BigEndian: true}, true
	case Float:
		return npy.DType{Kind: npy.Float, Size: 4, BigEndian: true}, true
	case Double:
		return npy.DType{Kind: npy.Float, Size: 8, BigEndian: true}, true
	}
	return npy.DType{}, false
}

// String names the type as the IDX description does.
func (t Type) String() string {
	switch t {
	case UByte:
		return "unsigned byte"
	case SByte:
		return "signed byte"
	case Short:
		return "short"
	case Int:
		return "int"
	case Float:
		return "float"
	case Double:
		return "double"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// Header describes an IDX file.
type Header struct {
	Type  Type
	DType npy.DType
	// Dims holds the size of each dimension; Dims[0] counts records.
	Dims []int
	// Gzip is true when the file was gzip-compressed.
	Gzip bool
	// Len is the number of header bytes (in the decompressed stream).
	Len int64
}

// Records returns the number of records.
func (h Header) Records() int { return h.Dims[0] }

// RecordValues returns the number of values in one record.
func (h Header) RecordValues() int {
	n := 1
	for _, d := range h.Dims[1:] {
		n *= d
	}
	return n
}

// RecordBytes returns the size of one record in bytes.
func (h Header) RecordBytes() int { return h.RecordValues() * h.DType.Size }

// Reader streams the records of an IDX file.
type Reader struct {
	r    io.Reader
	h    Header
	read int   // records read
	off  int64 // bytes of the (decompressed) stream consumed
	rec  []byte
}

// NewReader reads the header of an IDX file, raw or gzipped, from r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	var h Header
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx gzip: %w", err)
		}
		r, h.Gzip = zr, true
	} else {
		r = br
	}
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("idx magic: %w", noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, errors.New("not an IDX file (magic does not start with two zero bytes)")
	}
	h.Type = Type(magic[2])
	var ok bool
	if h.DType, ok = h.Type.DType(); !ok {
		return nil, fmt.Errorf("unknown IDX element type 0x%02x", magic[2])
	}
	ndims := int(magic[3])
	if ndims == 0 || ndims > MaxDims {
		return nil, fmt.Errorf("IDX file with %d dimensions (want 1 to %d)", ndims, MaxDims)
	}
	dims := make([]byte, 4*ndims)
	if _, err := io.ReadFull(r, dims); err != nil {
		return nil, fmt.Errorf("idx dimensions: %w", noEOF(err))
	}
	h.Dims = make([]int, ndims)
	size := h.DType.Size
	for i := range h.Dims {
		d := int(binary.BigEndian.Uint32(dims[4*i:]))
		h.Dims[i] = d
		if i == 0 {
			continue
		}
		if d == 0 {
			return nil, fmt.Errorf("IDX record shape %v has no values", h.Dims[1:])
		}
		if size > MaxRecordBytes/d {
			return nil, fmt.Errorf("IDX record shape %v exceeds %d bytes", dims32(dims[4:]), MaxRecordBytes)
		}
		size *= d
	}
	h.Len = int64(4 + len(dims))
	return &Reader{r: r, h: h, off: h.Len}, nil
}

func dims32(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}

// noEOF turns a clean EOF inside a structure into an unexpected one.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Header returns the file's header.
func (r *Reader) Header() Header {
	h := r.h
	h.Dims = slices.Clone(h.Dims)
	return h
}

// Offset returns the number of bytes of the stream consumed so far
// (decompressed bytes for a gzipped file).
func (r *Reader) Offset() int64 { return r.off }

// ReadRecords fills p with as many whole records as fit, up to the number
// left, and returns how many it read. After the last record it returns
// io.EOF, or an error if the stream holds data beyond the declared records.
// A stream that ends early gives an error wrapping io.ErrUnexpectedEOF.
// p must hold at least one record.
func (r *Reader) ReadRecords(p []byte) (int, error) {
	size := r.h.RecordBytes()
	left := r.h.Records() - r.read
	if left == 0 {
		return 0, r.end()
	}
	n := min(len(p)/size, left)
	if n == 0 {
		return 0, fmt.Errorf("buffer of %d bytes cannot hold a record of %d", len(p), size)
	}
	m, err := io.ReadFull(r.r, p[:n*size])
	r.off += int64(m)
	r.read += m / size
	if err != nil {
		return m / size, fmt.Errorf("record %d of %d: %w", r.read+1, r.h.Records(), noEOF(err))
	}
	return n, nil
}

// Next returns the next record's bytes, valid until the next call, or
// io.EOF after the last one (see ReadRecords).
func (r *Reader) Next() ([]byte, error) {
	if r.read == r.h.Records() {
		return nil, r.end()
	}
	// Grow the buffer only as far as data arrives, so a header that lies
	// about the record size cannot make the reader allocate.
	size := r.h.RecordBytes()
	r.rec = r.rec[:0]
	for len(r.rec) < size {
		chunk := min(size-len(r.rec), 1<<16)
		r.rec = slices.Grow(r.rec, chunk)
		m, err := io.ReadFull(r.r, r.rec[len(r.rec):len(r.rec)+chunk])
		r.rec = r.rec[:len(r.rec)+m]
		r.off += int64(m)
		if err != nil {
			return nil, fmt.Errorf("record %d of %d: %w", r.read+1, r.h.Records(), noEOF(err))
		}
	}
	r.read++
	return r.rec, nil
}

// end checks that nothing follows the last record.
func (r *Reader) end() error {
	var one [1]byte
	n, err := io.ReadFull(r.r, one[:])
	if n > 0 {
		return fmt.Errorf("data after the %d records the header declares", r.h.Records())
	}
	if err != io.EOF {
		return fmt.Errorf("after the last record: %w", err)
	}
	return io.EOF
}
