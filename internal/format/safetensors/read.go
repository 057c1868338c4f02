package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// prefixLen is the size of the header length that starts every file.
const prefixLen = 8

// ReadHeader reads and checks the header of a safetensors file of size
// bytes from r, and leaves r at the first byte of the data buffer without
// reading any of it. It checks everything that does not need the data:
// the header itself, and that the tensors' offsets tile a buffer of
// size-Header.DataStart bytes exactly, each holding as many bytes as its
// dtype and shape need. Malformed input, a file beyond lim, and a reader
// that ends before the header does give an error wrapping ErrFormat.
func ReadHeader(r io.Reader, size int64, lim Limits) (*Header, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	return readHeader(r, size, lim)
}

// Read reads and checks a whole safetensors file of size bytes from r. It
// reads exactly size bytes. The tensors' Data share one buffer. Malformed
// input, a file beyond lim, and a reader that ends before size bytes give
// an error wrapping ErrFormat.
func Read(r io.Reader, size int64, lim Limits) (*File, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	if size > lim.MaxFileBytes {
		return nil, errorf("file of %d bytes exceeds the limit of %d bytes", size, lim.MaxFileBytes)
	}
	h, err := readHeader(r, size, lim)
	if err != nil {
		return nil, err
	}
	data, err := readFull(r, size-h.DataStart)
	if err != nil {
		return nil, readError("data", h.DataStart+int64(len(data)), size, err)
	}
	f := &File{Metadata: h.Metadata, Tensors: make([]Tensor, len(h.Tensors))}
	for i, t := range h.Tensors {
		f.Tensors[i] = Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Data: data[t.Begin:t.End:t.End]}
	}
	return f, nil
}

func readHeader(r io.Reader, size int64, lim Limits) (*Header, error) {
	if size < prefixLen {
		return nil, errorf("file of %d bytes is shorter than the %d-byte header length", size, prefixLen)
	}
	var prefix [prefixLen]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, readError("header length", int64(n), size, err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > uint64(lim.MaxHeaderBytes) {
		return nil, errorAt(0, "header length %d exceeds the limit of %d bytes", n, lim.MaxHeaderBytes)
	}
	if n > uint64(size-prefixLen) {
		return nil, errorAt(0, "header length %d runs past the end of the %d-byte file", n, size)
	}
	hdr, err := readFull(r, int64(n))
	if err != nil {
		return nil, readError("header", prefixLen+int64(len(hdr)), size, err)
	}
	return parseHeader(hdr, size-prefixLen-int64(n), lim)
}

// readError reports a failed read: a stream that ends early is a
// truncated file (ErrFormat and io.ErrUnexpectedEOF), any other failure
// the reader's own.
func readError(what string, offset, size int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorAt(offset, "file ends inside the %s, before its stated size of %d bytes: %w",
			what, size, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("safetensors: read %s: %w", what, err)
}

// readFull reads exactly n bytes. Its buffer grows as bytes arrive, so a
// stream much shorter than n never makes it allocate n bytes.
func readFull(r io.Reader, n int64) ([]byte, error) {
	const firstChunk = 1 << 20
	if n > math.MaxInt {
		return nil, errorf("%d bytes do not fit in memory", n)
	}
	buf := make([]byte, 0, min(n, firstChunk))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// parseHeader parses the JSON header hdr and checks it against a data
// buffer of bufLen bytes.
func parseHeader(hdr []byte, bufLen int64, lim Limits) (*Header, error) {
	if len(hdr) == 0 {
		return nil, errorAt(prefixLen, "header is empty")
	}
	if !utf8.Valid(hdr) {
		return nil, errorAt(prefixLen+invalidUTF8(hdr), "header is not valid UTF-8")
	}
	if hdr[0] != '{' {
		r, _ := utf8.DecodeRune(hdr)
		return nil, errorAt(prefixLen, "header starts with %q, not '{'", r)
	}
	if err := checkEscapes(hdr); err != nil {
		return nil, err
	}
	p := &parser{hdr: hdr, dec: json.NewDecoder(bytes.NewReader(hdr))}
	p.dec.UseNumber()
	if _, err := p.token(); err != nil { // the '{' checked above
		return nil, err
	}
	h := &Header{DataStart: prefixLen + int64(len(hdr))}
	seen := make(map[string]bool)
	for p.dec.More() {
		at := p.start()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, errorAt(at, "duplicate key %s", short(key))
		}
		seen[key] = true
		if key == metadataKey {
			if h.Metadata, err = p.metadata(lim.MaxMetadataEntries); err != nil {
				return nil, err
			}
			continue
		}
		if len(h.Tensors) == lim.MaxTensors {
			return nil, errorAt(at, "more than %d tensors", lim.MaxTensors)
		}
		t, err := p.tensor(key, lim.MaxRank, bufLen)
		if err != nil {
			return nil, err
		}
		h.Tensors = append(h.Tensors, t)
	}
	if _, err := p.token(); err != nil { // the closing '}'
		return nil, err
	}
	for i := p.dec.InputOffset(); i < int64(len(hdr)); i++ {
		if hdr[i] != ' ' {
			return nil, errorAt(prefixLen+i, "%q after the header object, where only space padding may follow", hdr[i])
		}
	}
	if err := checkTiling(h.Tensors, bufLen); err != nil {
		return nil, err
	}
	return h, nil
}

// checkTiling sorts tensors by offset and checks that they cover a data
// buffer of bufLen bytes exactly: no gap, no overlap, nothing after them.
func checkTiling(tensors []TensorInfo, bufLen int64) error {
	slices.SortFunc(tensors, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(a.End, b.End), strings.Compare(a.Name, b.Name))
	})
	var end int64
	for i, t := range tensors {
		switch {
		case t.Begin > end && i == 0:
			return errorf("tensor %s: data_offsets [%d, %d] leave a gap of %d bytes at the start of the data buffer",
				short(t.Name), t.Begin, t.End, t.Begin)
		case t.Begin > end:
			return errorf("tensor %s: data_offsets [%d, %d] leave a gap of %d bytes after tensor %s, which ends at %d",
				short(t.Name), t.Begin, t.End, t.Begin-end, short(tensors[i-1].Name), end)
		case t.Begin < end:
			return errorf("tensor %s: data_offsets [%d, %d] overlap tensor %s, which ends at %d",
				short(t.Name), t.Begin, t.End, short(tensors[i-1].Name), end)
		}
		end = t.End
	}
	if end != bufLen {
		return errorf("%d trailing bytes: the data buffer holds %d bytes, the tensors end at %d", bufLen-end, bufLen, end)
	}
	return nil
}

// invalidUTF8 returns the index of the first byte of b that is not valid
// UTF-8.
func invalidUTF8(b []byte) int64 {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return int64(i)
		}
		i += n
	}
	return -1
}

// checkEscapes refuses a \u escape of a lone UTF-16 surrogate, which
// encoding/json would quietly turn into U+FFFD and the reference
// implementation refuses. Backslashes outside strings are left to the
// decoder, which refuses them.
func checkEscapes(hdr []byte) error {
	for i := 0; i < len(hdr)-1; i++ {
		if hdr[i] != '\\' {
			continue
		}
		if hdr[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r, ok := hex4(hdr[i+2:])
		if !ok {
			continue // the decoder refuses a bad escape
		}
		if r >= 0xd800 && r < 0xdc00 && len(hdr) >= i+12 && hdr[i+6] == '\\' && hdr[i+7] == 'u' {
			if r2, ok := hex4(hdr[i+8:]); ok && r2 >= 0xdc00 && r2 < 0xe000 {
				i += 11
				continue
			}
		}
		if r >= 0xd800 && r < 0xe000 {
			return errorAt(prefixLen+int64(i), "lone UTF-16 surrogate %s in a string", hdr[i:i+6])
		}
		i += 5
	}
	return nil
}

// hex4 decodes four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(v), err == nil
}

// parser walks the header with encoding/json's tokenizer. It never
// descends into a value it does not expect, so nesting depth stays at
// three.
type parser struct {
	hdr []byte
	dec *json.Decoder
}

// start returns the file offset of the next token.
func (p *parser) start() int64 {
	i := p.dec.InputOffset()
	for i < int64(len(p.hdr)) && strings.IndexByte(" \t\r\n:,", p.hdr[i]) >= 0 {
		i++
	}
	return prefixLen + i
}

func (p *parser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return nil, errorAt(prefixLen+se.Offset, "header is not valid JSON: %v", se)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errorAt(prefixLen+int64(len(p.hdr)), "header ends inside its JSON object")
	}
	return nil, errorAt(p.start(), "header is not valid JSON: %v", err)
}

// key reads an object key (the decoder accepts only strings there).
func (p *parser) key() (string, error) {
	at := p.start()
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorAt(at, "want an object key, got %s", describe(tok))
	}
	return s, nil
}

// open reads the '{' or '[' that starts a value of the tensor called
// name (none for the metadata); want says what was wanted when the value
// is something else.
func (p *parser) open(delim json.Delim, name *string, want string) error {
	at := p.start()
	tok, err := p.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != delim {
		if name != nil {
			return errorAt(at, "tensor %s: %s, got %s", short(*name), want, describe(tok))
		}
		return errorAt(at, "%s, got %s", want, describe(tok))
	}
	return nil
}

// metadata reads the "__metadata__" object of strings.
func (p *parser) metadata(maxEntries int) (map[string]string, error) {
	if err := p.open('{', nil, metadataKey+" must be an object of strings"); err != nil {
		return nil, err
	}
	m := make(map[string]string)
	for p.dec.More() {
		at := p.start()
		if len(m) == maxEntries {
			return nil, errorAt(at, "%s: more than %d entries", metadataKey, maxEntries)
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errorAt(at, "%s: duplicate key %s", metadataKey, short(k))
		}
		at = p.start()
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, errorAt(at, "%s: value of %s must be a string, got %s", metadataKey, short(k), describe(tok))
		}
		m[k] = v
	}
	_, err := p.token()
	return m, err
}

// tensor reads one tensor entry and checks it against a data buffer of
// bufLen bytes.
func (p *parser) tensor(name string, maxRank int, bufLen int64) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	entry := p.start()
	if err := p.open('{', &name, "entry must be an object"); err != nil {
		return t, err
	}
	var begin, end uint64
	fields := [...]string{"dtype", "shape", "data_offsets"}
	var have [len(fields)]bool
	for p.dec.More() {
		at := p.start()
		field, err := p.key()
		if err != nil {
			return t, err
		}
		k := slices.Index(fields[:], field)
		if k < 0 {
			return t, errorAt(at, "tensor %s: unknown field %s", short(name), short(field))
		}
		if have[k] {
			return t, errorAt(at, "tensor %s: duplicate field %q", short(name), field)
		}
		have[k] = true
		switch k {
		case 0:
			t.DType, err = p.dtype(name)
		case 1:
			t.Shape, err = p.shape(name, maxRank)
		case 2:
			begin, end, err = p.offsets(name)
		}
		if err != nil {
			return t, err
		}
	}
	if _, err := p.token(); err != nil {
		return t, err
	}
	for k, ok := range have {
		if !ok {
			return t, errorAt(entry, "tensor %s: missing field %q", short(name), fields[k])
		}
	}
	switch {
	case end < begin:
		return t, errorf("tensor %s: data_offsets [%d, %d] end before they begin", short(name), begin, end)
	case end > uint64(bufLen):
		return t, errorf("tensor %s: data_offsets [%d, %d] run past the end of the %d-byte data buffer",
			short(name), begin, end, bufLen)
	}
	t.Begin, t.End = int64(begin), int64(end)
	n, err := byteLen(t.DType, t.Shape)
	if err != nil {
		return t, errorf("tensor %s: %v", short(name), err)
	}
	if int64(n) != t.End-t.Begin {
		return t, errorf("tensor %s: data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d",
			short(name), begin, end, end-begin, t.Shape, t.DType, n)
	}
	return t, nil
}

func (p *parser) dtype(name string) (DType, error) {
	at := p.start()
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorAt(at, "tensor %s: dtype must be a string, got %s", short(name), describe(tok))
	}
	d := DType(s)
	switch {
	case d.Size() > 0:
		return d, nil
	case s == "F4" || s == "F6_E2M3" || s == "F6_E3M2":
		return "", errorAt(at, "tensor %s: sub-byte dtype %s is not supported", short(name), s)
	}
	return "", errorAt(at, "tensor %s: unknown dtype %s", short(name), short(s))
}

func (p *parser) shape(name string, maxRank int) ([]int, error) {
	if err := p.open('[', &name, "shape must be an array"); err != nil {
		return nil, err
	}
	shape := []int{}
	for p.dec.More() {
		at := p.start()
		if len(shape) == maxRank {
			return nil, errorAt(at, "tensor %s: shape has more than %d dimensions", short(name), maxRank)
		}
		v, err := p.integer(name, "shape")
		if err != nil {
			return nil, err
		}
		if v > math.MaxInt {
			return nil, errorAt(at, "tensor %s: dimension %d is too large", short(name), v)
		}
		shape = append(shape, int(v))
	}
	_, err := p.token()
	return shape, err
}

func (p *parser) offsets(name string) (begin, end uint64, err error) {
	const want = "data_offsets must be an array of two integers"
	at := p.start()
	if err := p.open('[', &name, want); err != nil {
		return 0, 0, err
	}
	var v [2]uint64
	for i := range v {
		if !p.dec.More() {
			return 0, 0, errorAt(at, "tensor %s: %s, got %d", short(name), want, i)
		}
		if v[i], err = p.integer(name, "data_offsets"); err != nil {
			return 0, 0, err
		}
	}
	if p.dec.More() {
		return 0, 0, errorAt(at, "tensor %s: %s, got more", short(name), want)
	}
	_, err = p.token()
	return v[0], v[1], err
}

// integer reads a non-negative integer written without fraction or
// exponent.
func (p *parser) integer(name, field string) (uint64, error) {
	at := p.start()
	tok, err := p.token()
	if err != nil {
		return 0, err
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, errorAt(at, "tensor %s: %s holds %s, not an integer", short(name), field, describe(tok))
	}
	s := string(num)
	v, err := strconv.ParseUint(s, 10, 64)
	switch {
	case err == nil:
		return v, nil
	case strings.HasPrefix(s, "-"):
		return 0, errorAt(at, "tensor %s: %s holds the negative number %s", short(name), field, clip(s))
	case strings.ContainsAny(s, ".eE"):
		return 0, errorAt(at, "tensor %s: %s holds %s, not an integer", short(name), field, clip(s))
	}
	return 0, errorAt(at, "tensor %s: %s holds %s, beyond 64 bits", short(name), field, clip(s))
}

// describe names the kind of a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", rune(v))
	case string:
		return "the string " + short(v)
	case json.Number:
		return "the number " + clip(string(v))
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
