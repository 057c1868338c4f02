package profile

import (
	"errors"
	"fmt"
)

// ErrIncompatible is returned by Merge for profiles whose columns, types,
// labels or settings differ.
var ErrIncompatible = errors.New("profiles are not of the same kind of data")

// Merge combines profiles of disjoint shards into the profile of their
// union. Counts, moments, label counts, fingerprints and exact samples
// merge exactly (moments up to floating-point rounding); quantile sketches
// within their stated rank error; distinct counts and heavy hitters within
// their sketches' bounds. A column whose merged exact sample would exceed
// the exact limit switches to a sketch. The inputs are not modified.
func Merge(ps ...*Profile) (*Profile, error) {
	if len(ps) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := ps[0]
	out := &Profile{
		Format:    FormatName,
		Version:   FormatVersion,
		Settings:  first.Settings,
		RowHashes: newRowSet(first.Settings.RowCapacity),
	}
	for _, c := range first.Columns {
		out.Columns = append(out.Columns, emptyLike(c))
	}
	var labels map[string]int64
	var missLab int64
	if first.Label != nil {
		labels = make(map[string]int64)
	}
	for i, p := range ps {
		if err := compatible(first, p); err != nil {
			return nil, fmt.Errorf("profile %d: %w", i+1, err)
		}
		out.Sources = append(out.Sources, p.Sources...)
		out.Rows += p.Rows
		out.Fingerprint.merge(p.Fingerprint)
		out.RowHashes.merge(p.RowHashes)
		for j, c := range p.Columns {
			out.Columns[j].merge(c, out.Settings)
		}
		if p.Label != nil {
			missLab += p.Label.Missing
			for _, c := range p.Label.Classes {
				labels[c.Class] += c.Count
			}
		}
	}
	if labels != nil {
		out.Label = labelsFrom(first.Label.Column, labels, missLab)
	}
	out.finish()
	return out, nil
}

func compatible(a, b *Profile) error {
	if a.Settings != b.Settings {
		return fmt.Errorf("%w: settings %+v and %+v differ", ErrIncompatible, a.Settings, b.Settings)
	}
	if len(a.Columns) != len(b.Columns) {
		return fmt.Errorf("%w: %d and %d columns", ErrIncompatible, len(a.Columns), len(b.Columns))
	}
	for j := range a.Columns {
		if a.Columns[j].Name != b.Columns[j].Name || a.Columns[j].Kind != b.Columns[j].Kind {
			return fmt.Errorf("%w: column %d is %s (%s) in one and %s (%s) in the other", ErrIncompatible, j+1,
				a.Columns[j].Name, a.Columns[j].Kind, b.Columns[j].Name, b.Columns[j].Kind)
		}
	}
	if (a.Label == nil) != (b.Label == nil) {
		return fmt.Errorf("%w: one has labels and the other not", ErrIncompatible)
	}
	return nil
}

// emptyLike returns an empty column of the same name and kind.
func emptyLike(c *Column) *Column {
	out := &Column{Name: c.Name, Kind: c.Kind}
	if c.Moments != nil {
		out.Moments = &Moments{}
		out.Values = &Values{}
	}
	if c.Categories != nil {
		out.Categories = NewTopK(DefaultExactCategories)
		out.Distinct = NewHLL(DefaultHLLPrecision)
	}
	return out
}

// merge folds o into c.
func (c *Column) merge(o *Column, s Settings) {
	c.Count += o.Count
	c.Missing += o.Missing
	c.Invalid += o.Invalid
	c.NaN += o.NaN
	c.Inf += o.Inf
	if c.Moments != nil {
		c.Moments.merge(*o.Moments)
		c.mergeDistribution(o, s)
	}
	if c.Categories != nil {
		c.Categories.Merge(o.Categories)
		c.Distinct.Merge(o.Distinct)
	}
}

func (c *Column) mergeDistribution(o *Column, s Settings) {
	if c.Values != nil && o.Values != nil &&
		(c.Values.N()+o.Values.N() <= s.ExactLimit || c.Values.Distinct()+o.Values.Distinct() <= maxSmallDistinct) {
		c.Values = mergeValues(c.Values, o.Values)
		return
	}
	if c.Sketch == nil {
		c.Sketch = NewKLL(s.KLLK)
		if c.Values != nil {
			c.Sketch.mergeSample(c.Values)
		}
		c.Values = nil
	}
	if o.Sketch != nil {
		c.Sketch.Merge(o.Sketch)
	} else {
		c.Sketch.mergeSample(o.Values)
	}
}
