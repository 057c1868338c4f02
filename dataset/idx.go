package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/poisonguard/poisonguard/internal/format/idx"
)

// openIDX opens an IDX file of records, raw or gzipped (an MNIST image
// file of N×28×28 bytes, say), as a source of numeric columns px0, px1,
// ... holding each record's values in row-major order.
func openIDX(path string, opts Options) (Source, error) {
	if err := arrayOptions(path, "an IDX file", opts); err != nil {
		return nil, err
	}
	f, r, err := openIDXReader(path)
	if err != nil {
		return nil, err
	}
	h := r.Header()
	if len(h.Dims) < 2 {
		f.Close()
		return nil, fmt.Errorf("%s: an IDX file of %d single values is a label file, not a feature table; pass it with --labels", path, h.Records())
	}
	cols := h.RecordValues()
	if cols > maxArrayColumns {
		f.Close()
		return nil, fmt.Errorf("%s: IDX records of shape %v have %d values, more than the limit of %d", path, h.Dims[1:], cols, maxArrayColumns)
	}
	rows := arrayBatchRows(opts, cols)
	return &idxSource{
		path:      path,
		f:         f,
		r:         r,
		h:         h,
		batchRows: rows,
		raw:       make([]byte, rows*h.RecordBytes()),
		batch:     newArrayBatch(cols, rows),
		schema:    arraySchema("px", cols),
	}, nil
}

// openIDXReader opens an IDX file and reads its header; for a raw file it
// also checks the size against the header.
func openIDXReader(path string) (*os.File, *idx.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := idx.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, &InputError{Path: path, Offset: 0, Err: err}
	}
	h := r.Header()
	if h.Gzip {
		return f, r, nil
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if want := h.Len + int64(h.Records())*int64(h.RecordBytes()); info.Size() != want {
		f.Close()
		what := "file is truncated"
		if info.Size() > want {
			what = "data follows the records"
		}
		return nil, nil, &InputError{Path: path, Offset: min(info.Size(), want), Err: fmt.Errorf(
			"%s: the header declares %d records of %v %s values (%d bytes in all), the file has %d bytes",
			what, h.Records(), h.Dims[1:], h.Type, want, info.Size())}
	}
	return f, r, nil
}

type idxSource struct {
	path      string
	f         *os.File
	r         *idx.Reader
	h         idx.Header
	batchRows int
	next      int64
	raw       []byte
	batch     Batch
	schema    Schema
	done      bool
}

func (s *idxSource) Schema() Schema  { return s.schema }
func (s *idxSource) HasLabels() bool { return false }

func (s *idxSource) Next(ctx context.Context) (*Batch, error) {
	if err := s.NextInto(ctx, &s.batch); err != nil {
		return nil, err
	}
	return &s.batch, nil
}

// NextInto decodes the next batch into dst (see Filler).
func (s *idxSource) NextInto(ctx context.Context, dst *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.done {
		return io.EOF
	}
	n, err := s.r.ReadRecords(s.raw)
	if errors.Is(err, io.EOF) {
		s.done = true
		return io.EOF
	}
	if err != nil {
		s.done = true
		return idxError(s.path, s.r, s.h, s.next+int64(n)+1, err)
	}
	dst.shapeNumeric(len(s.schema.Columns), n)
	decodeArrayRows(dst, s.h.DType, s.raw, n)
	dst.Offset = s.next
	dst.Rows = n
	s.next += int64(n)
	return nil
}

func (s *idxSource) Close() error { return s.f.Close() }

// Rows returns the number of records the header declares.
func (s *idxSource) Rows() int64 { return int64(s.h.Records()) }

// ImageShape reads records of H×W or H×W×C values as images.
func (s *idxSource) ImageShape() Shape { return imageShape(s.h.Dims[1:]) }

// idxError wraps an error of r at the 1-based row.
func idxError(path string, r *idx.Reader, h idx.Header, row int64, err error) error {
	e := &InputError{Path: path, Row: row, Offset: -1, Err: err}
	if row > int64(h.Records()) {
		e.Row = 0 // past the last record
	}
	if !h.Gzip {
		e.Offset = r.Offset()
	}
	return e
}

// openIDXLabels opens an IDX file of N single values (or N×1), raw or
// gzipped, as labels: the MNIST label files.
func openIDXLabels(path string) (LabelReader, error) {
	f, r, err := openIDXReader(path)
	if err != nil {
		return nil, err
	}
	h := r.Header()
	if h.RecordValues() != 1 {
		f.Close()
		return nil, fmt.Errorf("%s: labels must be an IDX file of single values, not of records of shape %v", path, h.Dims[1:])
	}
	return &arrayLabels{
		path:    path,
		dt:      h.DType,
		left:    int64(h.Records()),
		dataOff: h.Len,
		gzip:    h.Gzip,
		read:    r.ReadRecords,
		end: func() error {
			if _, err := r.ReadRecords(make([]byte, h.DType.Size)); !errors.Is(err, io.EOF) {
				return idxError(path, r, h, 0, err)
			}
			return nil
		},
		close: f.Close,
	}, nil
}
