// Package profile computes single-pass, mergeable profiles of datasets:
// per-column counts, moments, exact samples or quantile sketches,
// categorical frequencies and distinct counts, the label distribution, an
// order-independent content fingerprint, and a bounded set of row hashes.
// Profiles of shards merge into the profile of the whole. The JSON form is
// documented in docs/profile-format.md.
package profile

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"

	"github.com/poisonguard/poisonguard/dataset"
)

// FormatName and FormatVersion identify the profile JSON format.
const (
	FormatName    = "poisonguard.profile"
	FormatVersion = 1
)

// QuantileProbs are the probabilities at which a numeric column's
// quantiles are reported in the profile.
var quantileProbs = [...]float64{0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99}

// QuantileProbs returns the probabilities of Column.Quantiles.
func QuantileProbs() []float64 { return quantileProbs[:] }

// Profile is the profile of one dataset (or of several merged shards).
type Profile struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Sources  []string  `json:"sources"`
	Settings Settings  `json:"settings"`
	Rows     int64     `json:"rows"`
	Columns  []*Column `json:"columns"`
	// Label is nil when the dataset has no labels.
	Label       *Labels     `json:"label"`
	Fingerprint Fingerprint `json:"fingerprint"`
	RowHashes   *RowSet     `json:"row_hashes"`
}

// Settings records the parameters a profile was made with; profiles merge
// only when their settings agree.
type Settings struct {
	ExactLimit  int64 `json:"exact_limit"`
	KLLK        int   `json:"kll_k"`
	RowCapacity int   `json:"row_capacity"`
}

// Column is the profile of one feature column.
type Column struct {
	Name string       `json:"name"`
	Kind dataset.Kind `json:"type"`
	// Count is the number of cells, Missing of those without a value,
	// Invalid of those whose text did not fit the column's type (counted as
	// missing too), NaN and Inf of non-finite numbers.
	Count   int64 `json:"count"`
	Missing int64 `json:"missing"`
	Invalid int64 `json:"invalid"`
	NaN     int64 `json:"nan"`
	Inf     int64 `json:"inf"`

	// Numeric columns: moments of the finite values, quantiles at
	// QuantileProbs, and either the exact sample (Values, while the column
	// has at most Settings.ExactLimit finite values) or a KLL sketch.
	Moments   *Moments  `json:"moments,omitempty"`
	Quantiles []float64 `json:"quantiles,omitempty"`
	Values    *Values   `json:"values,omitempty"`
	Sketch    *KLL      `json:"sketch,omitempty"`

	// Categorical and boolean columns: value frequencies (exact up to a cap,
	// then the heavy hitters) and a distinct-count estimate.
	Categories  *TopK   `json:"categories,omitempty"`
	Distinct    *HLL    `json:"distinct,omitempty"`
	Cardinality float64 `json:"cardinality,omitempty"`
}

// Labels is the label distribution.
type Labels struct {
	Column      string       `json:"column,omitempty"`
	Missing     int64        `json:"missing"`
	Classes     []ClassCount `json:"classes"`
	EntropyBits float64      `json:"entropy_bits"`
}

// ClassCount is one class and its number of rows.
type ClassCount struct {
	Class string `json:"class"`
	Count int64  `json:"count"`
}

// MaxClasses caps the number of label classes a profile holds.
const MaxClasses = 100_000

// Counts returns the class counts as a map.
func (l *Labels) Counts() map[string]int64 {
	m := make(map[string]int64, len(l.Classes))
	for _, c := range l.Classes {
		m[c.Class] = c.Count
	}
	return m
}

// Entropy returns the Shannon entropy in bits of a set of counts.
func Entropy(counts []int64) float64 {
	var n float64
	for _, c := range counts {
		n += float64(c)
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func labelsFrom(column string, counts map[string]int64, missing int64) *Labels {
	l := &Labels{Column: column, Missing: missing}
	for c, n := range counts {
		l.Classes = append(l.Classes, ClassCount{Class: c, Count: n})
	}
	slices.SortFunc(l.Classes, func(a, b ClassCount) int { return compareClass(a.Class, b.Class) })
	ns := make([]int64, len(l.Classes))
	for i, c := range l.Classes {
		ns[i] = c.Count
	}
	l.EntropyBits = Entropy(ns)
	return l
}

// compareClass orders class names numerically when both are numbers.
func compareClass(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil && x != y {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

// Column returns the column called name, or nil.
func (p *Profile) Column(name string) *Column {
	for _, c := range p.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Quantile returns a numeric column's q-quantile: exact from the sample
// when it has one, else from the sketch. NaN for other columns.
func (c *Column) Quantile(q float64) float64 {
	switch {
	case c.Values != nil:
		return c.Values.Quantile(q)
	case c.Sketch != nil && c.Sketch.N() > 0:
		return c.Sketch.Quantile(q)
	}
	return math.NaN()
}

// Exact reports whether a numeric column kept its exact sample.
func (c *Column) Exact() bool { return c.Values != nil }

// finish derives the figures that follow from the mergeable state.
func (c *Column) finish() {
	switch c.Kind {
	case dataset.Numeric:
		switch {
		case c.Moments == nil || c.Moments.N == 0:
			c.Quantiles = nil
		case c.Values != nil:
			c.Quantiles = c.Values.Quantiles(quantileProbs[:])
		case c.Sketch != nil:
			c.Quantiles = c.Sketch.Quantiles(quantileProbs[:])
		}
	default:
		if c.Distinct != nil {
			c.Cardinality = c.Distinct.Estimate()
			if c.Categories != nil && c.Categories.Exact() {
				c.Cardinality = float64(len(c.Categories.Counts()))
			}
		}
	}
}

// finish derives the profile's computed fields.
func (p *Profile) finish() {
	for _, c := range p.Columns {
		c.finish()
	}
	p.setClasses()
}

// setClasses tells the row set the label classes it encodes indexes of.
func (p *Profile) setClasses() {
	if p.Label != nil {
		p.RowHashes.classes = classNames(p.Label)
	} else {
		p.RowHashes.classes = nil
	}
}

func classNames(l *Labels) []string {
	names := make([]string, len(l.Classes))
	for i, c := range l.Classes {
		names[i] = c.Class
	}
	return names
}

// columnBuffers holds the buffers that encoding a column fills, reused
// from column to column.
type columnBuffers struct{ raw, out []byte }

// encode sets out to a column's JSON object. The exact sample, by far the
// largest part, is appended after the other fields straight from its
// encoding rather than through encoding/json, which would scan it again.
func (s *columnBuffers) encode(c *Column) error {
	rest := *c
	rest.Values = nil
	b, err := json.Marshal(&rest)
	if err != nil {
		return fmt.Errorf("encode column %s: %w", c.Name, err)
	}
	if c.Values == nil {
		s.out = append(s.out[:0], b...)
		return nil
	}
	s.raw = c.Values.appendEncoded(s.raw[:0])
	s.out = append(append(s.out[:0], b[:len(b)-1]...), `,"values":`...)
	s.out = append(appendQuotedBase64(s.out, s.raw), '}')
	return nil
}

// writeColumns writes the columns' JSON objects in order, separated as
// Write lays them out. Workers encode the columns ahead of the writer, at
// most two a worker: a profile of wide exact samples (a 60,000 x 784
// float32 file makes 185 MB) spends most of its writing time encoding.
func writeColumns(w *bufio.Writer, cols []*Column) error {
	workers := runtime.GOMAXPROCS(0)
	stop := make(chan struct{})
	defer close(stop)
	type result struct {
		buf *columnBuffers
		err error
	}
	pending := make(chan chan result, 2*workers) // in column order
	free := make(chan *columnBuffers, 3*workers)
	go func() {
		defer close(pending)
		slots := make(chan struct{}, workers)
		for _, c := range cols {
			done := make(chan result, 1)
			select {
			case pending <- done:
			case <-stop:
				return
			}
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				defer func() { <-slots }()
				buf := &columnBuffers{}
				select {
				case buf = <-free:
				default:
				}
				done <- result{buf, buf.encode(c)}
			}()
		}
	}()
	i := 0
	for done := range pending {
		r := <-done
		if r.err != nil {
			return r.err
		}
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n  ")
		if _, err := w.Write(r.buf.out); err != nil {
			return err
		}
		select {
		case free <- r.buf:
		default:
		}
		i++
	}
	return nil
}

// Limits on a profile file.
const (
	// MaxProfileBytes caps the size of a profile file that Read accepts.
	MaxProfileBytes = 2 << 30
	// MaxColumns caps the number of columns of a profile.
	MaxColumns = 1 << 20
)

// ErrFormat is returned by Read for input that is not a poisonguard
// profile of a version this build understands.
var ErrFormat = errors.New("not a poisonguard profile")

// Read decodes and validates a profile.
func Read(r io.Reader) (*Profile, error) {
	dec := json.NewDecoder(io.LimitReader(r, MaxProfileBytes))
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	p.finish()
	return &p, nil
}

func (p *Profile) validate() error {
	if p.Format != FormatName {
		return fmt.Errorf("%w: format %q", ErrFormat, p.Format)
	}
	if p.Version != FormatVersion {
		return fmt.Errorf("%w: version %d (this build reads %d)", ErrFormat, p.Version, FormatVersion)
	}
	if len(p.Columns) > MaxColumns {
		return fmt.Errorf("%w: %d columns", ErrFormat, len(p.Columns))
	}
	if p.RowHashes == nil {
		return fmt.Errorf("%w: no row hashes", ErrFormat)
	}
	st := p.Settings
	if st.ExactLimit < 0 || st.KLLK < MinKLLK || st.KLLK > MaxKLLK ||
		st.RowCapacity < 1 || st.RowCapacity > MaxRowCapacity || st.RowCapacity != p.RowHashes.capacity {
		return fmt.Errorf("%w: settings %+v out of range or not those of its row hashes", ErrFormat, st)
	}
	if p.Rows < 0 || p.Fingerprint.Rows != p.Rows {
		return fmt.Errorf("%w: row count %d does not match its fingerprint's %d", ErrFormat, p.Rows, p.Fingerprint.Rows)
	}
	seen := make(map[string]bool, len(p.Columns))
	for i, c := range p.Columns {
		if c == nil || seen[c.Name] {
			return fmt.Errorf("%w: column %d is empty or repeats a name", ErrFormat, i)
		}
		seen[c.Name] = true
		if err := c.validate(); err != nil {
			return fmt.Errorf("%w: column %q: %w", ErrFormat, c.Name, err)
		}
	}
	if p.Label != nil {
		if len(p.Label.Classes) > MaxClasses {
			return fmt.Errorf("%w: %d label classes", ErrFormat, len(p.Label.Classes))
		}
		for _, c := range p.Label.Classes {
			if c.Count < 0 {
				return fmt.Errorf("%w: negative count for class %q", ErrFormat, c.Class)
			}
		}
		if err := p.RowHashes.resolve(classNames(p.Label)); err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
	} else if err := p.RowHashes.resolve(nil); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return nil
}

func (c *Column) validate() error {
	if c.Count < 0 || c.Missing < 0 || c.NaN < 0 || c.Inf < 0 || c.Invalid < 0 {
		return errors.New("negative count")
	}
	switch c.Kind {
	case dataset.Numeric:
		if c.Moments == nil {
			return errors.New("numeric column without moments")
		}
		if c.Values == nil && c.Sketch == nil {
			return errors.New("numeric column with neither exact values nor a sketch")
		}
		if c.Values != nil && c.Values.N() != c.Moments.N {
			return fmt.Errorf("exact sample holds %d values, moments count %d", c.Values.N(), c.Moments.N)
		}
	case dataset.Categorical, dataset.Boolean:
		if c.Categories == nil || c.Distinct == nil {
			return errors.New("categorical column without frequencies")
		}
	default:
		return fmt.Errorf("unknown type %v", c.Kind)
	}
	return nil
}

// Write encodes a profile as JSON, one column a line, streaming column by
// column so that a profile with large exact samples is never held twice.
func Write(w io.Writer, p *Profile) error {
	p.setClasses()
	// The row set, often the largest single field, encodes meanwhile; its
	// base64 is streamed out at the end.
	rowHashes := make(chan []byte, 1)
	go func() { rowHashes <- p.RowHashes.encodeEntries() }()
	bw := bufio.NewWriterSize(w, 1<<16)
	field := func(sep, name string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		fmt.Fprintf(bw, "%s%q: ", sep, name)
		_, err = bw.Write(b)
		return err
	}
	for i, f := range []struct {
		name string
		v    any
	}{{"format", p.Format}, {"version", p.Version}, {"sources", p.Sources}, {"settings", p.Settings}, {"rows", p.Rows}} {
		sep := ",\n "
		if i == 0 {
			sep = "{\n "
		}
		if err := field(sep, f.name, f.v); err != nil {
			return err
		}
	}
	bw.WriteString(",\n \"columns\": [")
	if err := writeColumns(bw, p.Columns); err != nil {
		return err
	}
	bw.WriteString("\n ]")
	for _, f := range []struct {
		name string
		v    any
	}{{"label", p.Label}, {"fingerprint", p.Fingerprint}} {
		if err := field(",\n ", f.name, f.v); err != nil {
			return err
		}
	}
	bw.WriteString(",\n \"row_hashes\": ")
	if err := p.RowHashes.writeJSON(bw, <-rowHashes); err != nil {
		return fmt.Errorf("encode row_hashes: %w", err)
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
