package detect

import (
	"context"
	"fmt"
	"math"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/gemm"
)

// MaxStreamDim bounds the columns SpectralStream takes: it holds a
// dim×dim float64 matrix per class (10 classes of 2048 columns: 320 MB).
const MaxStreamDim = 2048

// SpectralStream is Spectral over a feature source too large to hold in
// memory: it reads the source twice, in batches, and keeps only each
// class's row count, sum and dim×dim second moments. The first pass
// accumulates, per class, the rows shifted by the class's first row (so
// that the centring subtracts small numbers, not large ones); the class's
// top two directions come from its centred second-moment matrix, as in
// Spectral; the second pass scores each row. open must return a fresh
// source over the same rows each time; labels holds a class per row.
func SpectralStream(ctx context.Context, open func() (dataset.Source, error), labels []int, classes int) (*Scores, error) {
	n := len(labels)
	for i, y := range labels {
		if y < 0 || y >= classes {
			return nil, fmt.Errorf("row %d: class %d outside [0, %d)", i, y, classes)
		}
	}
	st := &spectralStreams{labels: labels, classes: classes}
	if err := st.pass(ctx, open, st.accumulate); err != nil {
		return nil, err
	}
	out := &Scores{Detector: SpectralName, Row: make([]float64, n), Class: make([]ClassStat, classes)}
	st.v = make([][]float64, classes)
	st.mean = make([][]float64, classes)
	for c := range classes {
		out.Class[c] = ClassStat{Class: c, Rows: st.count[c]}
		if st.count[c] < 2 || st.dim == 0 {
			continue
		}
		g, mean := st.centred(c)
		top, v, _ := linalgPowerTop(g, st.dim, nil, spectralSeed)
		second, _, _ := linalgPowerTop(g, st.dim, [][]float64{v}, spectralSeed)
		sig := spectralSignature{top: math.Max(top, 0), second: math.Max(second, 0)}
		out.Class[c].Statistic = sig.gap()
		st.v[c], st.mean[c] = v, mean
	}
	st.scores = out.Row
	if err := st.pass(ctx, open, st.score); err != nil {
		return nil, err
	}
	return out, nil
}

// spectralStreams is SpectralStream's state.
type spectralStreams struct {
	labels  []int
	classes int
	dim     int
	row     int // the index of the batch's first row in the current pass
	count   []int
	ref     [][]float64 // each class's first row
	sum     [][]float64 // Σ (x − ref)
	moment  [][]float64 // Σ (x − ref)(x − ref)ᵀ
	v, mean [][]float64
	scores  []float64
	buf     []float32
}

// pass reads a fresh source from start to end, handing each batch's rows
// (row-major float32) to fn.
func (st *spectralStreams) pass(ctx context.Context, open func() (dataset.Source, error), fn func(x []float32, rows int)) error {
	return streamPass(ctx, open, len(st.labels), &st.buf, func(x []float32, row0, rows, dim int) error {
		switch {
		case st.dim == 0 && st.count == nil:
			if dim > MaxStreamDim {
				return fmt.Errorf("spectral: %d columns, more than the %d a streamed scan holds", dim, MaxStreamDim)
			}
			st.dim = dim
			st.count = make([]int, st.classes)
			st.ref, st.sum, st.moment = make([][]float64, st.classes), make([][]float64, st.classes), make([][]float64, st.classes)
		case dim != st.dim:
			return fmt.Errorf("spectral: the source changed from %d to %d columns between passes", st.dim, dim)
		}
		st.row = row0
		fn(x, rows)
		return nil
	})
}

// accumulate adds a batch's rows to their classes' sums and moments.
func (st *spectralStreams) accumulate(x []float32, rows int) {
	dim := st.dim
	byClass := make([][]int, st.classes)
	for i := range rows {
		c := st.labels[st.row+i]
		byClass[c] = append(byClass[c], i)
	}
	var shifted, prod []float32
	for c, idx := range byClass {
		if len(idx) == 0 {
			continue
		}
		if st.ref[c] == nil {
			st.ref[c] = make([]float64, dim)
			for j, v := range x[idx[0]*dim : (idx[0]+1)*dim] {
				st.ref[c][j] = float64(v)
			}
			st.sum[c] = make([]float64, dim)
			st.moment[c] = make([]float64, dim*dim)
		}
		shifted = shifted[:0]
		for _, i := range idx {
			for j, v := range x[i*dim : (i+1)*dim] {
				d := float64(v) - st.ref[c][j]
				st.sum[c][j] += d
				shifted = append(shifted, float32(d))
			}
		}
		prod = make([]float32, dim*dim)
		gemm.Sgemm(true, false, dim, dim, len(idx), 1, shifted, dim, shifted, dim, 0, prod, dim)
		for k, v := range prod {
			st.moment[c][k] += float64(v)
		}
		st.count[c] += len(idx)
	}
}

// centred returns class c's centred second-moment matrix and its mean.
func (st *spectralStreams) centred(c int) ([]float64, []float64) {
	dim, n := st.dim, float64(st.count[c])
	mean := make([]float64, dim)
	d := make([]float64, dim) // mean − ref
	for j := range dim {
		d[j] = st.sum[c][j] / n
		mean[j] = st.ref[c][j] + d[j]
	}
	g := make([]float64, dim*dim)
	for i := range dim {
		for j := range dim {
			// Σ (x−r)(x−r)ᵀ − n·(m−r)(m−r)ᵀ, symmetrised.
			v := (st.moment[c][i*dim+j]+st.moment[c][j*dim+i])/2 - n*d[i]*d[j]
			g[i*dim+j] = v
		}
	}
	return g, mean
}

// score sets each row's squared projection on its class's direction.
func (st *spectralStreams) score(x []float32, rows int) {
	dim := st.dim
	for i := range rows {
		r := st.row + i
		c := st.labels[r]
		if st.v[c] == nil {
			continue
		}
		p := 0.0
		for j, val := range x[i*dim : (i+1)*dim] {
			p += (float64(val) - st.mean[c][j]) * st.v[c][j]
		}
		st.scores[r] = p * p
	}
}
