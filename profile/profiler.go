package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/poisonguard/poisonguard/dataset"
)

// DefaultExactLimit is how many finite values of a numeric column a profile
// keeps exactly. At or below it, KS, Wasserstein and PSI against the
// profile are exact; above it they use the KLL sketch — except in a column
// with at most 4096 distinct values, which stays exact at any size since
// it costs only its distinct values.
const DefaultExactLimit = 100_000

// ProfileKLLK is the KLL accuracy parameter profiles use by default: k =
// 1024, as whylogs does, for a normalised rank error of about 0.27% (99%
// confidence) instead of the 1.33% of DataSketches' k = 200. KS tests from
// sketches can resolve no finer shift than the rank errors of the two
// sides, and a 1.33% floor hides shifts that a million rows reveal; the
// larger sketch costs 25–60 KB a column and no update speed.
const ProfileKLLK = 1024

// Options configures a Profiler. The zero value uses the defaults.
type Options struct {
	// ExactLimit is the number of finite values per numeric column kept
	// exactly (DefaultExactLimit if 0; negative keeps none).
	ExactLimit int64
	// KLLK is the KLL sketch's accuracy parameter (ProfileKLLK if 0).
	KLLK int
	// RowCapacity is how many distinct row hashes to keep
	// (DefaultRowCapacity if 0).
	RowCapacity int
	// Workers is the number of goroutines (GOMAXPROCS if 0).
	Workers int
	// DeclaredRows is the number of rows the source declares up front (0
	// if it does not; FromSource asks the source). When it exceeds
	// ExactLimit, the columns skip the exact store's raw values: a column
	// stays exact while it has at most 4096 distinct values and is
	// sketched from its first values once it has more, even if most of
	// its rows turn out missing.
	DeclaredRows int64
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
		o.KLLK = ProfileKLLK
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
	// The row set takes each batch's row hashes on its own goroutine, so
	// that its sorting and folding overlap the next batch's column work.
	rowSink   chan []pendingRow
	rowFree   chan []pendingRow
	rowsDone  chan struct{}
	closeRows sync.Once
}

// New returns a profiler for sources with the given schema.
func New(schema dataset.Schema, labeled bool, opts Options) (*Profiler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	p := &Profiler{opts: opts, schema: schema, labeled: labeled, set: newRowSet(opts.RowCapacity),
		rowSink: make(chan []pendingRow, 2), rowFree: make(chan []pendingRow, 3), rowsDone: make(chan struct{})}
	for range 3 {
		p.rowFree <- nil
	}
	sink, free, set := p.rowSink, p.rowFree, p.set
	go func() {
		defer close(p.rowsDone)
		for rows := range sink {
			for _, r := range rows {
				set.add(r.hash, r.label)
			}
			free <- rows
		}
	}()
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
	// The batch's work is a queue of tasks — each column's statistics, then
	// the row hashes of each block of rows — that the workers take in turn,
	// so that one worker slowed (by the reader's goroutine sharing its core,
	// or by a column's sketch compacting) does not leave the others idle.
	w := min(p.opts.Workers, max(len(p.cols), 1))
	blocks := min(b.Rows, 4*w)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				t := int(next.Add(1) - 1)
				switch {
				case t < len(p.cols):
					p.cols[t].add(b.Cols[t], b.Rows, p.opts)
				case t < len(p.cols)+blocks:
					k := t - len(p.cols)
					p.hashRows(b, b.Rows*k/blocks, b.Rows*(k+1)/blocks)
				default:
					return
				}
			}
		})
	}
	wg.Wait()
	rows := (<-p.rowFree)[:0]
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
		rows = append(rows, pendingRow{h1, lab})
	}
	p.rowSink <- rows
	if p.labeled && len(p.labels) > MaxClasses {
		return fmt.Errorf("more than %d distinct labels: is the label column right?", MaxClasses)
	}
	p.rows += int64(b.Rows)
	if p.opts.Progress != nil {
		p.opts.Progress(p.rows)
	}
	return nil
}

// hashRows folds every column of rows lo..hi of b into the row hashes.
func (p *Profiler) hashRows(b *dataset.Batch, lo, hi int) {
	for j, c := range p.cols {
		if c.col.Kind == dataset.Numeric {
			p.hasher.addNum(j, b.Cols[j].Num, lo, hi)
		} else {
			p.hasher.addStr(j, b.Cols[j].Str, lo, hi)
		}
	}
}

// Close stops the profiler's row-set goroutine; Profile calls it, and a
// caller that abandons a profiler must. It may be called more than once.
func (p *Profiler) Close() {
	p.closeRows.Do(func() { close(p.rowSink) })
	<-p.rowsDone
}

// Profile finishes and returns the profile. The profiler must not be used
// afterwards.
func (p *Profiler) Profile(sources ...string) *Profile {
	p.Close()
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
	p.parallel(func() func(*colState) {
		var scratch [2][]uint64
		return func(s *colState) {
			if s.col.Kind == dataset.Numeric && s.col.Sketch == nil {
				s.col.Values = s.values(&scratch)
			}
		}
	})
	for _, s := range p.cols {
		out.Columns = append(out.Columns, s.col)
	}
	if p.labeled {
		out.Label = labelsFrom(p.opts.LabelColumn, p.labels, p.missLab)
	}
	p.set.flush()
	p.set.dropScratch()
	out.finish()
	return out
}

// parallel runs a function on every column, spread over the workers; each
// worker gets its own function from newFn, to hold its own scratch space.
func (p *Profiler) parallel(newFn func() func(*colState)) {
	var wg sync.WaitGroup
	w := min(p.opts.Workers, max(len(p.cols), 1))
	for k := range w {
		fn := newFn()
		wg.Go(func() {
			for j := k; j < len(p.cols); j += w {
				fn(p.cols[j])
			}
		})
	}
	wg.Wait()
}

// invalidCounter is implemented by sources that count values that did not
// fit a column's inferred type.
type invalidCounter interface {
	Invalid() []int64
}

// FromSource profiles every row of a source. Reading runs one batch ahead
// of profiling, on its own goroutine, so that decoding overlaps the work;
// batches are decoded straight into the profiler's two (see
// dataset.NextInto).
func FromSource(ctx context.Context, src dataset.Source, opts Options, sources ...string) (*Profile, error) {
	if rc, ok := src.(interface{ Rows() int64 }); ok && opts.DeclaredRows == 0 {
		opts.DeclaredRows = max(rc.Rows(), 0)
	}
	p, err := New(src.Schema(), src.HasLabels(), opts)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full, free := make(chan *dataset.Batch, 1), make(chan *dataset.Batch, 2)
	free <- &dataset.Batch{}
	free <- &dataset.Batch{}
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		for {
			var dst *dataset.Batch
			select {
			case dst = <-free:
			case <-ctx.Done():
				return
			}
			if err := dataset.NextInto(ctx, src, dst); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				}
				return
			}
			select {
			case full <- dst:
			case <-ctx.Done():
				return
			}
		}
	}()
	for b := range full {
		if err := p.Add(ctx, b); err != nil {
			return nil, err
		}
		free <- b
	}
	select {
	case err := <-readErr:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
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
