// Package safetensors reads and writes the safetensors tensor format
// strictly.
//
// A safetensors file is an 8-byte little-endian length N, N bytes of UTF-8
// JSON mapping each tensor name to its dtype, shape and data_offsets (plus
// an optional "__metadata__" object of strings), then the data buffer the
// offsets point into. ReadHeader parses and checks the header of an
// untrusted file without reading its data, for scanners; Read loads a whole
// file into memory; Write encodes tensors deterministically.
//
// The checks follow the reference implementation (huggingface/safetensors,
// Metadata::validate) and add the ones it leaves out: the header must start
// with '{' and may be padded only with spaces; names, metadata keys and
// tensor fields must not repeat; tensor entries hold exactly dtype, shape
// and data_offsets; "__metadata__" must be an object of strings; numbers
// must be plain non-negative integers; \u escapes must not leave a lone
// surrogate. Every limit is named in Limits. Malformed input gives an error
// wrapping ErrFormat, never a panic.
package safetensors

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Default limits, used where a Limits field is zero.
const (
	// DefaultMaxHeaderBytes caps the JSON header; it is the reference
	// implementation's MAX_HEADER_SIZE.
	DefaultMaxHeaderBytes = 100_000_000
	// DefaultMaxTensors caps the number of tensors in one file.
	DefaultMaxTensors = 1_000_000
	// DefaultMaxMetadataEntries caps the number of "__metadata__" entries.
	DefaultMaxMetadataEntries = 1 << 16
	// DefaultMaxRank caps the number of dimensions of one tensor.
	DefaultMaxRank = 16
	// DefaultMaxFileBytes caps the size of a file that Read loads into
	// memory.
	DefaultMaxFileBytes = 4 << 30
)

// metadataKey is the reserved header key of the string-to-string metadata.
const metadataKey = "__metadata__"

// Limits holds the caps that ReadHeader and Read enforce on untrusted
// input. A zero field takes its Default value; a negative one is an error.
type Limits struct {
	// MaxHeaderBytes caps the header length N.
	MaxHeaderBytes int64
	// MaxTensors caps the number of tensors.
	MaxTensors int
	// MaxMetadataEntries caps the number of "__metadata__" entries.
	MaxMetadataEntries int
	// MaxRank caps the number of dimensions of each tensor.
	MaxRank int
	// MaxFileBytes caps the whole file for Read. ReadHeader, which does
	// not load the data, ignores it.
	MaxFileBytes int64
}

func (l Limits) withDefaults() (Limits, error) {
	if l.MaxHeaderBytes < 0 || l.MaxTensors < 0 || l.MaxMetadataEntries < 0 || l.MaxRank < 0 || l.MaxFileBytes < 0 {
		return l, errors.New("safetensors: limits must not be negative")
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxTensors == 0 {
		l.MaxTensors = DefaultMaxTensors
	}
	if l.MaxMetadataEntries == 0 {
		l.MaxMetadataEntries = DefaultMaxMetadataEntries
	}
	if l.MaxRank == 0 {
		l.MaxRank = DefaultMaxRank
	}
	if l.MaxFileBytes == 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	return l, nil
}

// ErrFormat marks a malformed or truncated file, or one beyond the
// Limits. Every error ReadHeader and Read return for bad input wraps it;
// errors from the reader itself and invalid Limits do not.
var ErrFormat = errors.New("malformed safetensors file")

// formatError is a malformed-input error: its message starts with
// "safetensors: " and it matches ErrFormat as well as its cause.
type formatError struct{ err error }

func (e *formatError) Error() string        { return "safetensors: " + e.err.Error() }
func (e *formatError) Unwrap() error        { return e.err }
func (e *formatError) Is(target error) bool { return target == ErrFormat }

func errorf(format string, args ...any) error {
	return &formatError{fmt.Errorf(format, args...)}
}

// errorAt reports a problem at a byte offset in the file.
func errorAt(offset int64, format string, args ...any) error {
	return &formatError{fmt.Errorf("offset %d: %w", offset, fmt.Errorf(format, args...))}
}

// Tensor is one named tensor with its data, little endian and row-major.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// File is a whole safetensors file.
type File struct {
	// Metadata is the "__metadata__" object; nil when the file has none.
	Metadata map[string]string
	// Tensors are in file (offset) order when read. Write lays them out
	// in its own order whatever their order here.
	Tensors []Tensor
}

// TensorInfo describes one tensor of a header.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are the data_offsets: the tensor's bytes are
	// [Begin, End) of the data buffer, which starts at Header.DataStart.
	Begin, End int64
}

// Header is the parsed and checked header of a file.
type Header struct {
	// Metadata is the "__metadata__" object; nil when the file has none.
	Metadata map[string]string
	// Tensors are sorted by offset; they tile the data buffer exactly.
	Tensors []TensorInfo
	// DataStart is the file offset of the data buffer: 8 plus the header
	// length.
	DataStart int64
}

// short returns s quoted, cut to a readable length for an error message.
func short(s string) string {
	if c := clip(s); c != s {
		return fmt.Sprintf("%q…(%d bytes)", c[:len(c)-len("…")], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// clip cuts s to a readable length for an error message.
func clip(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
