package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Shape says how a row of features maps to an image: Height×Width×Channels
// values stored row-major (HWC). The zero Shape means tabular data.
type Shape struct {
	Height   int `json:"height"`
	Width    int `json:"width"`
	Channels int `json:"channels"`
}

// IsImage reports whether the shape describes an image.
func (s Shape) IsImage() bool { return s.Height > 0 && s.Width > 0 && s.Channels > 0 }

// Size is the number of values in one image of the shape.
func (s Shape) Size() int { return s.Height * s.Width * s.Channels }

func (s Shape) String() string {
	if !s.IsImage() {
		return "tabular"
	}
	return fmt.Sprintf("%d×%d×%d", s.Height, s.Width, s.Channels)
}

// Set is a labelled data set held in memory: N rows of D float32
// features, row-major, and a class index per row. Training, attacks and
// drills work on it.
type Set struct {
	X       []float32 // N×D, row-major
	Y       []int     // N class indices in [0, Classes)
	N, D    int
	Classes int
	// Names holds each class's label as the input spelled it.
	Names []string
	// Columns holds the feature columns' names, when known.
	Columns []string
	// Shape is the image shape of a row, or zero for tabular data.
	Shape Shape
	// Min and Max bound the feature values: the observed range, widened
	// for images to their pixel type's (0 and 255 for 8-bit pixels).
	Min, Max float32
}

// Row returns row i's features, sharing storage with the set.
func (s *Set) Row(i int) []float32 { return s.X[i*s.D : (i+1)*s.D] }

// Clone returns a deep copy of the set.
func (s *Set) Clone() *Set {
	c := *s
	c.X = slices.Clone(s.X)
	c.Y = slices.Clone(s.Y)
	c.Names = slices.Clone(s.Names)
	c.Columns = slices.Clone(s.Columns)
	return &c
}

// Subset returns a copy of the rows at the given indices, in that order.
func (s *Set) Subset(rows []int) *Set {
	c := *s
	c.N = len(rows)
	c.X = make([]float32, len(rows)*s.D)
	c.Y = make([]int, len(rows))
	for i, r := range rows {
		copy(c.X[i*s.D:(i+1)*s.D], s.Row(r))
		c.Y[i] = s.Y[r]
	}
	c.Names = slices.Clone(s.Names)
	c.Columns = slices.Clone(s.Columns)
	return &c
}

// ClassCounts returns the number of rows of each class.
func (s *Set) ClassCounts() []int {
	counts := make([]int, s.Classes)
	for _, y := range s.Y {
		counts[y]++
	}
	return counts
}

// Validate checks that the set's fields agree with each other.
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.D < 0:
		return fmt.Errorf("set of %d×%d rows and columns", s.N, s.D)
	case len(s.X) != s.N*s.D:
		return fmt.Errorf("set holds %d values, not %d×%d", len(s.X), s.N, s.D)
	case len(s.Y) != s.N:
		return fmt.Errorf("set holds %d labels for %d rows", len(s.Y), s.N)
	case s.Shape.IsImage() && s.Shape.Size() != s.D:
		return fmt.Errorf("image shape %v holds %d values, rows hold %d", s.Shape, s.Shape.Size(), s.D)
	case s.Names != nil && len(s.Names) != s.Classes:
		return fmt.Errorf("%d class names for %d classes", len(s.Names), s.Classes)
	}
	for i, y := range s.Y {
		if y < 0 || y >= s.Classes {
			return fmt.Errorf("row %d: class %d outside [0, %d)", i, y, s.Classes)
		}
	}
	return nil
}

// MaxSetValues bounds the number of feature values Load holds in memory
// (4 GiB of float32).
const MaxSetValues = 1 << 30

// MaxClasses bounds the number of distinct labels Load accepts.
const MaxClasses = 10_000

// imageSource is implemented by sources whose rows are images.
type imageSource interface {
	ImageShape() Shape
}

// rowCounter is implemented by sources that know their row count up
// front (-1 when they do not).
type rowCounter interface {
	Rows() int64
}

// Load reads a labelled source into memory. Every feature column must be
// numeric and every value and label present. Integer labels 0..K-1 keep
// their numbers as class indices; other labels are numbered in sorted
// order (numerically when all are numbers).
func Load(ctx context.Context, src Source) (*Set, error) {
	if !src.HasLabels() {
		return nil, errors.New("the data has no labels: name a label column or a labels file")
	}
	return load(ctx, src)
}

// LoadFeatures reads a source's numeric features into memory without
// labels: the set's Y is nil and Classes 0. Any labels are ignored.
func LoadFeatures(ctx context.Context, src Source) (*Set, error) {
	return load(ctx, src)
}

func load(ctx context.Context, src Source) (*Set, error) {
	labelled := src.HasLabels()
	cols := src.Schema().Columns
	for _, c := range cols {
		if c.Kind != Numeric {
			return nil, fmt.Errorf("column %q is %s; training needs numeric features (encode it first or drop it)", c.Name, c.Kind)
		}
	}
	s := &Set{D: len(cols), Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
	for _, c := range cols {
		s.Columns = append(s.Columns, c.Name)
	}
	if is, ok := src.(imageSource); ok {
		s.Shape = is.ImageShape()
	}
	var labels []string
	if rc, ok := src.(rowCounter); ok {
		if n := rc.Rows(); n > 0 && n*int64(s.D) <= MaxSetValues {
			s.X = make([]float32, 0, n*int64(s.D))
			if labelled {
				labels = make([]string, 0, n)
			}
		}
	}
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if (s.N+b.Rows)*s.D > MaxSetValues {
			return nil, fmt.Errorf("more than %d feature values: too large to hold in memory", MaxSetValues)
		}
		if err := s.appendBatch(b); err != nil {
			return nil, err
		}
		if !labelled {
			continue
		}
		for i, l := range b.Labels {
			if l == "" {
				return nil, fmt.Errorf("row %d: missing label", b.Offset+int64(i)+1)
			}
		}
		labels = append(labels, b.Labels...)
	}
	if s.N == 0 {
		return nil, errors.New("the data has no rows")
	}
	s.pixelRange()
	if !labelled {
		return s, nil
	}
	var err error
	if s.Y, s.Names, err = classIndices(labels); err != nil {
		return nil, err
	}
	s.Classes = len(s.Names)
	return s, nil
}

// pixelRange widens the observed range of image rows to the range of
// their pixel type, so that "white" is 255 for 8-bit images (and 1 for
// images scaled to [0, 1]) even when no pixel of the data reaches it.
func (s *Set) pixelRange() {
	if !s.Shape.IsImage() || s.Min < 0 {
		return
	}
	if s.Max <= 1 {
		s.Min, s.Max = 0, 1
		return
	}
	if allBytes(s.X) {
		s.Min, s.Max = 0, 255
	}
}

// appendBatch appends a batch's features, row-major, and widens the range.
func (s *Set) appendBatch(b *Batch) error {
	base := len(s.X)
	s.X = slices.Grow(s.X, b.Rows*s.D)[:base+b.Rows*s.D]
	for j, col := range b.Cols {
		for i, v := range col.Num[:b.Rows] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				what := "is NaN or infinite"
				if IsMissing(v) {
					what = "is missing"
				}
				return fmt.Errorf("row %d, column %d %s; fill or drop it first", b.Offset+int64(i)+1, j+1, what)
			}
			f := float32(v)
			s.X[base+i*s.D+j] = f
			s.Min = min(s.Min, f)
			s.Max = max(s.Max, f)
		}
	}
	s.N += b.Rows
	return nil
}

// classIndices numbers the distinct labels.
func classIndices(labels []string) ([]int, []string, error) {
	index := map[string]int{}
	for _, l := range labels {
		if _, ok := index[l]; !ok {
			if len(index) == MaxClasses {
				return nil, nil, fmt.Errorf("more than %d distinct labels: is the label column right?", MaxClasses)
			}
			index[l] = 0
		}
	}
	names := make([]string, 0, len(index))
	for l := range index {
		names = append(names, l)
	}
	sortLabels(names)
	if dense := denseIntegers(names); dense != nil {
		names = dense
	}
	for i, n := range names {
		index[n] = i
	}
	y := make([]int, len(labels))
	for i, l := range labels {
		y[i] = index[l]
	}
	return y, names, nil
}

// sortLabels sorts numerically when every label is a number, else as text.
func sortLabels(names []string) {
	nums := make(map[string]float64, len(names))
	for _, n := range names {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			slices.Sort(names)
			return
		}
		nums[n] = v
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmpFloat(nums[a], nums[b])
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// denseIntegers returns the names "0".."max" when the sorted labels are
// non-negative integers no larger than a few more than their count, so
// that class i is the label i even when a class is absent from the data;
// else nil.
func denseIntegers(sorted []string) []string {
	last, err := strconv.Atoi(sorted[len(sorted)-1])
	if err != nil || last >= MaxClasses || last > 2*len(sorted)+10 {
		return nil
	}
	for _, n := range sorted {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 || strconv.Itoa(v) != n {
			return nil
		}
	}
	names := make([]string, last+1)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// imageShape reads an image shape from an array's per-record dimensions:
// H×W (one channel) or H×W×C with at most 4 channels; else zero.
func imageShape[T int | int64](dims []T) Shape {
	switch {
	case len(dims) == 2 && dims[0] > 1 && dims[1] > 1:
		return Shape{Height: int(dims[0]), Width: int(dims[1]), Channels: 1}
	case len(dims) == 3 && dims[0] > 1 && dims[1] > 1 && dims[2] >= 1 && dims[2] <= 4:
		return Shape{Height: int(dims[0]), Width: int(dims[1]), Channels: int(dims[2])}
	}
	return Shape{}
}

// LoadFile opens a labelled dataset file and reads it into memory.
func LoadFile(ctx context.Context, path string, opts Options) (*Set, error) {
	return loadFile(ctx, path, opts, Load)
}

// loadFile opens a file and reads it with load, naming the file in errors
// that do not name it already.
func loadFile(ctx context.Context, path string, opts Options, load func(context.Context, Source) (*Set, error)) (*Set, error) {
	src, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	s, err := load(ctx, src)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadLabels reads a labels file (1-D .npy, IDX labels, or one label a
// line) and numbers its classes as Load does.
func ReadLabels(path string) (classes []int, names []string, err error) {
	r, err := OpenLabels(path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var labels []string
	for {
		batch, err := r.Read(DefaultBatchRows)
		for i, l := range batch {
			if l == "" {
				return nil, nil, &InputError{Path: path, Row: int64(len(labels) + i + 1), Offset: -1, Err: errors.New("missing label")}
			}
		}
		labels = append(labels, batch...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if len(labels) == 0 {
		return nil, nil, fmt.Errorf("%s: no labels", path)
	}
	if classes, names, err = classIndices(labels); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return classes, names, nil
}

// LoadFeaturesFile opens a file and reads its numeric features into memory
// without labels.
func LoadFeaturesFile(ctx context.Context, path string, opts Options) (*Set, error) {
	return loadFile(ctx, path, opts, LoadFeatures)
}
