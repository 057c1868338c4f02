package detect

import (
	"context"
	"math"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// spectralSeed fixes the start of the power iterations.
const spectralSeed = 1

// spectralMaxGap caps the class statistic where the second singular
// value vanishes, so that it stays finite (and encodable as JSON).
const spectralMaxGap = 1e12

// Spectral runs spectral signatures (Tran, Li, Madry 2018) on d.Features
// by class, as the paper's Algorithm 1 writes it: each class's rows are
// centred on the class mean, v is the top right-singular vector of the
// centred class matrix X̄, and a row's score is its squared centred
// projection ((x_i − x̄)·v)². (IBM ART and the authors' code rank by
// |x_i·v| on the uncentred rows instead; the two orders differ when
// x̄·v ≠ 0.) Scores are squared distances in feature units: a class
// whose top direction is stretched by a shifted sub-population scores
// higher throughout. The score assumes the sub-population is a minority
// of its class, as the paper does: at a share ε the shifted rows sit
// (1−ε)/ε times as far out as the rest, so near one half the two groups
// cannot be told apart.
//
// v is found by power iteration on the Gram matrix X̄ᵀX̄ (one float32
// matrix product, then float64 iterations from a fixed seeded start
// until the unit iterate moves less than 1e-6, at most 100 steps), not
// by a full SVD. The class statistic is the spectral gap σ1²/σ2², the
// ratio of the variance along v to the variance along the next
// direction (found by the same iteration deflated by v): a planted
// shifted sub-population of a few percent stretches one direction and
// raises the gap (capped at 1e12 when σ2 vanishes). Spectral gives no
// verdict of its own (Poisoned stays false): on real embeddings clean
// classes may have a large gap too, so the threshold belongs to the
// class gate.
//
// Classes of fewer than two rows score 0.
func Spectral(ctx context.Context, d *Data) (*Scores, error) {
	out, err := newScores(d, SpectralName)
	if err != nil {
		return nil, err
	}
	dim := d.Features.Cols
	var x, scratch []float32
	for c, rows := range d.ClassIndex() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(rows) < 2 || dim == 0 {
			continue
		}
		sig := spectralClass(d.Features, rows, &x, &scratch)
		out.Class[c].Statistic = sig.gap()
		for i, r := range rows {
			out.Row[r] = sig.score[i]
		}
	}
	return out, nil
}

// spectralSignature is one class's spectral signature.
type spectralSignature struct {
	// top and second are σ1² and σ2², the variances (unnormalised) of the
	// centred class along its top two singular directions.
	top, second float64
	// v is the top right-singular vector, its largest entry positive.
	v []float64
	// score holds ((x_i − x̄)·v)² for the class's rows in order.
	score []float64
}

// gap is σ1²/σ2², capped at spectralMaxGap; 0 for a constant class.
func (s spectralSignature) gap() float64 {
	if s.top <= 0 {
		return 0
	}
	if s.second <= s.top/spectralMaxGap {
		return spectralMaxGap
	}
	return s.top / s.second
}

// spectralClass computes the signature of the rows of f; x and scratch
// are buffers reused across classes.
func spectralClass(f Matrix, rows []int, x, scratch *[]float32) spectralSignature {
	n, dim := len(rows), f.Cols
	var g []float64
	*x, _ = linalgCentred(f, rows, *x)
	g, *scratch = linalgGram(*x, n, dim, *scratch)
	top, v, _ := linalgPowerTop(g, dim, nil, spectralSeed)
	second, _, _ := linalgPowerTop(g, dim, [][]float64{v}, spectralSeed)
	score := make([]float64, n)
	xs := *x
	gemm.Parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := xs[i*dim : (i+1)*dim]
			// Four interleaved partial sums, as linalgDot.
			var p0, p1, p2, p3 float64
			j := 0
			for ; j+4 <= dim; j += 4 {
				p0 += float64(row[j]) * v[j]
				p1 += float64(row[j+1]) * v[j+1]
				p2 += float64(row[j+2]) * v[j+2]
				p3 += float64(row[j+3]) * v[j+3]
			}
			for ; j < dim; j++ {
				p0 += float64(row[j]) * v[j]
			}
			p := (p0 + p1) + (p2 + p3)
			score[i] = p * p
		}
	})
	return spectralSignature{top: math.Max(top, 0), second: math.Max(second, 0), v: v, score: score}
}
