package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/poisonguard/poisonguard/internal/format/parquet"
)

// openParquet opens a flat Parquet file as a source. INT32, INT64, FLOAT
// and DOUBLE columns are numeric (nulls read as Missing), BOOLEAN columns
// boolean, BYTE_ARRAY columns categorical. Each column streams through its
// own page cursor, so memory holds one page per column, not the file.
func openParquet(path string, opts Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := newParquetSource(path, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

type parquetSource struct {
	path      string
	f         *os.File
	file      *parquet.File
	schema    Schema
	features  []*parquet.ColumnReader
	label     *parquet.ColumnReader // nil without a label column
	id        *parquet.ColumnReader // nil without an id column
	rows      int64
	next      int64
	batchRows int
	batch     Batch
	labelNum  []float64
}

func newParquetSource(path string, f *os.File, opts Options) (*parquetSource, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.Open(f, info.Size(), parquet.Options{})
	if err != nil {
		return nil, parquetError(path, err)
	}
	s := &parquetSource{path: path, f: f, file: pf, rows: pf.NumRows()}
	cols := pf.Columns()
	labelAt, idAt := -1, -1
	for i, c := range cols {
		switch c.Name {
		case opts.Label:
			labelAt = i
		case opts.ID:
			idAt = i
		}
	}
	for _, named := range []struct {
		what, name string
		at         int
	}{{"label", opts.Label, labelAt}, {"id", opts.ID, idAt}} {
		if named.name != "" && named.at < 0 {
			return nil, fmt.Errorf("%s: no %s column %q; the columns are %s", path, named.what, named.name, columnList(cols))
		}
	}
	for i, c := range cols {
		if i == labelAt || i == idAt {
			continue
		}
		kind := Categorical
		switch {
		case c.Numeric():
			kind = Numeric
		case c.Type == parquet.Boolean:
			kind = Boolean
		}
		if !c.Supported() {
			return nil, fmt.Errorf("%s: column %q has type %s, which is not read (drop the column): %w", path, c.Name, c.Type, parquet.ErrUnsupported)
		}
		r, err := pf.OpenColumn(i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s.features = append(s.features, r)
		s.schema.Columns = append(s.schema.Columns, Column{Name: c.Name, Kind: kind})
	}
	if labelAt >= 0 {
		if s.label, err = pf.OpenColumn(labelAt); err != nil {
			return nil, fmt.Errorf("%s: label column: %w", path, err)
		}
	}
	if idAt >= 0 {
		if s.id, err = pf.OpenColumn(idAt); err != nil {
			return nil, fmt.Errorf("%s: id column: %w", path, err)
		}
	}
	s.batchRows = arrayBatchRows(opts, max(1, len(s.features)))
	s.batch.Cols = make([]Vector, len(s.features))
	return s, nil
}

func columnList(cols []parquet.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = fmt.Sprintf("%q", c.Name)
	}
	return strings.Join(names, ", ")
}

// parquetError turns a *parquet.FormatError into an *InputError naming
// the file.
func parquetError(path string, err error) error {
	var fe *parquet.FormatError
	if errors.As(err, &fe) {
		return &InputError{Path: path, Row: fe.Row + 1, Offset: fe.Offset, Err: fe.Err}
	}
	return fmt.Errorf("%s: %w", path, err)
}

func (s *parquetSource) Schema() Schema { return s.schema }

// Rows returns the number of rows the file's metadata declares.
func (s *parquetSource) Rows() int64     { return s.rows }
func (s *parquetSource) HasLabels() bool { return s.label != nil }

func (s *parquetSource) Next(ctx context.Context) (*Batch, error) {
	if err := s.NextInto(ctx, &s.batch); err != nil {
		return nil, err
	}
	return &s.batch, nil
}

// NextInto reads the next batch into dst (see Filler).
func (s *parquetSource) NextInto(ctx context.Context, dst *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := int(min(int64(s.batchRows), s.rows-s.next))
	if n <= 0 {
		return io.EOF
	}
	b := dst
	b.Offset, b.Rows = s.next, n
	b.Cols = resize(b.Cols, len(s.features))
	for j, r := range s.features {
		v := &b.Cols[j]
		var err error
		if s.schema.Columns[j].Kind == Numeric {
			v.Num, v.Str = resize(v.Num, n), nil
			err = s.read(r, func() (int, error) { return r.ReadFloat64(v.Num, Missing) })
		} else {
			v.Num, v.Str = nil, resize(v.Str, n)
			err = s.read(r, func() (int, error) { return r.ReadString(v.Str) })
		}
		if err != nil {
			return err
		}
	}
	labels, ids := b.Labels, b.IDs
	b.Labels, b.IDs = nil, nil
	if s.label != nil {
		labels = resize(labels, n)
		if err := s.readLabels(labels); err != nil {
			return err
		}
		b.Labels = labels
	}
	if s.id != nil {
		ids = resize(ids, n)
		if err := s.read(s.id, func() (int, error) { return s.id.ReadString(ids) }); err != nil {
			return err
		}
		b.IDs = ids
	}
	s.next += int64(n)
	return nil
}

// read runs one column read of a whole batch and turns a short read or a
// malformed page into an *InputError.
func (s *parquetSource) read(r *parquet.ColumnReader, fn func() (int, error)) error {
	want := int(min(int64(s.batchRows), s.rows-s.next))
	got, err := fn()
	if got == want {
		return nil
	}
	if err == nil || err == io.EOF {
		return &InputError{Path: s.path, Row: s.next + int64(got) + 1, Offset: -1,
			Err: fmt.Errorf("column %q ends after %d of %d rows", r.Column().Name, s.next+int64(got), s.rows)}
	}
	return parquetError(s.path, err)
}

// readLabels reads len(labels) labels into labels: numbers in FormatLabel's
// canonical form, text as it is.
func (s *parquetSource) readLabels(labels []string) error {
	r := s.label
	if !r.Column().Numeric() {
		return s.read(r, func() (int, error) { return r.ReadString(labels) })
	}
	s.labelNum = resize(s.labelNum, len(labels))
	if err := s.read(r, func() (int, error) { return r.ReadFloat64(s.labelNum, Missing) }); err != nil {
		return err
	}
	for i, v := range s.labelNum {
		labels[i] = FormatLabel(v)
	}
	return nil
}

func (s *parquetSource) Close() error {
	var errs []error
	for _, r := range s.features {
		errs = append(errs, r.Close())
	}
	for _, r := range []*parquet.ColumnReader{s.label, s.id} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	errs = append(errs, s.f.Close())
	return errors.Join(errs...)
}

// resize returns s with length n, reusing its storage when it is large
// enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
