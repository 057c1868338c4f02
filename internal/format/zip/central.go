package ziparch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxCommentSearch bounds the search for the end-of-central-directory
// record: the record (22 bytes) plus the longest comment.
const maxCommentSearch = 22 + 0xFFFF

// readCentral reads the central directory's entries.
func (a *Archive) readCentral() ([]Member, error) {
	dirOff, count, err := a.findDirectory()
	if err != nil {
		return nil, err
	}
	if count > uint64(a.lim.MaxMembers) {
		return nil, fmt.Errorf("central directory lists %d members, more than %d: %w", count, a.lim.MaxMembers, ErrLimit)
	}
	var out []Member
	off := dirOff
	for range count {
		m, next, err := a.readCentralEntry(off)
		if err != nil {
			return out, err
		}
		out = append(out, m)
		off = next
	}
	return out, nil
}

// findDirectory locates the central directory from the end record,
// following the zip64 locator when the record is saturated.
func (a *Archive) findDirectory() (off int64, count uint64, err error) {
	n := min(a.size, maxCommentSearch)
	if n < 22 {
		return 0, 0, errors.New("file too short for an end-of-central-directory record")
	}
	tail := make([]byte, n)
	if _, err := a.r.ReadAt(tail, a.size-n); err != nil && err != io.EOF {
		return 0, 0, err
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	if i < 0 || len(tail)-i < 22 {
		return 0, 0, errors.New("no end-of-central-directory record")
	}
	end := le(tail[i+10:])
	count, dirOff := uint64(end.u16()), int64(0)
	end.u32() // directory size
	dirOff = int64(end.u32())
	endAt := a.size - n + int64(i)
	if count == 0xFFFF || dirOff == 0xFFFFFFFF {
		if c, o, ok := a.zip64End(endAt); ok {
			count, dirOff = c, o
		}
	}
	if dirOff < 0 || dirOff > a.size {
		return 0, 0, fmt.Errorf("central directory offset %d outside the file", dirOff)
	}
	return dirOff, count, nil
}

// zip64End reads the zip64 end record through the locator before endAt.
func (a *Archive) zip64End(endAt int64) (count uint64, off int64, ok bool) {
	var loc [20]byte
	if endAt < 20 {
		return 0, 0, false
	}
	if _, err := a.r.ReadAt(loc[:], endAt-20); err != nil {
		return 0, 0, false
	}
	b := le(loc[:])
	if b.u32() != sigLoc64 {
		return 0, 0, false
	}
	b.u32()
	recOff := int64(b.u64() & (1<<63 - 1))
	var rec [56]byte
	if _, err := a.r.ReadAt(rec[:], recOff); err != nil {
		return 0, 0, false
	}
	r := le(rec[:])
	if r.u32() != sigEnd64 {
		return 0, 0, false
	}
	r = r[28:] // size, versions, disk numbers, entries on this disk
	count = r.u64()
	r.u64() // directory size
	return count, int64(r.u64() & (1<<63 - 1)), true
}

// readCentralEntry reads the central directory entry at off.
func (a *Archive) readCentralEntry(off int64) (Member, int64, error) {
	var fixed [46]byte
	var m Member
	if _, err := a.r.ReadAt(fixed[:], off); err != nil {
		return m, 0, fmt.Errorf("central directory entry at %d: %w", off, err)
	}
	b := le(fixed[:])
	if b.u32() != sigCentral {
		return m, 0, fmt.Errorf("no central directory signature at %d", off)
	}
	b.u32() // versions
	b.u16() // flags: the local header's are the ones reported
	m.Method = b.u16()
	b.u32() // time, date
	m.CRC32 = b.u32()
	csize, usize := uint64(b.u32()), uint64(b.u32())
	nameLen, extraLen, commentLen := int64(b.u16()), int64(b.u16()), int64(b.u16())
	b.u32() // disk, internal attributes
	b.u32() // external attributes
	hdr := int64(b.u32())
	tail := make([]byte, nameLen+extraLen)
	if _, err := a.r.ReadAt(tail, off+46); err != nil {
		return m, 0, fmt.Errorf("central directory entry at %d: %w", off, err)
	}
	m.Name = string(tail[:nameLen])
	zip64(tail[nameLen:], &usize, &csize, &hdr)
	m.CompressedSize, m.Size = int64(csize&(1<<63-1)), int64(usize&(1<<63-1))
	m.Offset, m.Central = hdr, true
	return m, off + 46 + nameLen + extraLen + commentLen, nil
}
