package pickle

import (
	"bytes"
	"errors"
	"io"
)

// bufSize is the size of the read buffer: the most the scanner holds of
// the stream at once.
const bufSize = 64 << 10

// seekMin is the shortest skip done with Seek rather than by reading.
const seekMin = 2 * bufSize

// reader is a buffered reader that counts the offset of every byte and
// skips long payloads without holding them.
type reader struct {
	src  io.Reader
	seek io.Seeker // nil when src cannot seek
	end  int64     // stream offset of the end of src, when seek is set
	buf  []byte
	r, w int
	base int64 // stream offset of buf[0]
	err  error // sticky error of src
}

func newReader(src io.Reader, base int64) *reader {
	rd := &reader{src: src, buf: make([]byte, bufSize), base: base}
	if s, ok := src.(io.Seeker); ok {
		// Only a seeker that reports its position and size is trusted to
		// skip: Seek past the end does not fail, so skip checks the size.
		cur, err1 := s.Seek(0, io.SeekCurrent)
		end, err2 := s.Seek(0, io.SeekEnd)
		_, err3 := s.Seek(cur, io.SeekStart)
		if err1 == nil && err2 == nil && err3 == nil && end >= cur {
			rd.seek, rd.end = s, base+end-cur
		}
	}
	return rd
}

// offset returns the stream offset of the next unread byte.
func (b *reader) offset() int64 { return b.base + int64(b.r) }

// fill moves the unread bytes to the front and reads more. It returns
// false when no byte was added.
func (b *reader) fill() bool {
	if b.err != nil {
		return false
	}
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.base += int64(b.r)
		b.w -= b.r
		b.r = 0
	}
	for range 100 {
		n, err := b.src.Read(b.buf[b.w:])
		b.w += n
		if err != nil {
			b.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	b.err = io.ErrNoProgress
	return false
}

// eofErr returns the error for a stream that ended early.
func (b *reader) eofErr() error {
	if b.err == nil || b.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return b.err
}

// atEOF reports whether the stream has no byte left; it reads to find out.
func (b *reader) atEOF() bool {
	return b.r == b.w && !b.fill()
}

func (b *reader) readByte() (byte, error) {
	if b.r < b.w {
		c := b.buf[b.r]
		b.r++
		return c, nil
	}
	if !b.fill() {
		return 0, b.eofErr()
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// take returns the next n bytes, n ≤ bufSize. The slice is valid until the
// next call.
func (b *reader) take(n int) ([]byte, error) {
	for b.w-b.r < n {
		if !b.fill() {
			return nil, b.eofErr()
		}
	}
	p := b.buf[b.r : b.r+n]
	b.r += n
	return p, nil
}

// skip discards the next n bytes.
func (b *reader) skip(n int64) error {
	if n < 0 {
		return errors.New("negative length")
	}
	if buffered := int64(b.w - b.r); n <= buffered {
		b.r += int(n)
		return nil
	}
	n -= int64(b.w - b.r)
	b.base += int64(b.w)
	b.r, b.w = 0, 0
	if b.seek != nil && n >= seekMin && b.err == nil {
		if b.base+n > b.end {
			b.base = b.end
			b.err = io.EOF
			return io.ErrUnexpectedEOF
		}
		if _, err := b.seek.Seek(n, io.SeekCurrent); err != nil {
			b.err = err
			return err
		}
		b.base += n
		return nil
	}
	for n > 0 {
		if !b.fill() {
			return b.eofErr()
		}
		m := min(n, int64(b.w))
		b.r = int(m)
		n -= m
	}
	return nil
}

// line reads up to and including the next '\n' and returns the bytes
// before it. A line longer than max is consumed whole and returned as nil
// with long set.
func (b *reader) line(max int) (s []byte, long bool, err error) {
	max = min(max, bufSize-1)
	scanned := 0
	for {
		if i := bytes.IndexByte(b.buf[b.r+scanned:b.w], '\n'); i >= 0 {
			end := b.r + scanned + i
			if end-b.r > max {
				b.r = end + 1
				return nil, true, nil
			}
			s = b.buf[b.r:end]
			b.r = end + 1
			return s, false, nil
		}
		scanned = b.w - b.r
		if scanned > max {
			return nil, true, b.skipLine()
		}
		if !b.fill() {
			return nil, false, b.eofErr()
		}
	}
}

// skipLine discards bytes up to and including the next '\n'.
func (b *reader) skipLine() error {
	for {
		if i := bytes.IndexByte(b.buf[b.r:b.w], '\n'); i >= 0 {
			b.r += i + 1
			return nil
		}
		b.r = b.w
		if !b.fill() {
			return b.eofErr()
		}
	}
}
