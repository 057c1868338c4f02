// Package npy reads and writes NumPy .npy array files.
//
// ReadHeader parses the header of an untrusted file (format versions 1.0,
// 2.0 and 3.0) and leaves the reader at the first data byte; DType.Decode
// and DType.DecodeStrided turn the packed values that follow into float64.
// Only plain numeric dtypes are read: booleans, signed and unsigned
// integers and floats of 2, 4 or 8 bytes in either byte order. Object
// arrays (which hold pickles), structured, string, complex and date dtypes
// are refused.
package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits on what ReadHeader accepts.
const (
	// MaxHeaderBytes caps the length of the header dictionary.
	MaxHeaderBytes = 1 << 20
	// MaxDims caps the number of dimensions (NumPy 2 allows 64).
	MaxDims = 64
	// MaxElements caps the number of values an array may declare.
	MaxElements = 1 << 40
)

// Magic is the prefix of every .npy file.
const Magic = "\x93NUMPY"

// ErrUnsupportedDType reports a dtype that is valid NumPy but that this
// package does not read (objects, structured records, strings, complex
// numbers, dates). Callers branch on it to tell a refused file from a
// corrupt one.
var ErrUnsupportedDType = errors.New("unsupported dtype")

// Header describes the array stored in a .npy file.
type Header struct {
	// Major and Minor are the format version (1.0, 2.0 or 3.0).
	Major, Minor uint8
	DType        DType
	// FortranOrder is true when the values are stored column-major.
	FortranOrder bool
	// Shape holds the size of each dimension; empty for a scalar.
	Shape []int64
	// HeaderLen is the number of bytes before the first value.
	HeaderLen int64
}

// Elements returns the number of values in the array.
func (h Header) Elements() int64 {
	n := int64(1)
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// DataBytes returns the number of data bytes that follow the header.
func (h Header) DataBytes() int64 { return h.Elements() * int64(h.DType.Size) }

// ReadHeader reads the header of a .npy file from r and leaves r at the
// first data byte. It reads exactly Header.HeaderLen bytes. A dtype that is
// well formed but not supported gives an error wrapping ErrUnsupportedDType.
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("npy preamble: %w", noEOF(err))
	}
	if string(pre[:6]) != Magic {
		return h, errors.New("not an npy file (bad magic)")
	}
	h.Major, h.Minor = pre[6], pre[7]
	var n int64
	switch {
	case h.Major == 1 && h.Minor == 0:
		n = int64(binary.LittleEndian.Uint16(pre[8:]))
		h.HeaderLen = 10 + n
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		var rest [2]byte
		if _, err := io.ReadFull(r, rest[:]); err != nil {
			return h, fmt.Errorf("npy preamble: %w", noEOF(err))
		}
		n = int64(binary.LittleEndian.Uint32(append(pre[8:10:10], rest[:]...)))
		h.HeaderLen = 12 + n
	default:
		return h, fmt.Errorf("unsupported npy format version %d.%d", h.Major, h.Minor)
	}
	if n > MaxHeaderBytes {
		return h, fmt.Errorf("npy header of %d bytes exceeds the limit of %d", n, MaxHeaderBytes)
	}
	dict := make([]byte, n)
	if _, err := io.ReadFull(r, dict); err != nil {
		return h, fmt.Errorf("npy header: %w", noEOF(err))
	}
	if err := parseDict(dict, &h); err != nil {
		return h, fmt.Errorf("npy header: %w", err)
	}
	return h, nil
}

// noEOF turns a clean EOF inside a structure into an unexpected one.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseDict parses the header dictionary, a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseDict(b []byte, h *Header) error {
	p := parser{b: b}
	if err := p.expect('{'); err != nil {
		return err
	}
	var seen [3]bool
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			break
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		var k int
		switch key {
		case "descr":
			k = 0
			err = p.descr(h)
		case "fortran_order":
			k = 1
			h.FortranOrder, err = p.boolean()
		case "shape":
			k = 2
			h.Shape, err = p.shape()
		default:
			return fmt.Errorf("unexpected key %q", key)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if seen[k] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[k] = true
		p.space()
		if p.peek() == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return err
		}
		break
	}
	p.space()
	if p.i != len(p.b) {
		return fmt.Errorf("unexpected %q after the dictionary at byte %d", p.b[p.i], p.i)
	}
	for k, name := range [...]string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return fmt.Errorf("missing key %q", name)
		}
	}
	if h.DType.Size == 0 {
		return errors.New("descr: empty")
	}
	return nil
}

// parser scans the subset of Python literal syntax that headers use.
type parser struct {
	b []byte
	i int
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	p.space()
	if p.i >= len(p.b) {
		return fmt.Errorf("want %q, got end of header", c)
	}
	if p.b[p.i] != c {
		return fmt.Errorf("want %q, got %q at byte %d", c, p.b[p.i], p.i)
	}
	p.i++
	return nil
}

// str reads a quoted string without escapes.
func (p *parser) str() (string, error) {
	p.space()
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("want a string at byte %d", p.i)
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch p.b[j] {
		case q:
			p.i = j + 1
			return string(p.b[start:j]), nil
		case '\\', '\n':
			return "", fmt.Errorf("unsupported character in string at byte %d", j)
		}
	}
	return "", errors.New("unterminated string")
}

func (p *parser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.b) && (isLetter(p.b[p.i]) || isDigit(p.b[p.i]) || p.b[p.i] == '_') {
		p.i++
	}
	return string(p.b[start:p.i])
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (p *parser) boolean() (bool, error) {
	switch w := p.word(); w {
	case "True":
		return true, nil
	case "False":
		return false, nil
	default:
		return false, fmt.Errorf("want True or False, got %q", w)
	}
}

func (p *parser) descr(h *Header) error {
	p.space()
	switch p.peek() {
	case '[':
		return fmt.Errorf("structured dtype: %w", ErrUnsupportedDType)
	case '\'', '"':
	default:
		return fmt.Errorf("want a dtype string at byte %d", p.i)
	}
	s, err := p.str()
	if err != nil {
		return err
	}
	h.DType, err = ParseDType(s)
	return err
}

// shape reads a tuple of non-negative integers. The product of its
// non-zero dimensions must stay within MaxElements, so that any product of
// dimensions a caller computes cannot overflow, even in an empty array.
func (p *parser) shape() ([]int64, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int64{}
	total := int64(1)
	comma := false
	for {
		p.space()
		if p.peek() == ')' {
			p.i++
			break
		}
		if len(shape) > 0 && !comma {
			return nil, fmt.Errorf("want ',' or ')' at byte %d", p.i)
		}
		w := p.word()
		if w == "" {
			return nil, fmt.Errorf("want a dimension at byte %d", p.i)
		}
		if last := w[len(w)-1]; last == 'L' || last == 'l' { // Python 2 long
			w = w[:len(w)-1]
		}
		d, err := strconv.ParseInt(w, 10, 64)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("invalid dimension %q", w)
		}
		if len(shape) == MaxDims {
			return nil, fmt.Errorf("more than %d dimensions", MaxDims)
		}
		if d > 0 {
			if total > MaxElements/d {
				return nil, fmt.Errorf("shape declares more than %d values", int64(MaxElements))
			}
			total *= d
		}
		shape = append(shape, d)
		p.space()
		comma = p.peek() == ','
		if comma {
			p.i++
		}
	}
	if len(shape) == 1 && !comma {
		return nil, fmt.Errorf("(%d) is not a tuple", shape[0])
	}
	return shape, nil
}
