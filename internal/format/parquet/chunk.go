package parquet

import (
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// pageInfo is what checkChunk learned about one data page.
type pageInfo struct {
	offset int64 // of the page header
	rows   int64 // first row of the page, counted from the row group's start
	values int64 // rows (values, nulls included) the header declares
}

// checkChunk walks every page header of column chunk col in row group rg
// before parquet-go reads the chunk, and returns where the data pages
// start. It refuses a chunk outside the data area, page sizes or value
// counts over the limits, compressed bodies that announce more bytes than
// the limit (snappy and zstd carry their decoded size up front), and
// chunks whose pages do not hold exactly the row group's rows.
func (f *File) checkChunk(rg, col int, pages []pageInfo, scratch []byte) ([]pageInfo, []byte, error) {
	group := f.rowGroups[rg]
	md := &group.Columns[col].MetaData
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 { // as parquet-go's FilePages does
		start = md.DictionaryPageOffset
	}
	if start < 4 || md.TotalCompressedSize < 0 || start > f.footer || md.TotalCompressedSize > f.footer-start {
		return pages, scratch, formatErrorf(max(start, -1), -1, "column chunk %d of row group %d lies outside the data (offset %d, %d bytes)",
			col, rg, start, md.TotalCompressedSize)
	}
	switch md.Codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd:
	default:
		return pages, scratch, fmt.Errorf("column %q: %s compression: %w", f.columns[col].Name, md.Codec, ErrUnsupported)
	}
	end := start + md.TotalCompressedSize
	pages = pages[:0]
	var rows int64
	dictionaries := 0
	for off := start; off < end; {
		h, n, body, err := f.readPageHeader(off, end, scratch)
		scratch = body[:0]
		if err != nil {
			return pages, scratch, err
		}
		bodyOff := off + int64(n)
		bad := func(msg string, args ...any) error {
			return formatErrorf(off, -1, "column %q, row group %d: page header: %s", f.columns[col].Name, rg, fmt.Sprintf(msg, args...))
		}
		switch {
		case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-bodyOff:
			return pages, scratch, bad("compressed size %d exceeds the column chunk", h.CompressedPageSize)
		case int64(h.CompressedPageSize) > f.opts.MaxPageBytes || h.UncompressedPageSize < 0 ||
			int64(h.UncompressedPageSize) > f.opts.MaxPageBytes:
			return pages, scratch, bad("page of %d/%d bytes exceeds the limit of %d", h.CompressedPageSize, h.UncompressedPageSize, f.opts.MaxPageBytes)
		}
		var values int64
		compressed := md.Codec != format.Uncompressed
		levels := int64(0)
		switch h.Type {
		case format.DictionaryPage:
			if !h.DictionaryPageHeader.Valid {
				return pages, scratch, bad("dictionary page without a dictionary header")
			}
			if dictionaries++; dictionaries > 1 || len(pages) > 0 {
				return pages, scratch, bad("unexpected second or late dictionary page")
			}
			if v := int64(h.DictionaryPageHeader.V.NumValues); v < 0 || v > f.opts.MaxPageValues {
				return pages, scratch, bad("dictionary of %d values exceeds the limit of %d", v, f.opts.MaxPageValues)
			}
		case format.DataPage:
			if !h.DataPageHeader.Valid {
				return pages, scratch, bad("data page without a data page header")
			}
			values = int64(h.DataPageHeader.V.NumValues)
		case format.DataPageV2:
			if !h.DataPageHeaderV2.Valid {
				return pages, scratch, bad("data page without a data page header")
			}
			v2 := &h.DataPageHeaderV2.V
			values = int64(v2.NumValues)
			levels = int64(v2.RepetitionLevelsByteLength) + int64(v2.DefinitionLevelsByteLength)
			if v2.NumNulls < 0 || v2.NumNulls > v2.NumValues || v2.NumRows != v2.NumValues ||
				v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 ||
				levels > int64(h.CompressedPageSize) {
				return pages, scratch, bad("inconsistent data page v2 header")
			}
			compressed = compressed && (!v2.IsCompressed.Valid || v2.IsCompressed.V)
		default:
			return pages, scratch, bad("unsupported page type %s", h.Type)
		}
		if values < 0 || values > f.opts.MaxPageValues {
			return pages, scratch, bad("%d values exceed the limit of %d", values, f.opts.MaxPageValues)
		}
		if compressed {
			if err := f.checkDecodedSize(md.Codec, bodyOff+levels, int64(h.CompressedPageSize)-levels); err != nil {
				return pages, scratch, bad("%v", err)
			}
		}
		if h.Type != format.DictionaryPage {
			pages = append(pages, pageInfo{offset: off, rows: rows, values: values})
			rows += values
		}
		off = bodyOff + int64(h.CompressedPageSize)
	}
	if rows != group.NumRows {
		return pages, scratch, formatErrorf(start, -1, "column %q, row group %d: pages hold %d values for %d rows",
			f.columns[col].Name, rg, rows, group.NumRows)
	}
	return pages, scratch, nil
}

// readPageHeader decodes the page header at off, reading a window that
// grows until the header fits.
func (f *File) readPageHeader(off, end int64, buf []byte) (h format.PageHeader, n int, _ []byte, err error) {
	window := int64(4 << 10)
	for {
		w := min(window, end-off)
		if int64(cap(buf)) < w {
			buf = make([]byte, w)
		}
		buf = buf[:w]
		if _, err := f.r.ReadAt(buf, off); err != nil {
			return h, 0, buf, fmt.Errorf("read page header at byte %d: %w", off, err)
		}
		n, err = walkThrift(buf)
		if err == errThriftTruncated && w < end-off && w < maxPageHeaderBytes {
			window *= 4
			continue
		}
		if err != nil {
			return h, 0, buf, formatErrorf(off, -1, "page header: %w", err)
		}
		break
	}
	if err := decodePageHeader(buf[:n], &h); err != nil {
		return h, 0, buf, formatErrorf(off, -1, "page header: %w", err)
	}
	return h, n, buf, nil
}

func decodePageHeader(b []byte, h *format.PageHeader) (err error) {
	defer recoverPanic(&err, -1, -1)
	var p thrift.CompactProtocol
	return thrift.Unmarshal(&p, b, h)
}

// checkDecodedSize reads the decoded size that a snappy block or a zstd
// frame announces at its start and refuses one over the page limit, before
// the codec allocates it.
func (f *File) checkDecodedSize(codec format.CompressionCodec, off, n int64) error {
	var head [18]byte
	b := head[:min(n, int64(len(head)))]
	if len(b) == 0 {
		return nil
	}
	if _, err := f.r.ReadAt(b, off); err != nil {
		return fmt.Errorf("read compressed page: %w", err)
	}
	var size uint64
	switch codec {
	case format.Snappy:
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return fmt.Errorf("invalid snappy block length")
		}
		size = v
	case format.Zstd:
		size = zstdContentSize(b)
	}
	if size > uint64(f.opts.MaxPageBytes) {
		return fmt.Errorf("compressed page announces %d decoded bytes, over the limit of %d", size, f.opts.MaxPageBytes)
	}
	return nil
}

// zstdContentSize returns the content size declared by the zstd frame
// header at the start of b, or 0 when it declares none or b does not start
// with a frame.
func zstdContentSize(b []byte) uint64 {
	if len(b) < 5 || binary.LittleEndian.Uint32(b) != 0xFD2FB528 {
		return 0
	}
	fhd := b[4]
	single := fhd>>5&1 == 1
	p := 5
	if !single {
		p++ // window descriptor
	}
	p += [4]int{0, 1, 2, 4}[fhd&3] // dictionary id
	var width int
	switch fhd >> 6 {
	case 0:
		if single {
			width = 1
		}
	case 1:
		width = 2
	case 2:
		width = 4
	case 3:
		width = 8
	}
	if width == 0 || p+width > len(b) {
		return 0
	}
	switch width {
	case 1:
		return uint64(b[p])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b[p:])) + 256
	case 4:
		return uint64(binary.LittleEndian.Uint32(b[p:]))
	}
	return binary.LittleEndian.Uint64(b[p:])
}
