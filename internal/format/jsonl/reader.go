// Package jsonl reads JSON Lines from untrusted input: one flat JSON object
// a line, whose values are numbers, strings, booleans or null.
//
// Reader scans each line by hand over a large read buffer; keys and values
// are byte slices into that buffer (or into a scratch buffer when a string
// holds escapes) and stay valid until the next call to Read. Strings decode
// as encoding/json decodes them: escapes are resolved and invalid UTF-8
// and lone surrogates become U+FFFD. Numbers are returned as their text,
// checked against the JSON grammar.
//
// Refused with an error: nested objects and arrays, a key given twice in
// one object, anything after the object's closing brace on its line, and
// input beyond MaxLineBytes or MaxKeys. Blank lines are skipped. Gzip input
// (magic 0x1f 0x8b) is decompressed on the fly.
package jsonl

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on untrusted input.
const (
	// MaxLineBytes is the longest line, line break included.
	MaxLineBytes = 16 << 20
	// MaxKeys is the largest number of keys in one object.
	MaxKeys = 1 << 16
	// DefaultBufferBytes is the initial read buffer size; it grows up to
	// MaxLineBytes to hold a longer line.
	DefaultBufferBytes = 1 << 20
)

// Errors a Reader returns, wrapped in a *SyntaxError.
var (
	// ErrSyntax reports text that is not a JSON object.
	ErrSyntax = errors.New("invalid JSON")
	// ErrNested reports an object or array as a value.
	ErrNested = errors.New("nested value not supported")
	// ErrDuplicateKey reports a key given twice in one object.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrLineTooLong reports a line longer than MaxLineBytes.
	ErrLineTooLong = errors.New("line too long")
	// ErrTooManyKeys reports an object with more than MaxKeys keys.
	ErrTooManyKeys = errors.New("too many keys")
)

// SyntaxError is the error a Reader returns for malformed or unreadable
// input.
type SyntaxError struct {
	// Record is the 1-based number of the object being read (blank lines
	// are not counted).
	Record int64
	// Line is the 1-based physical line.
	Line int64
	// Offset is the byte offset at which the error was found.
	Offset int64
	Err    error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("record %d (line %d, byte %d): %v", e.Record, e.Line, e.Offset, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Kind is the JSON type of a value.
type Kind uint8

// Value kinds.
const (
	Null Kind = iota + 1
	Bool
	Number
	String
)

// Field is one key and its value. Value holds a number's text, a string's
// decoded bytes, "true" or "false", or nil for null.
type Field struct {
	Key   []byte
	Kind  Kind
	Value []byte
}

// Options configures a Reader.
type Options struct {
	// BufferBytes is the initial read buffer size (DefaultBufferBytes if
	// 0). Small values are for tests.
	BufferBytes int
}

// Reader reads objects from JSON Lines. It is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	buf    []byte
	pos    int   // start of unread bytes in buf
	end    int   // end of valid bytes in buf
	base   int64 // stream offset of buf[0]
	eof    bool
	inited bool
	err    error // sticky

	line    int64 // physical line at buf[pos]
	records int64
	recLine int64
	recOff  int64

	fields  []Field
	scratch []byte  // decoded strings of the current line
	fixups  []fixup // fields whose bytes live in scratch
	order   []int32 // duplicate check of wide objects
}

// fixup records a key or value decoded into scratch, whose slice is set
// once the line is parsed (scratch may move while it grows).
type fixup struct {
	field      int32
	key        bool
	start, end int32
}

// NewReader returns a Reader that reads from src. It does not read until
// the first call to Read.
func NewReader(src io.Reader, opts Options) *Reader {
	size := opts.BufferBytes
	if size <= 0 {
		size = DefaultBufferBytes
	}
	size = max(min(size, MaxLineBytes), 4)
	return &Reader{src: src, buf: make([]byte, size), line: 1}
}

// Line returns the physical line of the last object read.
func (r *Reader) Line() int64 { return r.recLine }

// Offset returns the byte offset of the line of the last object read.
func (r *Reader) Offset() int64 { return r.recOff }

// Records returns the number of objects read so far.
func (r *Reader) Records() int64 { return r.records }

// Read returns the fields of the next object in their order on the line,
// or io.EOF after the last one. Any other error is a *SyntaxError, and
// every later call returns it again.
func (r *Reader) Read() ([]Field, error) {
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
		line, next, err := r.nextLine()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			return nil, err
		}
		start := r.pos
		if isBlank(line) {
			r.pos = next
			r.line++
			continue
		}
		r.records++
		if err := r.parseLine(line, start); err != nil {
			r.err = err
			return nil, err
		}
		r.recLine, r.recOff = r.line, r.base+int64(start)
		r.pos = next
		r.line++
		return r.fields, nil
	}
}

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

// nextLine returns the line at pos without its line break, and the
// position after the break.
func (r *Reader) nextLine() (line []byte, next int, err error) {
	for {
		if k := bytes.IndexByte(r.buf[r.pos:r.end], '\n'); k >= 0 {
			if k+1 > MaxLineBytes {
				return nil, 0, r.errorAt(r.pos, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLineBytes))
			}
			return r.buf[r.pos : r.pos+k], r.pos + k + 1, nil
		}
		if r.eof {
			if r.pos == r.end {
				return nil, 0, io.EOF
			}
			return r.buf[r.pos:r.end], r.end, nil
		}
		if err := r.fill(); err != nil {
			return nil, 0, err
		}
	}
}

func (r *Reader) fill() error {
	if r.pos > 0 {
		copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.end -= r.pos
		r.pos = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= MaxLineBytes {
			return r.errorAt(0, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLineBytes))
		}
		grown := make([]byte, min(2*len(r.buf), MaxLineBytes))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
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

func (r *Reader) errorAt(i int, err error) *SyntaxError {
	rec := r.records
	if rec == 0 {
		rec = 1
	}
	return &SyntaxError{Record: rec, Line: r.line, Offset: r.base + int64(i), Err: err}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// parseLine parses one object; base is the line's position in buf, for
// error offsets.
func (r *Reader) parseLine(line []byte, base int) error {
	r.fields = r.fields[:0]
	r.scratch = r.scratch[:0]
	r.fixups = r.fixups[:0]
	fail := func(i int, err error) error { return r.errorAt(base+i, err) }
	syntax := func(i int, what string) error {
		if i >= len(line) {
			return fail(i, fmt.Errorf("%w: unexpected end of line, want %s", ErrSyntax, what))
		}
		return fail(i, fmt.Errorf("%w: unexpected %q, want %s", ErrSyntax, line[i], what))
	}
	skip := func(i int) int {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		return i
	}

	i := skip(0)
	if i >= len(line) || line[i] != '{' {
		return syntax(i, "an object")
	}
	i = skip(i + 1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			if len(r.fields) == MaxKeys {
				return fail(i, fmt.Errorf("%w (over %d)", ErrTooManyKeys, MaxKeys))
			}
			if i >= len(line) || line[i] != '"' {
				return syntax(i, "a key")
			}
			n := len(r.fields)
			r.fields = append(r.fields, Field{})
			key, j, err := r.parseString(line, i, n, true)
			if err != nil {
				return fail(j, err)
			}
			r.fields[n].Key = key
			i = skip(j)
			if i >= len(line) || line[i] != ':' {
				return syntax(i, "':'")
			}
			i = skip(i + 1)
			if i >= len(line) {
				return syntax(i, "a value")
			}
			f := &r.fields[n]
			switch c := line[i]; {
			case c == '"':
				f.Kind = String
				if f.Value, i, err = r.parseString(line, i, n, false); err != nil {
					return fail(i, err)
				}
			case c == '-' || c-'0' <= 9:
				f.Kind = Number
				j := scanNumber(line, i)
				if j < 0 {
					return fail(i, fmt.Errorf("%w: malformed number", ErrSyntax))
				}
				f.Value, i = line[i:j], j
			case bytes.HasPrefix(line[i:], []byte("true")):
				f.Kind, f.Value, i = Bool, line[i:i+4], i+4
			case bytes.HasPrefix(line[i:], []byte("false")):
				f.Kind, f.Value, i = Bool, line[i:i+5], i+5
			case bytes.HasPrefix(line[i:], []byte("null")):
				f.Kind, i = Null, i+4
			case c == '{' || c == '[':
				return fail(i, fmt.Errorf("%w: key %q holds an object or array", ErrNested, r.keyText(n)))
			default:
				return syntax(i, "a value")
			}
			i = skip(i)
			if i < len(line) && line[i] == ',' {
				i = skip(i + 1)
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return syntax(i, "',' or '}'")
		}
	}
	if i = skip(i); i < len(line) {
		return fail(i, fmt.Errorf("%w: text after the object", ErrSyntax))
	}
	for _, fx := range r.fixups {
		b := r.scratch[fx.start:fx.end:fx.end]
		if fx.key {
			r.fields[fx.field].Key = b
		} else {
			r.fields[fx.field].Value = b
		}
	}
	if dup, ok := r.duplicate(); ok {
		return fail(0, fmt.Errorf("%w %q", ErrDuplicateKey, dup))
	}
	return nil
}

// keyText returns field n's key while fixups may still be pending.
func (r *Reader) keyText(n int) []byte {
	for _, fx := range r.fixups {
		if int(fx.field) == n && fx.key {
			return r.scratch[fx.start:fx.end]
		}
	}
	return r.fields[n].Key
}

// duplicate returns a key that appears twice in r.fields.
func (r *Reader) duplicate() ([]byte, bool) {
	fs := r.fields
	if len(fs) <= 16 {
		for i := 1; i < len(fs); i++ {
			for j := range i {
				if bytes.Equal(fs[i].Key, fs[j].Key) {
					return fs[i].Key, true
				}
			}
		}
		return nil, false
	}
	r.order = r.order[:0]
	for i := range fs {
		r.order = append(r.order, int32(i))
	}
	slices.SortFunc(r.order, func(a, b int32) int { return bytes.Compare(fs[a].Key, fs[b].Key) })
	for i := 1; i < len(r.order); i++ {
		if k := fs[r.order[i]].Key; bytes.Equal(k, fs[r.order[i-1]].Key) {
			return k, true
		}
	}
	return nil, false
}

// parseString parses the string whose opening quote is at line[i]. It
// returns the decoded bytes and the position after the closing quote, or
// an error and the position of the fault. Decoded bytes that differ from
// the source go to scratch and are recorded as a fixup of field n; the
// returned slice is then nil.
func (r *Reader) parseString(line []byte, i, n int, key bool) ([]byte, int, error) {
	start := i + 1
	j := start
	for j < len(line) {
		c := line[j]
		if c == '"' {
			return line[start:j], j + 1, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		j++
	}
	// Slow path: escapes, control bytes or non-ASCII text.
	from := len(r.scratch)
	r.scratch = append(r.scratch, line[start:j]...)
	for j < len(line) {
		c := line[j]
		switch {
		case c == '"':
			r.fixups = append(r.fixups, fixup{field: int32(n), key: key, start: int32(from), end: int32(len(r.scratch))})
			return nil, j + 1, nil
		case c < 0x20:
			return nil, j, fmt.Errorf("%w: control character %q in string", ErrSyntax, c)
		case c == '\\':
			if j+1 >= len(line) {
				return nil, j, fmt.Errorf("%w: unterminated escape", ErrSyntax)
			}
			switch e := line[j+1]; e {
			case '"', '\\', '/':
				r.scratch = append(r.scratch, e)
				j += 2
			case 'b':
				r.scratch, j = append(r.scratch, '\b'), j+2
			case 'f':
				r.scratch, j = append(r.scratch, '\f'), j+2
			case 'n':
				r.scratch, j = append(r.scratch, '\n'), j+2
			case 'r':
				r.scratch, j = append(r.scratch, '\r'), j+2
			case 't':
				r.scratch, j = append(r.scratch, '\t'), j+2
			case 'u':
				r1, ok := hex4(line, j+2)
				if !ok {
					return nil, j, fmt.Errorf("%w: malformed \\u escape", ErrSyntax)
				}
				j += 6
				if utf16.IsSurrogate(r1) {
					// A pair decodes to one rune; anything else is U+FFFD.
					r2, ok := rune(-1), false
					if j+1 < len(line) && line[j] == '\\' && line[j+1] == 'u' {
						r2, ok = hex4(line, j+2)
					}
					if dec := utf16.DecodeRune(r1, r2); ok && dec != utf8.RuneError {
						j += 6
						r1 = dec
					} else {
						r1 = utf8.RuneError
					}
				}
				r.scratch = utf8.AppendRune(r.scratch, r1)
			default:
				return nil, j, fmt.Errorf("%w: invalid escape %q", ErrSyntax, line[j:j+2])
			}
		case c < utf8.RuneSelf:
			r.scratch = append(r.scratch, c)
			j++
		default:
			rr, size := utf8.DecodeRune(line[j:])
			if rr == utf8.RuneError && size == 1 {
				r.scratch = utf8.AppendRune(r.scratch, utf8.RuneError)
			} else {
				r.scratch = append(r.scratch, line[j:j+size]...)
			}
			j += size
		}
	}
	return nil, j, fmt.Errorf("%w: unterminated string", ErrSyntax)
}

// hex4 decodes the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// scanNumber returns the end of the JSON number at b[i:], or -1 if there
// is none.
func scanNumber(b []byte, i int) int {
	digits := func(i int) int {
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' <= 8:
		i = digits(i + 1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
