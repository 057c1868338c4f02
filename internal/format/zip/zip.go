// Package ziparch reads ZIP archives the tolerant way PyTorch and NumPy
// do, for scanners that must see every member a loader could read.
//
// Open lists members from the central directory and, independently, by
// walking the local file headers from the start of the file, so a member
// missing from one of them, a local name that differs from the central
// one (CVE-2025-1944), or a missing or corrupt central directory does not
// hide anything. Flag bits that stricter readers refuse (0x1 "encrypted",
// 0x20, 0x40: CVE-2025-1945) are reported and otherwise ignored, as
// PyTorch ignores them; CRC mismatches are reported, not fatal. Members
// are stored or deflated; Limits bounds member counts, sizes and the
// decompression ratio (zip bombs).
package ziparch

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// Default limits, used where a Limits field is zero.
const (
	// DefaultMaxMembers caps the members of one archive.
	DefaultMaxMembers = 1 << 16
	// DefaultMaxMemberBytes caps the uncompressed bytes read from one
	// member.
	DefaultMaxMemberBytes = 1 << 40
	// DefaultMaxRatio caps uncompressed/compressed bytes of a deflated
	// member (once more than ratioSlack bytes came out).
	DefaultMaxRatio = 200
)

// ratioSlack is the output a deflated member may produce before its
// compression ratio is checked.
const ratioSlack = 1 << 20

// Limits bounds what Open and Member readers accept. A zero field takes
// its Default value.
type Limits struct {
	MaxMembers     int
	MaxMemberBytes int64
	MaxRatio       int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = DefaultMaxMemberBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// Signatures of ZIP records.
const (
	sigLocal   = 0x04034b50
	sigCentral = 0x02014b50
	sigEnd     = 0x06054b50
	sigEnd64   = 0x06064b50
	sigLoc64   = 0x07064b50
)

// Magic is the prefix of a ZIP file that starts with a member.
const Magic = "PK\x03\x04"

// Compression methods.
const (
	Store   = 0
	Deflate = 8
)

// ErrLimit marks an archive or member beyond the Limits.
var ErrLimit = errors.New("limit exceeded")

// ErrFormat marks an archive in which neither the central directory nor
// the local headers list a member.
var ErrFormat = errors.New("not a ZIP archive")

// Member is one member of an archive, as its local header and the central
// directory describe it.
type Member struct {
	// Name is the central directory's name when the member is listed
	// there (the name PyTorch and NumPy look up), else the local name.
	Name string
	// LocalName is the name in the local header.
	LocalName string
	// Central and Local say where the member was found.
	Central, Local bool
	// Offset is the file offset of the local header, DataOffset of the
	// member's data.
	Offset, DataOffset int64
	Method             uint16
	// Flags are the general-purpose bits of the local header.
	Flags                uint16
	CompressedSize, Size int64
	CRC32                uint32
}

// IssueKind names an irregularity of an archive.
type IssueKind string

// Issue kinds.
const (
	NameMismatch       IssueKind = "local_central_mismatch"
	OddFlags           IssueKind = "flags"
	NoCentralDirectory IssueKind = "no_central_directory"
	LocalOnly          IssueKind = "local_only"
	CentralOnly        IssueKind = "central_only"
	BadLocalHeader     IssueKind = "bad_local_header"
)

// Issue is an irregularity found while listing an archive.
type Issue struct {
	Kind   IssueKind
	Member string
	Offset int64
	Detail string
}

// Archive is a listed archive.
type Archive struct {
	r       io.ReaderAt
	size    int64
	lim     Limits
	Members []Member
	Issues  []Issue
}

func (a *Archive) issue(k IssueKind, member string, off int64, format string, args ...any) {
	a.Issues = append(a.Issues, Issue{Kind: k, Member: member, Offset: off, Detail: fmt.Sprintf(format, args...)})
}

// Open lists the members of the size-byte archive r. It fails only when
// no member can be found at all (ErrFormat) or a limit is exceeded
// (ErrLimit); other damage becomes Issues.
func Open(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	a := &Archive{r: r, size: size, lim: lim.withDefaults()}
	central, err := a.readCentral()
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		a.issue(NoCentralDirectory, "", 0, "%v", err)
	}
	if err := a.walkLocal(central); err != nil {
		return nil, err
	}
	if len(a.Members) == 0 {
		return nil, ErrFormat
	}
	return a, nil
}

// le reads little-endian fields in order.
type le []byte

func (b *le) u16() uint16 { v := binary.LittleEndian.Uint16(*b); *b = (*b)[2:]; return v }
func (b *le) u32() uint32 { v := binary.LittleEndian.Uint32(*b); *b = (*b)[4:]; return v }
func (b *le) u64() uint64 { v := binary.LittleEndian.Uint64(*b); *b = (*b)[8:]; return v }

// localHeader is the fixed part of a local file header plus its name.
type localHeader struct {
	flags, method  uint16
	crc            uint32
	csize, usize   uint64
	name           string
	dataOffset     int64
	sizesAfterData bool
}

// readLocal reads the local header at off.
func (a *Archive) readLocal(off int64) (localHeader, error) {
	var h localHeader
	var fixed [30]byte
	if _, err := a.r.ReadAt(fixed[:], off); err != nil {
		return h, fmt.Errorf("local header at %d: %w", off, err)
	}
	b := le(fixed[:])
	if b.u32() != sigLocal {
		return h, fmt.Errorf("no local header signature at %d", off)
	}
	b.u16() // version needed
	h.flags, h.method = b.u16(), b.u16()
	b.u32() // time, date
	h.crc, h.csize, h.usize = b.u32(), uint64(b.u32()), uint64(b.u32())
	nameLen, extraLen := int64(b.u16()), int64(b.u16())
	tail := make([]byte, nameLen+extraLen)
	if _, err := a.r.ReadAt(tail, off+30); err != nil {
		return h, fmt.Errorf("local header at %d: %w", off, err)
	}
	h.name = string(tail[:nameLen])
	zip64(tail[nameLen:], &h.usize, &h.csize, nil)
	h.dataOffset = off + 30 + nameLen + extraLen
	h.sizesAfterData = h.flags&0x8 != 0
	return h, nil
}

// zip64 applies a zip64 extended-information extra field to the values
// saturated at 0xFFFFFFFF.
func zip64(extra []byte, usize, csize *uint64, off *int64) {
	for len(extra) >= 4 {
		id, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return
		}
		if id == 0x0001 {
			f := le(extra[:n])
			for _, p := range []*uint64{usize, csize} {
				if *p == 0xFFFFFFFF && len(f) >= 8 {
					*p = f.u64()
				}
			}
			if off != nil && *off == 0xFFFFFFFF && len(f) >= 8 {
				*off = int64(f.u64() & (1<<63 - 1))
			}
		}
		extra = extra[n:]
	}
}

// walkLocal walks the local headers from the start of the file and merges
// them with the central directory's entries, keyed by offset.
func (a *Archive) walkLocal(central []Member) error {
	byOffset := make(map[int64]int, len(central))
	for i, m := range central {
		byOffset[m.Offset] = i
	}
	seen := make(map[int64]bool)
	off := int64(0)
	for off+30 <= a.size {
		h, err := a.readLocal(off)
		if err != nil {
			break
		}
		if len(a.Members) >= a.lim.MaxMembers {
			return fmt.Errorf("more than %d members: %w", a.lim.MaxMembers, ErrLimit)
		}
		m := Member{Name: h.name, LocalName: h.name, Local: true, Offset: off, DataOffset: h.dataOffset,
			Method: h.method, Flags: h.flags, CompressedSize: int64(h.csize), Size: int64(h.usize), CRC32: h.crc}
		if i, ok := byOffset[off]; ok {
			c := central[i]
			m.Name, m.Central = c.Name, true
			m.CompressedSize, m.Size, m.CRC32 = c.CompressedSize, c.Size, c.CRC32
		} else if len(central) > 0 {
			a.issue(LocalOnly, h.name, off, "member %q has a local header but no central directory entry", h.name)
		}
		next := h.dataOffset + m.CompressedSize
		switch {
		case h.sizesAfterData && m.Central:
			next = a.skipDescriptor(next)
		case h.sizesAfterData:
			next = a.fromDescriptor(&m)
		}
		a.add(m)
		seen[off] = true
		if next <= off || m.CompressedSize < 0 {
			break
		}
		off = next
	}
	return a.addCentralOnly(central, seen)
}

// addCentralOnly adds central entries the walk did not reach.
func (a *Archive) addCentralOnly(central []Member, seen map[int64]bool) error {
	for _, c := range central {
		if seen[c.Offset] {
			continue
		}
		if len(a.Members) >= a.lim.MaxMembers {
			return fmt.Errorf("more than %d members: %w", a.lim.MaxMembers, ErrLimit)
		}
		h, err := a.readLocal(c.Offset)
		if err != nil {
			a.issue(BadLocalHeader, c.Name, c.Offset, "%v", err)
			continue
		}
		a.issue(CentralOnly, c.Name, c.Offset, "member %q is not reachable by walking the local headers", c.Name)
		c.LocalName, c.Local, c.DataOffset, c.Flags, c.Method = h.name, true, h.dataOffset, h.flags, h.method
		a.add(c)
	}
	return nil
}

// add appends m and records its irregularities.
func (a *Archive) add(m Member) {
	if m.Central && m.LocalName != m.Name {
		a.issue(NameMismatch, m.Name, m.Offset, "central directory names %q, local header %q", m.Name, m.LocalName)
	}
	if odd := m.Flags & (0x1 | 0x20 | 0x40); odd != 0 {
		a.issue(OddFlags, m.Name, m.Offset, "flag bits 0x%02x set (encrypted, patched or strong encryption); PyTorch ignores them", odd)
	}
	a.Members = append(a.Members, m)
}

// skipDescriptor skips a data descriptor at off, with or without its
// optional signature.
func (a *Archive) skipDescriptor(off int64) int64 {
	var sig [4]byte
	if _, err := a.r.ReadAt(sig[:], off); err == nil && binary.LittleEndian.Uint32(sig[:]) == 0x08074b50 {
		off += 4
	}
	var next [4]byte
	for _, n := range []int64{12, 20} { // 32-bit or zip64 sizes
		if _, err := a.r.ReadAt(next[:], off+n); err == nil && binary.LittleEndian.Uint32(next[:]) == sigLocal {
			return off + n
		}
	}
	return off + 12
}

// fromDescriptor sets the sizes and CRC of a member that is not in the
// central directory from the data descriptor that ends it, found before
// the next header signature, and returns that signature's offset.
func (a *Archive) fromDescriptor(m *Member) int64 {
	next := a.nextSignature(m.DataOffset)
	var d [16]byte
	if next-16 >= m.DataOffset {
		if _, err := a.r.ReadAt(d[:], next-16); err == nil {
			b := le(d[:])
			if b.u32() == 0x08074b50 {
				m.CRC32, _, m.Size = b.u32(), b.u32(), int64(b.u32())
				m.CompressedSize = next - 16 - m.DataOffset
				return next
			}
			m.CRC32, _, m.Size = binary.LittleEndian.Uint32(d[4:]), 0, int64(binary.LittleEndian.Uint32(d[12:]))
		}
	}
	m.CompressedSize = max(0, next-12-m.DataOffset)
	return next
}

// nextSignature finds the next local or central header signature after
// off, for a member whose sizes follow its data.
func (a *Archive) nextSignature(off int64) int64 {
	buf := make([]byte, 64<<10)
	for off < a.size {
		n, _ := a.r.ReadAt(buf, off)
		if n < 4 {
			break
		}
		for i := 0; i+4 <= n; i++ {
			if buf[i] == 'P' && buf[i+1] == 'K' && (bytes.Equal(buf[i:i+4], []byte(Magic)) || bytes.Equal(buf[i:i+4], []byte("PK\x01\x02"))) {
				return off + int64(i)
			}
		}
		off += int64(n - 3)
	}
	return a.size
}

// Reader reads one member's uncompressed bytes and checks its CRC when
// read to the end.
type Reader struct {
	r       io.Reader
	crc     hash.Hash32
	want    uint32
	n, max  int64
	in      *countingReader
	ratio   int64
	name    string
	checked bool
	badCRC  bool
}

// Open returns a reader of m's uncompressed bytes. It fails for a method
// other than Store and Deflate.
func (a *Archive) Open(m Member) (*Reader, error) {
	sec := io.NewSectionReader(a.r, m.DataOffset, max(0, min(m.CompressedSize, a.size-m.DataOffset)))
	rd := &Reader{crc: crc32.NewIEEE(), want: m.CRC32, max: a.lim.MaxMemberBytes, ratio: a.lim.MaxRatio, name: m.Name}
	switch m.Method {
	case Store:
		rd.r = sec
	case Deflate:
		rd.in = &countingReader{r: sec}
		rd.r = flate.NewReader(rd.in)
	default:
		return nil, fmt.Errorf("member %q: unsupported compression method %d", m.Name, m.Method)
	}
	return rd, nil
}

func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.crc.Write(p[:n])
	r.n += int64(n)
	if r.n > r.max {
		return n, fmt.Errorf("member %q: more than %d bytes: %w", r.name, r.max, ErrLimit)
	}
	if r.in != nil && r.n > ratioSlack && r.n > r.ratio*max(r.in.n, 1) {
		return n, fmt.Errorf("member %q: inflates more than %d-fold (zip bomb): %w", r.name, r.ratio, ErrLimit)
	}
	if err == io.EOF {
		r.checked = true
		r.badCRC = r.crc.Sum32() != r.want
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("member %q: %w", r.name, err)
	}
	return n, err
}

// Finish reads the rest of the member and reports whether its CRC
// matched. Once the limits stop it, it returns their error.
func (r *Reader) Finish() (crcOK bool, err error) {
	if !r.checked {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return false, err
		}
	}
	return !r.badCRC, nil
}

// countingReader counts the compressed bytes consumed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
