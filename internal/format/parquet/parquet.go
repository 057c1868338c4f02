// Package parquet reads flat Apache Parquet files column by column.
//
// It is a hardened wrapper around github.com/parquet-go/parquet-go. Open
// checks the footer against named limits and walks its Thrift encoding
// before the library decodes it; a ColumnReader walks every page header of
// a column chunk the same way before the library reads the chunk, so that
// no length declared in the file makes the library allocate more than the
// limits allow. Any panic inside the library is recovered and returned as a
// *FormatError: malformed input gives an error, never a crash.
//
// Values are decoded a page at a time straight from the library's typed
// page buffers (no per-row parquet.Row values). Only flat schemas are read:
// required or optional leaf columns of physical type BOOLEAN, INT32, INT64,
// FLOAT, DOUBLE or BYTE_ARRAY. Nested and repeated columns are refused at
// Open; INT96, FIXED_LEN_BYTE_ARRAY, encrypted files and LZ4/LZO pages are
// refused with an error wrapping ErrUnsupported.
package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Default limits, used where an Options field is zero.
const (
	// DefaultMaxFileBytes caps the size of a file.
	DefaultMaxFileBytes = 1 << 40
	// DefaultMaxMetadataBytes caps the Thrift-encoded footer.
	DefaultMaxMetadataBytes = 64 << 20
	// DefaultMaxColumns caps the number of leaf columns.
	DefaultMaxColumns = 10_000
	// DefaultMaxRowGroups caps the number of row groups (the format itself
	// allows at most 32767).
	DefaultMaxRowGroups = 32_767
	// DefaultMaxPageBytes caps a page's compressed and uncompressed size.
	DefaultMaxPageBytes = 256 << 20
	// DefaultMaxPageValues caps the number of values (nulls included) in
	// one page or dictionary.
	DefaultMaxPageValues = 64 << 20
)

// maxPageHeaderBytes caps one Thrift page header (statistics of long
// strings make them grow past the usual few dozen bytes).
const maxPageHeaderBytes = 4 << 20

// ErrUnsupported marks a well-formed file, column or page that this
// package does not read (nested or repeated columns, INT96 and fixed-length
// byte arrays, encryption, LZ4 and LZO compression). Callers branch on it to
// tell a refused file from a corrupt one.
var ErrUnsupported = errors.New("unsupported parquet feature")

// Options holds the limits Open enforces. The zero value uses the defaults.
type Options struct {
	MaxFileBytes     int64
	MaxMetadataBytes int64
	MaxColumns       int
	MaxRowGroups     int
	MaxPageBytes     int64
	MaxPageValues    int64
}

func (o *Options) validate() error {
	if o.MaxFileBytes < 0 || o.MaxMetadataBytes < 0 || o.MaxColumns < 0 || o.MaxRowGroups < 0 ||
		o.MaxPageBytes < 0 || o.MaxPageValues < 0 {
		return errors.New("parquet limits must not be negative")
	}
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxMetadataBytes == 0 {
		o.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	if o.MaxColumns == 0 {
		o.MaxColumns = DefaultMaxColumns
	}
	if o.MaxRowGroups == 0 {
		o.MaxRowGroups = DefaultMaxRowGroups
	}
	if o.MaxPageBytes == 0 {
		o.MaxPageBytes = DefaultMaxPageBytes
	}
	o.MaxPageBytes = min(o.MaxPageBytes, 1<<31-1) // page sizes are int32
	if o.MaxPageValues == 0 {
		o.MaxPageValues = DefaultMaxPageValues
	}
	return nil
}

// FormatError reports malformed input.
type FormatError struct {
	// Offset is the byte offset of the structure that failed to decode
	// (the footer, a column chunk or a page), -1 when unknown.
	Offset int64
	// Row is the 0-based index of the first row of the page that failed,
	// -1 when unknown.
	Row int64
	Err error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	if e.Row >= 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row+1)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, "byte %d: ", e.Offset)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErrorf(offset, row int64, msg string, args ...any) error {
	return &FormatError{Offset: offset, Row: row, Err: fmt.Errorf(msg, args...)}
}

// recoverPanic turns a panic inside parquet-go into a *FormatError. It must
// be deferred directly.
func recoverPanic(err *error, offset, row int64) {
	if r := recover(); r != nil {
		*err = formatErrorf(offset, row, "malformed parquet data (decoder panic: %v)", r)
	}
}

// Type is a column's physical type.
type Type uint8

// Physical types.
const (
	Boolean Type = iota + 1
	Int32
	Int64
	Int96
	Float
	Double
	ByteArray
	FixedLenByteArray
)

// String returns the type's name as the Parquet specification spells it.
func (t Type) String() string {
	switch t {
	case Boolean:
		return "BOOLEAN"
	case Int32:
		return "INT32"
	case Int64:
		return "INT64"
	case Int96:
		return "INT96"
	case Float:
		return "FLOAT"
	case Double:
		return "DOUBLE"
	case ByteArray:
		return "BYTE_ARRAY"
	case FixedLenByteArray:
		return "FIXED_LEN_BYTE_ARRAY"
	}
	return fmt.Sprintf("type(%d)", t)
}

// Column describes one leaf column.
type Column struct {
	Name string
	Type Type
	// Logical is the logical type annotation as parquet-go prints it, such
	// as "STRING", "INT(8,true)" or "DECIMAL(10,2)"; empty when there is
	// none.
	Logical string
	// Optional reports whether the column may hold nulls.
	Optional bool

	unsigned bool    // INT(n,false): read INT32/INT64 bits as unsigned
	scale    float64 // DECIMAL on INT32/INT64: divide by this; 0 when none
}

// Numeric reports whether the column's values read as numbers.
func (c Column) Numeric() bool {
	switch c.Type {
	case Int32, Int64, Float, Double:
		return true
	}
	return false
}

// Supported reports whether a ColumnReader can read the column.
func (c Column) Supported() bool {
	switch c.Type {
	case Boolean, Int32, Int64, Float, Double, ByteArray:
		return true
	}
	return false
}

// File is an open Parquet file.
type File struct {
	r         io.ReaderAt
	size      int64
	footer    int64 // offset of the footer: column chunks end before it
	opts      Options
	file      *pq.File
	columns   []Column
	leaves    []*pq.Column
	rowGroups []*format.RowGroup
	numRows   int64
}

// Open reads and checks the footer of the Parquet file in r, which holds
// size bytes. Malformed input gives a *FormatError; a valid file that uses
// something this package does not read gives an error wrapping
// ErrUnsupported.
func Open(r io.ReaderAt, size int64, opts Options) (f *File, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if size < 12 {
		return nil, formatErrorf(0, -1, "%d bytes is too short for a parquet file", size)
	}
	if size > opts.MaxFileBytes {
		return nil, fmt.Errorf("file of %d bytes exceeds the limit of %d", size, opts.MaxFileBytes)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, fmt.Errorf("read parquet header: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("read parquet trailer: %w", err)
	}
	if string(head[:4]) == "PARE" || string(tail[4:]) == "PARE" {
		return nil, fmt.Errorf("encrypted parquet file: %w", ErrUnsupported)
	}
	if string(head[:4]) != "PAR1" {
		return nil, formatErrorf(0, -1, "not a parquet file (no PAR1 magic)")
	}
	if string(tail[4:]) != "PAR1" {
		return nil, formatErrorf(size-4, -1, "truncated parquet file (no PAR1 magic at the end)")
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerLen > opts.MaxMetadataBytes {
		return nil, formatErrorf(size-8, -1, "footer of %d bytes exceeds the limit of %d", footerLen, opts.MaxMetadataBytes)
	}
	if footerLen > size-12 {
		return nil, formatErrorf(size-8, -1, "footer length %d exceeds the file", footerLen)
	}
	footerOff := size - 8 - footerLen
	footer := make([]byte, footerLen)
	if _, err := r.ReadAt(footer, footerOff); err != nil {
		return nil, fmt.Errorf("read parquet footer: %w", err)
	}
	n, err := walkThrift(footer)
	if err != nil {
		return nil, formatErrorf(footerOff, -1, "footer: %w", err)
	}
	if int64(n) != footerLen {
		return nil, formatErrorf(footerOff+int64(n), -1, "footer: %d trailing bytes", footerLen-int64(n))
	}

	f = &File{r: r, size: size, footer: footerOff, opts: opts}
	if err := f.open(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *File) open() (err error) {
	defer recoverPanic(&err, f.footer, -1)
	file, err := pq.OpenFile(f.r, f.size, pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return &FormatError{Offset: f.footer, Row: -1, Err: err}
	}
	f.file = file
	md := file.Metadata()
	if md.EncryptionAlgorithm.Value != nil {
		return fmt.Errorf("encrypted parquet file: %w", ErrUnsupported)
	}
	if len(md.RowGroups) > f.opts.MaxRowGroups {
		return formatErrorf(f.footer, -1, "%d row groups exceed the limit of %d", len(md.RowGroups), f.opts.MaxRowGroups)
	}
	root := file.Root()
	if len(md.Schema) > f.opts.MaxColumns+1 || len(root.Columns()) > f.opts.MaxColumns {
		return formatErrorf(f.footer, -1, "%d schema elements exceed the limit of %d columns", len(md.Schema)-1, f.opts.MaxColumns)
	}
	for _, c := range root.Columns() {
		if !c.Leaf() {
			return fmt.Errorf("column %q is a nested group; only flat columns are read: %w", c.Name(), ErrUnsupported)
		}
		if c.Repeated() || c.MaxRepetitionLevel() > 0 {
			return fmt.Errorf("column %q is repeated; only flat columns are read: %w", c.Name(), ErrUnsupported)
		}
		if c.MaxDefinitionLevel() > 1 {
			return formatErrorf(f.footer, -1, "column %q has definition level %d", c.Name(), c.MaxDefinitionLevel())
		}
		col, err := describe(c)
		if err != nil {
			return formatErrorf(f.footer, -1, "column %q: %w", c.Name(), err)
		}
		f.columns = append(f.columns, col)
		f.leaves = append(f.leaves, c)
	}
	for i := range md.RowGroups {
		rg := &md.RowGroups[i]
		if len(rg.Columns) != len(f.leaves) {
			return formatErrorf(f.footer, -1, "row group %d has %d column chunks for %d columns", i, len(rg.Columns), len(f.leaves))
		}
		if rg.NumRows < 0 || f.numRows+rg.NumRows < f.numRows {
			return formatErrorf(f.footer, -1, "row group %d has an invalid row count %d", i, rg.NumRows)
		}
		f.numRows += rg.NumRows
		f.rowGroups = append(f.rowGroups, rg)
	}
	if f.numRows != md.NumRows {
		return formatErrorf(f.footer, -1, "file declares %d rows but its row groups hold %d", md.NumRows, f.numRows)
	}
	return nil
}

// describe maps a parquet-go leaf onto a Column.
func describe(c *pq.Column) (Column, error) {
	t := c.Type()
	col := Column{Name: c.Name(), Optional: c.Optional()}
	switch t.Kind() {
	case pq.Boolean:
		col.Type = Boolean
	case pq.Int32:
		col.Type = Int32
	case pq.Int64:
		col.Type = Int64
	case pq.Int96:
		col.Type = Int96
	case pq.Float:
		col.Type = Float
	case pq.Double:
		col.Type = Double
	case pq.ByteArray:
		col.Type = ByteArray
	case pq.FixedLenByteArray:
		col.Type = FixedLenByteArray
	default:
		return col, fmt.Errorf("unknown physical type %v", t.Kind())
	}
	lt := t.LogicalType()
	if lt == nil || lt.Value == nil {
		return col, nil
	}
	col.Logical = lt.String()
	switch v := lt.Value.(type) {
	case *format.IntType:
		col.unsigned = !v.IsSigned
	case *format.DecimalType:
		if col.Type == Int32 || col.Type == Int64 {
			if v.Scale < 0 || v.Scale > 38 {
				return col, fmt.Errorf("decimal scale %d out of range", v.Scale)
			}
			col.scale = pow10(int(v.Scale))
		}
	}
	return col, nil
}

func pow10(n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	return p
}

// Columns returns the leaf columns in schema order.
func (f *File) Columns() []Column { return f.columns }

// NumRows returns the number of rows in the file.
func (f *File) NumRows() int64 { return f.numRows }

// NumRowGroups returns the number of row groups.
func (f *File) NumRowGroups() int { return len(f.rowGroups) }

// OpenColumn returns a reader of column i (an index into Columns) that
// streams its values across all row groups. Columns of a type this package
// does not read give an error wrapping ErrUnsupported.
func (f *File) OpenColumn(i int) (*ColumnReader, error) {
	if i < 0 || i >= len(f.columns) {
		return nil, fmt.Errorf("column index %d out of range [0, %d)", i, len(f.columns))
	}
	c := f.columns[i]
	if !c.Supported() {
		return nil, fmt.Errorf("column %q of type %s: %w", c.Name, c.Type, ErrUnsupported)
	}
	return &ColumnReader{file: f, index: i, col: c, rg: -1, maxDef: byte(f.leaves[i].MaxDefinitionLevel())}, nil
}
