package detect

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/gemm"
)

// knnStreamBlock is how many query rows one goroutine compares with a
// batch at a time: its similarity block is knnStreamBlock × batch rows.
const knnStreamBlock = 512

// NeighboursStream is Neighbours over a feature source too large to hold
// in memory. It holds chunkRows rows at a time (the queries), unit-scaled,
// and streams the whole source past them, batch by batch, keeping each
// query's top k; the pass that serves one chunk also collects the next, so
// the source is read ⌈n / chunkRows⌉ + 1 times. Memory: the chunk, a batch,
// a similarity block per thread, and the n × k list. The neighbours are
// those Neighbours finds, ranked by the same order, up to the rounding of
// similarities that differ in the last bit. open must return a fresh
// source over the same n rows each time.
func NeighboursStream(ctx context.Context, open func() (dataset.Source, error), n, k, chunkRows int) (*NeighbourList, error) {
	if k < 1 || chunkRows < 1 {
		return nil, fmt.Errorf("need k ≥ 1 and chunk rows ≥ 1, not %d and %d", k, chunkRows)
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("%d rows: at most %d supported", n, math.MaxInt32)
	}
	k = min(k, max(n-1, 0))
	list := &NeighbourList{K: k, Index: make([]int32, n*k), Sim: make([]float32, n*k)}
	if k == 0 || n == 0 {
		return list, nil
	}
	s := &knnStream{n: n, k: k, chunkRows: min(chunkRows, n)}
	// The first pass only collects chunk 0; every later pass scores one
	// chunk against every row and collects the next.
	if err := streamPass(ctx, open, n, &s.buf, s.collect); err != nil {
		return nil, err
	}
	for q0 := 0; q0 < n; q0 += s.chunkRows {
		s.startChunk(q0)
		if err := streamPass(ctx, open, n, &s.buf, s.serve); err != nil {
			return nil, err
		}
		if s.queryRows != min(s.chunkRows, n-q0) {
			return nil, fmt.Errorf("the source changed between passes")
		}
		copy(list.Sim[q0*k:], s.top.sim)
		copy(list.Index[q0*k:], s.top.idx)
		s.query, s.next = s.next, s.query[:0:cap(s.query)]
	}
	return list, nil
}

// knnStream is NeighboursStream's state.
type knnStream struct {
	n, k, dim  int
	chunkRows  int
	q0         int       // first row of the chunk being served
	query      []float32 // its rows, unit-scaled
	queryRows  int
	next       []float32 // the next chunk's rows, collected meanwhile
	top        *knnTop
	buf, batch []float32
	blocks     [][]float32 // a similarity block per goroutine
}

// collect scales a batch's rows to unit length and keeps those of the
// first chunk: the first pass's work.
func (s *knnStream) collect(x []float32, row0, rows, dim int) error {
	if s.dim == 0 {
		s.dim = dim
	} else if dim != s.dim {
		return fmt.Errorf("the source changed from %d to %d columns between passes", s.dim, dim)
	}
	if row0 >= s.chunkRows {
		return errStopPass
	}
	batch, err := s.normalise(x, row0, rows, dim)
	if err != nil {
		return err
	}
	s.keep(batch, row0, rows, 0)
	return nil
}

// normalise scales a batch's rows to unit length into the stream's
// scratch.
func (s *knnStream) normalise(x []float32, row0, rows, dim int) ([]float32, error) {
	if cap(s.batch) < len(x) {
		s.batch = make([]float32, len(x))
	}
	batch, err := knnNormalise(s.batch[:len(x)], Matrix{Data: x, Rows: rows, Cols: dim})
	if err != nil {
		return nil, fmt.Errorf("row %d: %w", row0, err)
	}
	return batch, nil
}

// keep appends the batch's unit rows that fall in the chunk starting at lo.
func (s *knnStream) keep(batch []float32, row0, rows, lo int) {
	hi := min(lo+s.chunkRows, s.n)
	a, b := max(row0, lo), min(row0+rows, hi)
	if a >= b {
		return
	}
	if s.next == nil {
		s.next = make([]float32, 0, (hi-lo)*s.dim) // exactly the chunk: no regrowth
	}
	s.next = append(s.next, batch[(a-row0)*s.dim:(b-row0)*s.dim]...)
}

// startChunk makes the collected rows the queries of the chunk at q0.
func (s *knnStream) startChunk(q0 int) {
	if q0 == 0 {
		s.query, s.next = s.next, nil
	}
	s.q0 = q0
	s.queryRows = len(s.query) / max(s.dim, 1)
	s.top = newKNNTop(s.queryRows, s.k)
}

// serve offers every row of a batch to the chunk's queries, and keeps the
// batch's rows of the next chunk.
func (s *knnStream) serve(x []float32, row0, rows, dim int) error {
	if dim != s.dim {
		return fmt.Errorf("the source changed from %d to %d columns between passes", s.dim, dim)
	}
	batch, err := s.normalise(x, row0, rows, dim)
	if err != nil {
		return err
	}
	blocks := (s.queryRows + knnStreamBlock - 1) / knnStreamBlock
	var next atomic.Int64
	workers := min(runtime.GOMAXPROCS(0), blocks)
	for len(s.blocks) < workers {
		s.blocks = append(s.blocks, nil)
	}
	gemm.Parallel(workers, func(w, _ int) {
		if cap(s.blocks[w]) < knnStreamBlock*rows {
			s.blocks[w] = make([]float32, knnStreamBlock*rows)
		}
		for b := int(next.Add(1) - 1); b < blocks; b = int(next.Add(1) - 1) {
			s.offerBlock(s.blocks[w], batch, b*knnStreamBlock, row0, rows)
		}
	})
	s.keep(batch, row0, rows, s.q0+s.chunkRows)
	return nil
}

// offerBlock compares queries [r0, r0+knnStreamBlock) with a batch and
// offers each candidate to its query's list. Candidates come in increasing
// index order, so a tie ranks below what is already listed, as knnBetter
// says.
func (s *knnStream) offerBlock(buf, batch []float32, r0, row0, rows int) {
	qr := min(knnStreamBlock, s.queryRows-r0)
	d := s.dim
	if d == 0 {
		clear(buf[:qr*rows])
	} else {
		gemm.Sgemm(false, true, qr, rows, d, 1, s.query[r0*d:], d, batch, d, 0, buf, rows)
	}
	for r := range qr {
		i := s.q0 + r0 + r
		row := buf[r*rows : (r+1)*rows]
		kth := s.top.kth[r0+r]
		for c, v := range row {
			if v > kth && row0+c != i {
				s.top.offer(r0+r, v, int32(row0+c))
				kth = s.top.kth[r0+r]
			}
		}
	}
}

// ScanKNNLabelStream is Scan with the knn-label detector over a feature
// source read in chunks of chunkRows rows (see NeighboursStream), for
// features larger than memory.
func ScanKNNLabelStream(ctx context.Context, open func() (dataset.Source, error), labels []int, classes, chunkRows int, o Options) (*Report, error) {
	start := time.Now()
	o.Detector = KNNLabelName
	o = o.withDefaults()
	if err := o.validate(len(labels)); err != nil {
		return nil, err
	}
	d := &Data{Labels: labels, Classes: classes, Features: Matrix{Rows: len(labels)}}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	list, err := NeighboursStream(ctx, open, len(labels), o.K, chunkRows)
	if err != nil {
		return nil, err
	}
	sc := knnLabelScores(labels, classes, list)
	rep := judge(sc, d.ClassIndex(), o).report(d, o)
	rep.Summary.Seconds = time.Since(start).Seconds()
	return rep, nil
}
