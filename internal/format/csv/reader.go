// Package csv reads delimited text (CSV, TSV) from untrusted input, fast.
//
// Reader is a streaming tokenizer over a large read buffer. It returns each
// record's fields as byte slices that point into that buffer, so reading an
// unquoted field costs no allocation; the slices stay valid only until the
// next call to Read.
//
// The dialect is RFC 4180 with the usual relaxations:
//
//   - Records end with LF or CRLF. A CR at the end of an unquoted last field
//     is dropped; a CR elsewhere is data.
//   - A field that starts with a double quote is quoted: it runs to the next
//     lone quote, "" stands for one quote, and delimiters and line breaks
//     inside are data (kept as they are, CRLF included). After the closing
//     quote only a delimiter or the end of the record may follow.
//   - A quote inside an unquoted field is data.
//   - A UTF-8 byte order mark at the start of the input is skipped.
//   - Blank lines are skipped, except when records have exactly one field:
//     there a blank line is a record whose only field is empty, so that a
//     one-column file keeps its missing values in place.
//   - Gzip input (magic 0x1f 0x8b) is decompressed on the fly; positions
//     then count bytes of the decompressed stream.
//
// Every record must have as many fields as the first one (unless
// Options.FieldsPerRecord says otherwise). Sizes are capped by
// MaxFieldBytes, MaxRecordBytes and MaxColumns; errors are *ParseError
// values that carry the physical line and byte offset.
package csv

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Limits on untrusted input.
const (
	// MaxFieldBytes is the longest field, in bytes as stored (quotes and
	// escapes included).
	MaxFieldBytes = 1 << 20
	// MaxRecordBytes is the longest record, line breaks included.
	MaxRecordBytes = 16 << 20
	// MaxColumns is the largest number of fields in a record.
	MaxColumns = 1 << 16
	// DefaultBufferBytes is the size of the read buffer unless
	// Options.BufferBytes says otherwise. The buffer grows up to
	// MaxRecordBytes to hold a longer record.
	DefaultBufferBytes = 1 << 20
)

// Errors a Reader returns, wrapped in a *ParseError.
var (
	// ErrQuote reports a quoted field that is not closed, or a closing
	// quote followed by something other than a delimiter or line break.
	ErrQuote = errors.New("malformed quoted field")
	// ErrFieldCount reports a record whose field count differs from the
	// first record's.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrFieldTooLong reports a field longer than MaxFieldBytes.
	ErrFieldTooLong = errors.New("field too long")
	// ErrRecordTooLong reports a record longer than MaxRecordBytes.
	ErrRecordTooLong = errors.New("record too long")
	// ErrTooManyColumns reports a record with more than MaxColumns fields.
	ErrTooManyColumns = errors.New("too many columns")
)

// ParseError is the error a Reader returns for malformed or unreadable
// input.
type ParseError struct {
	// Record is the 1-based number of the record being read (the header,
	// if any, is record 1).
	Record int64
	// Line is the 1-based physical line at which the error was found.
	Line int64
	// Offset is the byte offset at which the error was found.
	Offset int64
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("record %d (line %d, byte %d): %v", e.Record, e.Line, e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Options configures a Reader. The zero value reads comma-separated
// records that all have the first record's field count.
type Options struct {
	// Comma is the field delimiter; 0 means ','. It must not be a quote,
	// CR or LF.
	Comma byte
	// FieldsPerRecord is the required field count: 0 takes it from the
	// first record, a negative value allows any count.
	FieldsPerRecord int
	// BufferBytes is the initial read buffer size (DefaultBufferBytes if
	// 0). Small values are for tests.
	BufferBytes int
}

// Reader reads records from delimited text. It is not safe for concurrent
// use.
type Reader struct {
	src    io.Reader
	comma  byte
	width  int // required field count: 0 not yet known, <0 any
	buf    []byte
	pos    int   // start of unread bytes in buf
	end    int   // end of valid bytes in buf
	base   int64 // stream offset of buf[0]
	eof    bool  // src is exhausted
	inited bool
	err    error // sticky

	line    int64 // physical line at buf[pos]
	records int64 // records returned
	recLine int64 // line of the last returned record
	recOff  int64 // offset of the last returned record

	fields  [][]byte
	scratch []byte // unescaped quoted fields of the current record
}

// NewReader returns a Reader that reads from src. It does not read until
// the first call to Read.
func NewReader(src io.Reader, opts Options) (*Reader, error) {
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\r' || comma == '\n' {
		return nil, fmt.Errorf("invalid delimiter %q", comma)
	}
	size := opts.BufferBytes
	if size <= 0 {
		size = DefaultBufferBytes
	}
	size = max(min(size, MaxRecordBytes), 4)
	return &Reader{
		src:   src,
		comma: comma,
		width: opts.FieldsPerRecord,
		buf:   make([]byte, size),
		line:  1,
	}, nil
}

// Line returns the 1-based physical line on which the last record read
// started.
func (r *Reader) Line() int64 { return r.recLine }

// Offset returns the byte offset at which the last record read started.
func (r *Reader) Offset() int64 { return r.recOff }

// Records returns the number of records read so far.
func (r *Reader) Records() int64 { return r.records }

// Read returns the next record, or io.EOF after the last one. The fields
// point into the Reader's buffer and stay valid only until the next call.
// Any other error is a *ParseError, and every later call returns it again.
func (r *Reader) Read() ([][]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.inited {
		if err := r.init(); err != nil {
			r.err = err
			return nil, err
		}
	}
	for {
		more, err := r.parseRecord()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			return nil, err
		}
		if !more {
			return r.fields, nil
		}
		if err := r.fill(); err != nil {
			r.err = err
			return nil, err
		}
	}
}

// init reads the first block, switches to gzip if the input is
// compressed, and skips a byte order mark.
func (r *Reader) init() error {
	r.inited = true
	if err := r.fill(); err != nil {
		return err
	}
	if r.end >= 2 && r.buf[0] == 0x1f && r.buf[1] == 0x8b {
		head := bytes.Clone(r.buf[:r.end])
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(head), r.src))
		if err != nil {
			return r.errorAt(0, fmt.Errorf("gzip: %w", err))
		}
		r.src, r.end, r.eof = zr, 0, false
		if err := r.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(r.buf[:r.end], []byte("\xef\xbb\xbf")) {
		r.pos = 3
	}
	return nil
}

// fill moves the unread bytes to the front of the buffer, grows it when
// they fill it, and reads more.
func (r *Reader) fill() error {
	if r.pos > 0 {
		copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.end -= r.pos
		r.pos = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= MaxRecordBytes {
			return r.errorAt(0, fmt.Errorf("%w (over %d bytes)", ErrRecordTooLong, MaxRecordBytes))
		}
		grown := make([]byte, min(2*len(r.buf), MaxRecordBytes))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	// Read until the buffer is full: gzip and pipes return short reads,
	// and every refill costs a rescan of the partial record.
	for empty := 0; r.end < len(r.buf); {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if n == 0 && err == nil {
			if empty++; empty == 100 {
				err = io.ErrNoProgress
			}
		}
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return r.errorAt(r.end, fmt.Errorf("read: %w", err))
		}
	}
	return nil
}

func (r *Reader) errorAt(i int, err error) *ParseError {
	return &ParseError{Record: r.records + 1, Line: r.line, Offset: r.base + int64(i), Err: err}
}

// parseRecord parses the record at buf[pos:end] into r.fields. It returns
// more when the buffered bytes end inside the record and the source may
// hold the rest; nothing is consumed then, and the caller fills the
// buffer and calls again. It returns io.EOF when no record is left.
func (r *Reader) parseRecord() (more bool, err error) {
	buf := r.buf[:r.end]
	comma := r.comma
	i := r.pos

	// Skip blank lines, consuming them for good.
	for r.width != 1 && i < len(buf) {
		if buf[i] == '\n' {
			i++
		} else if buf[i] == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			i += 2
		} else if buf[i] == '\r' && i+1 == len(buf) && !r.eof {
			return true, nil
		} else {
			break
		}
		r.pos = i
		r.line++
	}
	if i >= len(buf) {
		if r.eof {
			return false, io.EOF
		}
		return true, nil
	}

	start := i
	var lines int64 // line breaks inside quoted fields
	fields := r.fields[:0]
	r.scratch = r.scratch[:0]
	for {
		if len(fields) == MaxColumns {
			return false, r.errorAt(i, fmt.Errorf("%w (over %d)", ErrTooManyColumns, MaxColumns))
		}
		if i < len(buf) && buf[i] == '"' {
			// Quoted field: find the closing quote.
			open := i
			j := i + 1
			escaped := false
			for {
				k := bytes.IndexByte(buf[j:], '"')
				if k < 0 {
					if len(buf)-open > MaxFieldBytes {
						return false, r.fieldTooLong(open, lines)
					}
					if r.eof {
						r.line += lines
						return false, r.errorAt(open, fmt.Errorf("%w: quote opened here is never closed", ErrQuote))
					}
					return true, nil
				}
				j += k
				if j+1 < len(buf) && buf[j+1] == '"' {
					escaped = true
					j += 2
					continue
				}
				if j+1 == len(buf) && !r.eof {
					return true, nil // the next byte may be a quote
				}
				break
			}
			if j+1-open > MaxFieldBytes {
				return false, r.fieldTooLong(open, lines)
			}
			body := buf[open+1 : j]
			bodyLines := int64(bytes.Count(body, []byte{'\n'}))
			if escaped {
				body = r.unescape(body, len(buf)-start)
			}
			fields = append(fields, body)
			i = j + 1
			if i == len(buf) { // eof
				break
			}
			c := buf[i]
			if c == comma {
				lines += bodyLines
				i++
				if i == len(buf) && !r.eof {
					return true, nil
				}
				continue
			}
			if c == '\n' {
				lines += bodyLines
				i++
				break
			}
			if c == '\r' {
				if i+1 == len(buf) {
					if !r.eof {
						return true, nil
					}
					lines += bodyLines
					i++
					break
				}
				if buf[i+1] == '\n' {
					lines += bodyLines
					i += 2
					break
				}
			}
			r.line += lines + bodyLines
			return false, r.errorAt(i, fmt.Errorf("%w: %q after closing quote", ErrQuote, c))
		}

		// Unquoted field.
		j := i
		for j < len(buf) {
			c := buf[j]
			if c == comma || c == '\n' {
				break
			}
			j++
		}
		if j-i > MaxFieldBytes {
			return false, r.fieldTooLong(i, lines)
		}
		if j == len(buf) {
			if !r.eof {
				return true, nil
			}
			fields = append(fields, trimCR(buf[i:j]))
			i = j
			break
		}
		if buf[j] == '\n' {
			fields = append(fields, trimCR(buf[i:j]))
			i = j + 1
			break
		}
		fields = append(fields, buf[i:j])
		i = j + 1
		if i == len(buf) && !r.eof {
			return true, nil
		}
	}
	if i-start > MaxRecordBytes {
		return false, r.errorAt(start, fmt.Errorf("%w (over %d bytes)", ErrRecordTooLong, MaxRecordBytes))
	}
	r.fields = fields
	if r.width == 0 {
		r.width = len(fields)
	} else if r.width > 0 && len(fields) != r.width {
		return false, r.errorAt(start, fmt.Errorf("%w: %d, want %d", ErrFieldCount, len(fields), r.width))
	}
	r.records++
	r.recLine = r.line
	r.recOff = r.base + int64(start)
	r.line += lines
	if i > start && buf[i-1] == '\n' {
		r.line++
	}
	r.pos = i
	return false, nil
}

func (r *Reader) fieldTooLong(at int, lines int64) error {
	r.line += lines
	return r.errorAt(at, fmt.Errorf("%w (over %d bytes)", ErrFieldTooLong, MaxFieldBytes))
}

// unescape appends body with each "" turned into " to the scratch buffer
// and returns the appended part. The scratch buffer is sized once so that
// appends never move it: slices returned earlier for the same record stay
// valid.
func (r *Reader) unescape(body []byte, need int) []byte {
	if cap(r.scratch) < need {
		r.scratch = make([]byte, 0, max(need, len(r.buf)))
	}
	from := len(r.scratch)
	for {
		k := bytes.Index(body, []byte(`""`))
		if k < 0 {
			r.scratch = append(r.scratch, body...)
			break
		}
		r.scratch = append(r.scratch, body[:k+1]...)
		body = body[k+2:]
	}
	return r.scratch[from:len(r.scratch):len(r.scratch)]
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
