package dataset

import (
	"context"
	"fmt"
	"math"
	"strconv"
)

// Kind is the inferred type of a column.
type Kind uint8

// Column kinds. Booleans are profiled as a two-value categorical domain but
// keep their own kind so that a type change from boolean to text is visible.
const (
	Numeric Kind = iota + 1
	Categorical
	Boolean
)

// String returns the kind's name as it appears in profiles and reports.
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	case Boolean:
		return "boolean"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "numeric":
		return Numeric, nil
	case "categorical":
		return Categorical, nil
	case "boolean":
		return Boolean, nil
	}
	return 0, fmt.Errorf("unknown column kind %q", s)
}

// MarshalText encodes a kind by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Column describes one feature column.
type Column struct {
	Name string `json:"name"`
	Kind Kind   `json:"type"`
}

// Schema is the ordered list of feature columns of a source. The label and
// id columns are not part of it.
type Schema struct {
	Columns []Column
}

// Missing is the value a numeric cell holds when the input had no value
// (an empty CSV field, NA, a JSON null, a Parquet null). It is a NaN with
// a payload of its own, so that IsMissing tells it apart from a NaN that
// was present in the data. Copy it; never compute with it.
var Missing = math.Float64frombits(missingBits)

const missingBits = 0x7ff8_0000_0bad_f00d

// IsMissing reports whether v is the Missing marker (and not another NaN).
func IsMissing(v float64) bool { return math.Float64bits(v) == missingBits }

// Vector holds one column of a batch: Num for numeric columns, Str for
// categorical and boolean ones (booleans as "true" and "false"). An empty
// string in Str is a missing value.
type Vector struct {
	Num []float64
	Str []string
}

// Batch is a block of consecutive rows in columnar layout. A source may
// reuse a batch's storage on the next call to Next, so consumers copy what
// they keep.
type Batch struct {
	// Offset is the 0-based row number of the batch's first row.
	Offset int64
	// Rows is the number of rows in the batch.
	Rows int
	// Cols is aligned with the source's Schema().Columns.
	Cols []Vector
	// Labels holds each row's label in canonical text form (integers
	// without a fractional part, as "3"), or nil when the source has no
	// labels. An empty string is a missing label.
	Labels []string
	// IDs holds each row's id, or nil when the source has no id column
	// (the row number is then the id).
	IDs []string
}

// Source streams the rows of a dataset in batches. Memory must not grow
// with the number of rows read.
type Source interface {
	// Schema returns the feature columns. It is known before the first
	// call to Next.
	Schema() Schema
	// HasLabels reports whether batches carry labels.
	HasLabels() bool
	// Next returns the next batch, or io.EOF after the last one.
	Next(ctx context.Context) (*Batch, error)
	// Close releases the source's files.
	Close() error
}

// FormatLabel renders a numeric label in canonical text form: integral
// values without a fractional part ("3"), others in the shortest form that
// round-trips. Every reader uses it so that the same label read from a CSV,
// an .npy or an IDX file compares equal.
func FormatLabel(v float64) string {
	if IsMissing(v) {
		return ""
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// A Filler is a Source that can decode its next batch straight into a
// batch the caller owns, for a consumer that keeps batches past the next
// call (to read ahead) and would otherwise copy each one.
type Filler interface {
	Source
	// NextInto overwrites dst with the next batch, reusing its storage
	// where it is large enough, or returns io.EOF after the last one.
	NextInto(ctx context.Context, dst *Batch) error
}

// NextInto fills dst with src's next batch: decoded in place when src is a
// Filler, else copied from the batch Next returns.
func NextInto(ctx context.Context, src Source, dst *Batch) error {
	if f, ok := src.(Filler); ok {
		return f.NextInto(ctx, dst)
	}
	b, err := src.Next(ctx)
	if err != nil {
		return err
	}
	b.CopyTo(dst)
	return nil
}

// shapeNumeric makes b a batch of cols numeric columns of n rows each,
// without labels or ids, reusing its storage where it is large enough.
func (b *Batch) shapeNumeric(cols, n int) {
	b.Cols = resize(b.Cols, cols)
	for j := range b.Cols {
		b.Cols[j].Num = resize(b.Cols[j].Num, n)
		b.Cols[j].Str = nil
	}
	b.Labels, b.IDs = nil, nil
}

// CopyTo copies b into dst, reusing dst's storage where it is large
// enough, so that a consumer can keep a batch past the source's next call.
func (b *Batch) CopyTo(dst *Batch) {
	dst.Offset, dst.Rows = b.Offset, b.Rows
	if cap(dst.Cols) < len(b.Cols) {
		dst.Cols = make([]Vector, len(b.Cols))
	}
	dst.Cols = dst.Cols[:len(b.Cols)]
	for i, v := range b.Cols {
		dst.Cols[i].Num = copyInto(dst.Cols[i].Num, v.Num)
		dst.Cols[i].Str = copyInto(dst.Cols[i].Str, v.Str)
	}
	dst.Labels = copyInto(dst.Labels, b.Labels)
	dst.IDs = copyInto(dst.IDs, b.IDs)
}

func copyInto[T any](dst, src []T) []T {
	if src == nil {
		return nil
	}
	if cap(dst) < len(src) {
		dst = make([]T, len(src))
	}
	dst = dst[:len(src)]
	copy(dst, src)
	return dst
}
