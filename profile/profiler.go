package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/zeebo/xxh3"
)

// DefaultExactLimit is how many finite values of a numeric column a profile
// keeps exactly. At or below it, KS, Wasserstein and PSI against the
// profile are exact; above it they use the KLL sketch.
const DefaultExactLimit = 100_000

// Options configures a Profiler. The zero value uses the defaults.
type Options struct {
	// ExactLimit is the number of finite values per numeric column kept
	// exactly (DefaultExactLimit if 0; negative keeps none).
	ExactLimit int64
	// KLLK is the KLL sketch's accuracy parameter (DefaultKLLK if 0).
	KLLK int
	// RowCapacity is how many distinct row hashes to keep
	// (DefaultRowCapacity if 0).
	RowCapacity int
	// Workers is the number of goroutines (GOMAXPROCS if 0).
	Workers int
	// LabelColumn is recorded in the profile as the label's name.
	LabelColumn string
	// Progress, if set, is called after each batch with the rows so far.
	Progress func(rows int64)
}

func (o *Options) validate() error {
	if o.KLLK < 0 || o.RowCapacity < 0 || o.Workers < 0 {
		return errors.New("profile options must not be negative")
	}
	if o.ExactLimit == 0 {
		o.ExactLimit = DefaultExactLimit
	}
	if o.ExactLimit < 0 {
		o.ExactLimit = 0
	}
	if o.KLLK == 0 {
		o.KLLK = DefaultKLLK
	}
	if o.RowCapacity == 0 {
		o.RowCapacity = DefaultRowCapacity
	}
	if o.RowCapacity > MaxRowCapacity {
		return fmt.Errorf("row capacity %d exceeds %d", o.RowCapacity, MaxRowCapacity)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// Profiler builds a profile from batches in one pass.
type Profiler struct {
	opts    Options
	schema  dataset.Schema
	labeled bool
	cols    []*colState
	rows    int64
	labels  map[string]int64
	missLab int64
	fp      Fingerprint
	set     *RowSet
	hasher  rowHasher
}

// colState is the running state of one column.
type colState struct {
	col     *Column
	exact   []float64 // finite values while within the exact limit
	scratch []float64
}

// New returns a profiler for sources with the given schema.
func New(schema dataset.Schema, labeled bool, opts Options) (*Profiler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	p := &Profiler{opts: opts, schema: schema, labeled: labeled, set: newRowSet(opts.RowCapacity)}
	if labeled {
		p.labels = make(map[string]int64)
	}
	for _, c := range schema.Columns {
		col := &Column{Name: c.Name, Kind: c.Kind}
		switch c.Kind {
		case dataset.Numeric:
			col.Moments = &Moments{}
		default:
			col.Categories = NewTopK(DefaultExactCategories)
			col.Distinct = NewHLL(DefaultHLLPrecision)
		}
		p.cols = append(p.cols, &colState{col: col})
	}
	return p, nil
}

// Add folds a batch into the profile. The batch is not retained.
func (p *Profiler) Add(ctx context.Context, b *dataset.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(b.Cols) != len(p.cols) {
		return fmt.Errorf("batch has %d columns, schema %d", len(b.Cols), len(p.cols))
	}
	p.hasher.reset(b.Rows)
	w := min(p.opts.Workers, max(len(p.cols), 1))
	var wg sync.WaitGroup
	for k := range w {
		wg.Go(func() {
			for j := k; j < len(p.cols); j += w {
				p.cols[j].add(b.Cols[j], b.Rows, p.opts)
			}
			lo, hi := b.Rows*k/w, b.Rows*(k+1)/w
			for j, c := range p.cols {
				if c.col.Kind == dataset.Numeric {
					p.hasher.addNum(j, b.Cols[j].Num, lo, hi)
				} else {
					p.hasher.addStr(j, b.Cols[j].Str, lo, hi)
				}
			}
		})
	}
	wg.Wait()
	for i := range b.Rows {
		var lab uint64
		if p.labeled {
			l := b.Labels[i]
			if l == "" {
				p.missLab++
			} else {
				p.labels[l]++
			}
			lab = labelHash(l)
		}
		h1, h2 := p.hasher.finish(i)
		p.fp.add(h1, h2, lab)
		p.set.add(h1, lab)
	}
	if p.labeled && len(p.labels) > MaxClasses {
		return fmt.Errorf("more than %d distinct labels: is the label column right?", MaxClasses)
	}
	p.rows += int64(b.Rows)
	if p.opts.Progress != nil {
		p.opts.Progress(p.rows)
	}
	return nil
}

func (s *colState) add(v dataset.Vector, rows int, opts Options) {
	c := s.col
	c.Count += int64(rows)
	if c.Kind != dataset.Numeric {
		for _, x := range v.Str[:rows] {
			if x == "" {
				c.Missing++
				continue
			}
			c.Categories.Add(x, 1)
			c.Distinct.AddHash(xxh3.HashString(x))
		}
		return
	}
	fin := s.scratch[:0]
	for _, x := range v.Num[:rows] {
		if x-x != 0 { // NaN or ±Inf
			switch {
			case dataset.IsMissing(x):
				c.Missing++
			case x != x:
				c.NaN++
			default:
				c.Inf++
			}
			continue
		}
		fin = append(fin, x+0) // x+0 turns -0 into +0
	}
	s.scratch = fin
	c.Moments.addBlock(fin)
	if c.Sketch == nil && int64(len(s.exact)+len(fin)) <= opts.ExactLimit {
		s.exact = append(s.exact, fin...)
		return
	}
	if c.Sketch == nil {
		c.Sketch = NewKLL(opts.KLLK)
		c.Sketch.UpdateMany(s.exact)
		s.exact = nil
	}
	c.Sketch.UpdateMany(fin)
}

// Profile finishes and returns the profile. The profiler must not be used
// afterwards.
func (p *Profiler) Profile(sources ...string) *Profile {
	out := &Profile{
		Format:  FormatName,
		Version: FormatVersion,
		Sources: sources,
		Settings: Settings{
			ExactLimit:  p.opts.ExactLimit,
			KLLK:        p.opts.KLLK,
			RowCapacity: p.opts.RowCapacity,
		},
		Rows:        p.rows,
		Fingerprint: p.fp,
		RowHashes:   p.set,
	}
	for _, s := range p.cols {
		if s.col.Kind == dataset.Numeric && s.col.Sketch == nil {
			s.col.Values = compact(s.exact)
			s.exact = nil
		}
		out.Columns = append(out.Columns, s.col)
	}
	if p.labeled {
		out.Label = labelsFrom(p.opts.LabelColumn, p.labels, p.missLab)
	}
	p.set.trim()
	out.finish()
	return out
}

// invalidCounter is implemented by sources that count values that did not
// fit a column's inferred type.
type invalidCounter interface {
	Invalid() []int64
}

// FromSource profiles every row of a source.
func FromSource(ctx context.Context, src dataset.Source, opts Options, sources ...string) (*Profile, error) {
	p, err := New(src.Schema(), src.HasLabels(), opts)
	if err != nil {
		return nil, err
	}
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := p.Add(ctx, b); err != nil {
			return nil, err
		}
	}
	prof := p.Profile(sources...)
	if ic, ok := src.(invalidCounter); ok {
		for i, n := range ic.Invalid() {
			if i < len(prof.Columns) {
				prof.Columns[i].Invalid = n
			}
		}
	}
	return prof, nil
}
