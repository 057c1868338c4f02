package detect

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// Activation clustering's settings: ART's defaults (10 PCA dimensions, 2
// clusters, the 0.35 relative-size threshold) and the sampling of the
// silhouette.
const (
	acDims          = 10
	acRestarts      = 10
	acTrials        = 2
	acMaxIter       = 100
	acSample        = 2000
	acSizeThreshold = 0.35
	acSeed          = 0xac
	// acBlock is how many rows share one distance product in the
	// silhouette.
	acBlock = 256
	// acChunk is how many rows one part of a Lloyd step sums.
	acChunk = 1024
	// acTol is sklearn's KMeans tol.
	acTol = 1e-4
)

// ActivationClustering runs activation clustering (Chen et al. 2018) on
// d.Features by class: the class's centred rows are reduced to their top
// 10 principal components (the leading eigenvectors of the class
// covariance; no reduction when there are 10 features or fewer) and split
// in two by k-means: 10 restarts from greedy k-means++ seeds (as sklearn
// seeds), Lloyd steps until sklearn's tolerance (tol 1e-4) or 100 steps,
// the lowest inertia kept, all seeded so that the result is
// deterministic.
//
// The split is judged by ART's "relative-size" and "silhouette-scores"
// analyses: the class statistic is the split's silhouette (the mean
// silhouette of up to 2,000 rows sampled with a fixed seed, computed
// exactly on the sample, as sklearn's silhouette_score with sample_size
// does), clamped at 0, when the smaller cluster holds under 35% of the
// class (its share rounded to two decimals, as ART rounds it), else 0.
// ART's default of calling the smaller cluster poison in every class is
// not offered. Poisoned stays false: clean classes of real embeddings
// split with silhouettes well above ART's 0.1 threshold, so the
// threshold belongs to the class gate.
//
// A row's score grows with the split's separation and with how firmly
// the row sits in the smaller cluster: with S the split's silhouette
// (clamped at 0) and s_i the row's silhouette against the sampled rows
// (its mean distance to the other cluster's against its own), the score
// is S·(1+s_i)/2 in the smaller cluster and S·(1−s_i)/2 in the larger,
// so rows deep in the larger cluster score lowest and rows on the
// boundary score S/2 from either side.
//
// Classes of fewer than four rows, or whose rows are all equal, score 0.
func ActivationClustering(ctx context.Context, d *Data) (*Scores, error) {
	out, err := newScores(d, ActivationClustName)
	if err != nil {
		return nil, err
	}
	dim := d.Features.Cols
	var x, scratch []float32
	for c, rows := range d.ClassIndex() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := len(rows)
		if n < 4 || dim == 0 {
			continue
		}
		x, _ = linalgCentred(d.Features, rows, x)
		z, m := x, dim
		if dim > acDims {
			var g []float64
			g, scratch = linalgGram(x, n, dim, scratch)
			_, w, err := linalgTopEigen(g, dim, acDims, acSeed)
			if err != nil {
				return nil, fmt.Errorf("activation clustering: class %d: %w", c, err)
			}
			z, m = linalgProject(x, n, dim, w, acDims), acDims
		}
		rng := rand.New(rand.NewPCG(acSeed, uint64(c)))
		assign, sizes := acKMeans2(z, n, m, rng)
		if sizes[0] == 0 || sizes[1] == 0 {
			continue
		}
		small := uint8(0)
		if sizes[1] < sizes[0] {
			small = 1
		}
		share := float64(sizes[small]) / float64(n)
		sil, rowSil := acSilhouette(z, n, m, assign, acSampleRows(n, rng))
		sep := math.Max(sil, 0)
		if math.Round(share*100)/100 < acSizeThreshold {
			out.Class[c].Statistic = sep
		}
		for i, r := range rows {
			t := rowSil[i]
			if assign[i] != small {
				t = -t
			}
			out.Row[r] = sep * (1 + t) / 2
		}
	}
	return out, nil
}

// acKMeans2 splits the n×m rows z in two by Lloyd's k-means from
// acRestarts k-means++ starts and returns the assignment of the start
// with the lowest inertia and the clusters' sizes.
func acKMeans2(z []float32, n, m int, rng *rand.Rand) ([]uint8, [2]int) {
	best := make([]uint8, n)
	bestInertia := math.Inf(1)
	var bestSizes [2]int
	assign := make([]uint8, n)
	d2 := make([]float64, n)
	var cent [2][]float64
	cent[0], cent[1] = make([]float64, m), make([]float64, m)
	// sklearn's convergence test: stop when the centres move (in squared
	// distance, summed) by at most acTol of the mean variance of z's
	// columns, or when no row changes cluster.
	var tol float64
	for _, v := range z[:n*m] {
		tol += float64(v) * float64(v)
	}
	tol *= acTol / float64(n*m)
	parts := make([]acPart, (n+acChunk-1)/acChunk)
	for p := range parts {
		parts[p].sum = [2][]float64{make([]float64, m), make([]float64, m)}
	}
	for range acRestarts {
		// Greedy k-means++ (as sklearn seeds): the first centre uniformly,
		// then acTrials candidates drawn with probability proportional to
		// the squared distance to it, keeping the one that leaves the
		// smallest total squared distance to the nearer centre.
		first := rng.IntN(n)
		for j := range m {
			cent[0][j] = float64(z[first*m+j])
		}
		var total float64
		for i := range n {
			d2[i] = acDist2(z[i*m:(i+1)*m], cent[0])
			total += d2[i]
		}
		if total == 0 {
			return best, [2]int{n, 0} // all rows equal
		}
		second, bestPot := -1, math.Inf(1)
		for range acTrials {
			cand := acDraw(d2, total, rng)
			for j := range m {
				cent[1][j] = float64(z[cand*m+j])
			}
			var pot float64
			for i := range n {
				pot += math.Min(d2[i], acDist2(z[i*m:(i+1)*m], cent[1]))
			}
			if pot < bestPot {
				second, bestPot = cand, pot
			}
		}
		for j := range m {
			cent[1][j] = float64(z[second*m+j])
		}
		for i := range assign {
			assign[i] = 2 // no cluster yet
		}
		var inertia float64
		var sizes [2]int
		for range acMaxIter {
			var shift float64
			inertia, sizes, shift = acLloydStep(z, n, m, &cent, assign, parts)
			if shift <= tol || sizes[0] == 0 || sizes[1] == 0 {
				break
			}
		}
		if sizes[0] > 0 && sizes[1] > 0 && inertia < bestInertia {
			bestInertia, bestSizes = inertia, sizes
			copy(best, assign)
		}
	}
	return best, bestSizes
}

// acPart is one chunk's share of a Lloyd step.
type acPart struct {
	inertia float64
	sizes   [2]int
	sum     [2][]float64
	changed bool
}

// acLloydStep assigns every row of z to the nearer of the centres cent,
// then moves the centres to their rows' means (unless a cluster is left
// empty). It returns the inertia and sizes of the assignment (against
// the centres it was given) and how far the centres moved (squared
// distances summed; -1 when no row changed cluster). The
// rows are split into fixed chunks of acChunk whose sums are added in
// chunk order, so the result does not depend on the thread count.
func acLloydStep(z []float32, n, m int, cent *[2][]float64, assign []uint8, parts []acPart) (float64, [2]int, float64) {
	gemm.Parallel(len(parts), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			part := &parts[p]
			part.inertia, part.sizes, part.changed = 0, [2]int{}, false
			clear(part.sum[0])
			clear(part.sum[1])
			for i := p * acChunk; i < min(n, (p+1)*acChunk); i++ {
				row := z[i*m : (i+1)*m]
				a, b := acDist2(row, cent[0]), acDist2(row, cent[1])
				k := uint8(0)
				if b < a {
					k, a = 1, b
				}
				if assign[i] != k {
					assign[i], part.changed = k, true
				}
				part.inertia += a
				part.sizes[k]++
				for j, v := range row {
					part.sum[k][j] += float64(v)
				}
			}
		}
	})
	var inertia float64
	var sizes [2]int
	changed := false
	old := [2][]float64{slices.Clone(cent[0]), slices.Clone(cent[1])}
	for k := range cent {
		clear(cent[k])
	}
	for _, part := range parts {
		inertia += part.inertia
		sizes[0] += part.sizes[0]
		sizes[1] += part.sizes[1]
		changed = changed || part.changed
		for k := range cent {
			for j, v := range part.sum[k] {
				cent[k][j] += v
			}
		}
	}
	if !changed {
		cent[0], cent[1] = old[0], old[1]
		return inertia, sizes, -1
	}
	var shift float64
	for k := range cent {
		for j := range cent[k] {
			cent[k][j] /= float64(max(sizes[k], 1))
			d := cent[k][j] - old[k][j]
			shift += d * d
		}
	}
	return inertia, sizes, shift
}

// acDraw draws an index with probability proportional to its weight in
// w, whose sum is total.
func acDraw(w []float64, total float64, rng *rand.Rand) int {
	u := rng.Float64() * total
	for i, v := range w {
		if u < v {
			return i
		}
		u -= v
	}
	return len(w) - 1
}

func acDist2(row []float32, c []float64) float64 {
	var s float64
	for j, v := range row {
		t := float64(v) - c[j]
		s += t * t
	}
	return s
}

// acSampleRows returns up to acSample distinct row indices in [0, n),
// ascending, drawn by a partial Fisher–Yates shuffle.
func acSampleRows(n int, rng *rand.Rand) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if n <= acSample {
		return perm
	}
	for i := range acSample {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	s := perm[:acSample]
	slices.Sort(s)
	return s
}

// acSilhouette returns the mean silhouette of the sampled rows of the
// n×m matrix z under the two-cluster assignment (the exact silhouette of
// the sample, excluding each row from its own cluster's mean), and every
// row's silhouette against the sampled rows. A row whose own cluster has
// no other sampled row, or whose other cluster has none, gets 0, as
// sklearn gives singletons.
func acSilhouette(z []float32, n, m int, assign []uint8, sample []int) (float64, []float64) {
	s := len(sample)
	zs := make([]float32, s*m)
	sNorm := make([]float64, s)
	at := make([]int, n) // position of each row in the sample, or -1
	for i := range at {
		at[i] = -1
	}
	var count [2]int
	for p, i := range sample {
		copy(zs[p*m:(p+1)*m], z[i*m:(i+1)*m])
		sNorm[p] = acNorm2(zs[p*m : (p+1)*m])
		at[i] = p
		count[assign[i]]++
	}
	rowSil := make([]float64, n)
	prod := make([]float32, acBlock*s)
	for b0 := 0; b0 < n; b0 += acBlock {
		bn := min(acBlock, n-b0)
		// ‖a−b‖² = ‖a‖² + ‖b‖² − 2a·b, the products from one gemm call.
		gemm.Sgemm(false, true, bn, s, m, 1, z[b0*m:], m, zs, m, 0, prod, s)
		gemm.Parallel(bn, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				i := b0 + r
				ni := acNorm2(z[i*m : (i+1)*m])
				var sum [2]float64
				for p, g := range prod[r*s : (r+1)*s] {
					d2 := ni + sNorm[p] - 2*float64(g)
					if d2 > 0 && p != at[i] {
						sum[assign[sample[p]]] += math.Sqrt(d2)
					}
				}
				own := assign[i]
				nOwn, nOther := count[own], count[1-own]
				if at[i] >= 0 {
					nOwn--
				}
				if nOwn == 0 || nOther == 0 {
					continue
				}
				a, b := sum[own]/float64(nOwn), sum[1-own]/float64(nOther)
				if den := math.Max(a, b); den > 0 {
					rowSil[i] = (b - a) / den
				}
			}
		})
	}
	var mean float64
	for _, i := range sample {
		mean += rowSil[i]
	}
	return mean / float64(s), rowSil
}

func acNorm2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}
