package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// LabelReader streams labels in canonical text form.
type LabelReader interface {
	// Read returns up to n next labels, in a new slice the caller may
	// keep; io.EOF when none are left.
	Read(n int) ([]string, error)
	Close() error
}

// OpenLabels opens a separate labels file: a 1-D .npy of integers, an IDX
// label file (raw or gz), or a CSV/text file with one label a line.
func OpenLabels(path string) (LabelReader, error) {
	format, err := Detect(path)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatNPY:
		return openNPYLabels(path)
	case FormatIDX:
		return openIDXLabels(path)
	case FormatCSV:
		return openTextLabels(path)
	}
	return nil, fmt.Errorf("%s: labels must be .npy, IDX or CSV/text, not %s", path, format)
}

// labelled joins a feature source with a separate labels file row by row.
type labelled struct {
	Source
	labels LabelReader
	path   string
	rows   int64
}

func (l *labelled) HasLabels() bool { return true }

func (l *labelled) Next(ctx context.Context) (*Batch, error) {
	b, err := l.Source.Next(ctx)
	if err := l.join(b, err); err != nil {
		return nil, err
	}
	return b, nil
}

// NextInto fills dst with the feature source's next batch, decoded in
// place when it can be (see Filler), and joins its labels.
func (l *labelled) NextInto(ctx context.Context, dst *Batch) error {
	return l.join(dst, NextInto(ctx, l.Source, dst))
}

// join gives b, the feature source's next batch or err, its labels.
func (l *labelled) join(b *Batch, err error) error {
	if errors.Is(err, io.EOF) {
		extra, lerr := l.labels.Read(1)
		switch {
		case lerr != nil && !errors.Is(lerr, io.EOF):
			return lerr
		case len(extra) > 0:
			return &InputError{Path: l.path, Row: l.rows + 1, Offset: -1,
				Err: fmt.Errorf("more labels than feature rows (%d)", l.rows)}
		}
		return io.EOF
	}
	if err != nil {
		return err
	}
	labels, err := l.labels.Read(b.Rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if len(labels) != b.Rows {
		return &InputError{Path: l.path, Row: l.rows + int64(len(labels)) + 1, Offset: -1,
			Err: fmt.Errorf("fewer labels than feature rows")}
	}
	l.rows += int64(b.Rows)
	b.Labels = labels
	return nil
}

// Invalid forwards the feature source's count of values that did not fit
// their column's type, when it keeps one.
func (l *labelled) Invalid() []int64 {
	if ic, ok := l.Source.(interface{ Invalid() []int64 }); ok {
		return ic.Invalid()
	}
	return nil
}

// Rows forwards the feature source's row count, when it knows one.
func (l *labelled) Rows() int64 {
	if rs, ok := l.Source.(rowCounter); ok {
		return rs.Rows()
	}
	return -1
}

// ImageShape forwards the feature source's image shape, when it has one.
func (l *labelled) ImageShape() Shape {
	if is, ok := l.Source.(imageSource); ok {
		return is.ImageShape()
	}
	return Shape{}
}

func (l *labelled) Close() error {
	return errors.Join(l.Source.Close(), l.labels.Close())
}
