package dataset

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// Limits of the array readers (.npy and IDX), which turn every value of a
// row into a column.
const (
	// maxArrayColumns caps the number of feature columns of an array file
	// (a 224x224x3 image has 150528).
	maxArrayColumns = 1 << 20
	// maxArrayBatchValues caps the values of one batch (32 MiB of
	// float64), so wide rows make short batches.
	maxArrayBatchValues = 1 << 22
	// maxLabelChunk caps the values a label reader decodes at a time.
	maxLabelChunk = 1 << 16
)

// openNPY opens a 2-D (or wider) .npy array, raw or gzipped, as a source
// of numeric columns f0, f1, ...; dimensions after the first are flattened
// in C order. A Fortran-order array is read column by column with ReadAt,
// so it must not be gzipped.
func openNPY(path string, opts Options) (Source, error) {
	if err := arrayOptions(path, "an .npy file", opts); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := newNPYSource(path, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// arrayOptions refuses the options that name columns, which array files
// do not have.
func arrayOptions(path, what string, opts Options) error {
	if opts.Label != "" {
		return fmt.Errorf("%s: %s has no named columns to take the label %q from; pass the labels as a separate file with --labels", path, what, opts.Label)
	}
	if opts.ID != "" {
		return fmt.Errorf("%s: %s has no named columns to take the id %q from; rows are identified by number", path, what, opts.ID)
	}
	return nil
}

type npySource struct {
	path   string
	f      *os.File
	stream *npyStream
	hdr    npy.Header
	rows   int64
	cols   int
	// colOff holds the file offset of each column's first value when the
	// array is in Fortran order; nil in C order.
	colOff []int64
	next   int64
	// batchRows is the number of rows of a full batch.
	batchRows int
	raw       []byte
	batch     Batch
	schema    Schema
	done      bool
}

func newNPYSource(path string, f *os.File, opts Options) (*npySource, error) {
	st, h, err := openNPYStream(path, f)
	if err != nil {
		return nil, err
	}
	if len(h.Shape) < 2 {
		if len(h.Shape) == 1 {
			return nil, fmt.Errorf("%s: a 1-D array of %d values is not a feature table; to use it as labels, pass it with --labels", path, h.Shape[0])
		}
		return nil, fmt.Errorf("%s: a scalar is not a feature table", path)
	}
	s := &npySource{path: path, f: f, stream: st, hdr: h, rows: h.Shape[0], cols: 1}
	for _, d := range h.Shape[1:] {
		// The header's checks keep this product within npy.MaxElements.
		s.cols *= int(d)
	}
	if s.cols == 0 {
		return nil, fmt.Errorf("%s: array of shape %v has no feature columns", path, h.Shape)
	}
	if s.cols > maxArrayColumns {
		return nil, fmt.Errorf("%s: array of shape %v has %d columns, more than the limit of %d", path, h.Shape, s.cols, maxArrayColumns)
	}
	if h.FortranOrder && !sameInBothOrders(h.Shape) {
		if st.gzip {
			return nil, fmt.Errorf("%s: cannot stream a Fortran-order array from a gzip file; decompress it first", path)
		}
		s.colOff = fortranOffsets(h)
	}
	s.batchRows = arrayBatchRows(opts, s.cols)
	if s.colOff != nil {
		s.raw = make([]byte, s.batchRows*h.DType.Size)
	} else {
		s.raw = make([]byte, s.batchRows*s.cols*h.DType.Size)
	}
	s.schema = arraySchema("f", s.cols)
	s.batch = newArrayBatch(s.cols, s.batchRows)
	return s, nil
}

// sameInBothOrders reports whether an array of the shape has the same
// layout in C and Fortran order: when it is empty or at most one of its
// dimensions is longer than 1.
func sameInBothOrders(shape []int64) bool {
	long := 0
	for _, d := range shape {
		if d == 0 {
			return true
		}
		if d > 1 {
			long++
		}
	}
	return long <= 1
}

// fortranOffsets returns the file offset of the first value of each
// C-order column of a Fortran-order array: the value at (n, i1, ..., ik)
// lies at n + N*(i1 + d1*(i2 + d2*(...))).
func fortranOffsets(h npy.Header) []int64 {
	dims := h.Shape[1:]
	cols := 1
	for _, d := range dims {
		cols *= int(d)
	}
	// stride[a] is the Fortran stride of trailing dimension a, in values.
	stride := make([]int64, len(dims))
	step := h.Shape[0]
	for a, d := range dims {
		stride[a] = step
		step *= d
	}
	off := make([]int64, cols)
	idx := make([]int64, len(dims))
	var pos int64
	for j := range off {
		off[j] = h.HeaderLen + pos*int64(h.DType.Size)
		// Advance the C-order multi-index, last dimension fastest.
		for a := len(dims) - 1; a >= 0; a-- {
			idx[a]++
			pos += stride[a]
			if idx[a] < dims[a] {
				break
			}
			pos -= idx[a] * stride[a]
			idx[a] = 0
		}
	}
	return off
}

func (s *npySource) Schema() Schema  { return s.schema }
func (s *npySource) HasLabels() bool { return false }

func (s *npySource) Next(ctx context.Context) (*Batch, error) {
	if err := s.NextInto(ctx, &s.batch); err != nil {
		return nil, err
	}
	return &s.batch, nil
}

// NextInto decodes the next batch into dst (see Filler).
func (s *npySource) NextInto(ctx context.Context, dst *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.next == s.rows {
		if !s.done {
			s.done = true
			if err := s.stream.end(s.hdr); err != nil {
				return err
			}
		}
		return io.EOF
	}
	n := int(min(int64(s.batchRows), s.rows-s.next))
	size := s.hdr.DType.Size
	dst.shapeNumeric(s.cols, n)
	if s.colOff != nil {
		block := s.raw[:n*size]
		for j, off := range s.colOff {
			at := off + s.next*int64(size)
			if m, err := s.f.ReadAt(block, at); m < len(block) {
				return &InputError{Path: s.path, Row: s.next + int64(m/size) + 1, Offset: at + int64(m),
					Err: fmt.Errorf("reading column %d: %w", j, arrayNoEOF(err))}
			}
			s.hdr.DType.Decode(dst.Cols[j].Num, block)
		}
	} else {
		if err := s.stream.read(s.raw[:n*s.cols*size], s.next, s.cols*size); err != nil {
			return err
		}
		decodeArrayRows(dst, s.hdr.DType, s.raw, n)
	}
	dst.Offset = s.next
	dst.Rows = n
	s.next += int64(n)
	return nil
}

func (s *npySource) Close() error { return s.stream.close() }

// Rows returns the number of rows the header declares.
func (s *npySource) Rows() int64 { return s.rows }

// ImageShape reads arrays of N×H×W or N×H×W×C values as images.
func (s *npySource) ImageShape() Shape { return imageShape(s.hdr.Shape[1:]) }

// npyStream is the data of an .npy file after its header, raw or
// decompressed.
type npyStream struct {
	path string
	f    *os.File
	r    io.Reader
	zr   *gzip.Reader // nil for a raw file
	gzip bool
	// dataOff is the file offset of the first data byte.
	dataOff int64
}

// openNPYStream reads the header of an .npy file, raw or gzipped, and
// checks a raw file's size against it.
func openNPYStream(path string, f *os.File) (*npyStream, npy.Header, error) {
	st := &npyStream{path: path, f: f}
	br := bufio.NewReaderSize(f, 1<<16)
	st.r = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, npy.Header{}, &InputError{Path: path, Offset: 0, Err: err}
		}
		st.r, st.zr, st.gzip = zr, zr, true
	}
	h, err := npy.ReadHeader(st.r)
	if err != nil {
		return nil, h, &InputError{Path: path, Offset: 0, Err: err}
	}
	st.dataOff = h.HeaderLen
	if st.gzip {
		return st, h, nil
	}
	info, err := f.Stat()
	if err != nil {
		return nil, h, err
	}
	if want := h.HeaderLen + h.DataBytes(); info.Size() != want {
		what := "file is truncated"
		if info.Size() > want {
			what = "data follows the array"
		}
		return nil, h, &InputError{Path: path, Offset: min(info.Size(), want), Err: fmt.Errorf(
			"%s: the header declares %v values of %s (%d bytes from byte %d), the file has %d bytes",
			what, h.Shape, h.DType, h.DataBytes(), h.HeaderLen, info.Size())}
	}
	return st, h, nil
}

// read fills p with whole rows of rowBytes bytes; row is the 0-based
// number of the first.
func (st *npyStream) read(p []byte, row int64, rowBytes int) error {
	m, err := io.ReadFull(st.r, p)
	if err == nil {
		return nil
	}
	e := &InputError{Path: st.path, Row: row + int64(m/rowBytes) + 1, Offset: -1,
		Err: fmt.Errorf("reading values: %w", arrayNoEOF(err))}
	if !st.gzip {
		e.Offset = st.dataOff + row*int64(rowBytes) + int64(m)
	}
	return e
}

// end checks that a gzipped stream holds nothing after the array; reading
// to its end also checks the gzip checksum. A raw file's size was checked
// when it was opened.
func (st *npyStream) end(h npy.Header) error {
	if !st.gzip {
		return nil
	}
	var one [1]byte
	n, err := io.ReadFull(st.r, one[:])
	switch {
	case n > 0:
		err = fmt.Errorf("data follows the %v values the header declares", h.Shape)
	case err == io.EOF:
		return nil
	}
	return &InputError{Path: st.path, Row: 0, Offset: -1, Err: fmt.Errorf("after the array: %w", err)}
}

func (st *npyStream) close() error {
	var zerr error
	if st.zr != nil {
		zerr = st.zr.Close()
	}
	return errors.Join(zerr, st.f.Close())
}

// arrayNoEOF turns a clean EOF inside a structure into an unexpected one.
func arrayNoEOF(err error) error {
	if err == io.EOF || err == nil {
		return io.ErrUnexpectedEOF
	}
	return err
}

// arrayBatchRows returns the rows of a batch of cols columns.
func arrayBatchRows(opts Options, cols int) int {
	rows := opts.BatchRows
	if rows <= 0 {
		rows = DefaultBatchRows
	}
	return max(1, min(rows, maxArrayBatchValues/cols))
}

// arraySchema names cols numeric columns prefix0, prefix1, ...
func arraySchema(prefix string, cols int) Schema {
	s := Schema{Columns: make([]Column, cols)}
	for j := range s.Columns {
		s.Columns[j] = Column{Name: prefix + strconv.Itoa(j), Kind: Numeric}
	}
	return s
}

// newArrayBatch allocates a batch of cols numeric columns, each with room
// for rows values, in one block.
func newArrayBatch(cols, rows int) Batch {
	b := Batch{Cols: make([]Vector, cols)}
	buf := make([]float64, cols*rows)
	for j := range b.Cols {
		b.Cols[j].Num = buf[j*rows : j*rows : (j+1)*rows]
	}
	return b
}

// decodeArrayRows decodes n row-major rows of len(b.Cols) values each from raw
// into b's columns. It works through tiles of decodeTileRows rows, so that
// reading a tile column by column finds its rows in the cache, rather than
// streaming the whole batch from memory once per column.
func decodeArrayRows(b *Batch, dt npy.DType, raw []byte, n int) {
	rowBytes := len(b.Cols) * dt.Size
	for j := range b.Cols {
		b.Cols[j].Num = b.Cols[j].Num[:n]
	}
	for lo := 0; lo < n; lo += decodeTileRows {
		hi := min(lo+decodeTileRows, n)
		tile := raw[lo*rowBytes:]
		for j := range b.Cols {
			dt.DecodeStrided(b.Cols[j].Num[lo:hi], tile[j*dt.Size:], rowBytes)
		}
	}
}

// decodeTileRows is the rows of a decoding tile: 25 KB of a 50-column
// float64 array, 200 KB of a 784-column float32 one.
const decodeTileRows = 64

// openNPYLabels opens a 1-D .npy array of integers (or of integral floats),
// or an N×1 one, raw or gzipped, as labels.
func openNPYLabels(path string) (LabelReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, h, err := openNPYStream(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if len(h.Shape) != 1 && (len(h.Shape) != 2 || h.Shape[1] != 1) {
		st.close()
		return nil, fmt.Errorf("%s: labels must be a 1-D array, not one of shape %v", path, h.Shape)
	}
	size := h.DType.Size
	return &arrayLabels{
		path:    path,
		dt:      h.DType,
		left:    h.Shape[0],
		dataOff: st.dataOff,
		gzip:    st.gzip,
		read: func(p []byte) (int, error) {
			m, err := io.ReadFull(st.r, p)
			if err != nil {
				err = arrayNoEOF(err)
			}
			return m / size, err
		},
		end:   func() error { return st.end(h) },
		close: st.close,
	}, nil
}

// arrayLabels reads labels from packed numeric values.
type arrayLabels struct {
	path    string
	dt      npy.DType
	left    int64 // values not read yet
	row     int64 // values read
	dataOff int64 // file offset of the first value
	gzip    bool
	// read fills p with whole values and returns how many it read.
	read  func(p []byte) (int, error)
	end   func() error
	close func() error
	raw   []byte
	vals  []float64
	ended bool
}

func (l *arrayLabels) Read(n int) ([]string, error) {
	if l.left == 0 {
		if !l.ended {
			l.ended = true
			if err := l.end(); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
		}
		return nil, io.EOF
	}
	n = int(min(int64(n), l.left))
	out := make([]string, 0, n)
	for len(out) < n {
		k := min(n-len(out), maxLabelChunk)
		if cap(l.raw) < k*l.dt.Size {
			l.raw = make([]byte, k*l.dt.Size)
			l.vals = make([]float64, k)
		}
		got, err := l.read(l.raw[:k*l.dt.Size])
		if err != nil {
			e := &InputError{Path: l.path, Row: l.row + int64(got) + 1, Offset: -1,
				Err: fmt.Errorf("reading labels: %w", err)}
			if !l.gzip {
				e.Offset = l.dataOff + (l.row+int64(got))*int64(l.dt.Size)
			}
			return nil, e
		}
		vals := l.vals[:k]
		l.dt.Decode(vals, l.raw)
		for i, v := range vals {
			switch {
			case math.IsNaN(v):
				out = append(out, "")
			case math.IsInf(v, 0) || v != math.Trunc(v):
				e := &InputError{Path: l.path, Row: l.row + int64(i) + 1, Offset: -1,
					Err: fmt.Errorf("label %v is not an integer", v)}
				if !l.gzip {
					e.Offset = l.dataOff + (l.row+int64(i))*int64(l.dt.Size)
				}
				return nil, e
			default:
				out = append(out, FormatLabel(v))
			}
		}
		l.row += int64(k)
		l.left -= int64(k)
	}
	return out, nil
}

func (l *arrayLabels) Close() error { return l.close() }
