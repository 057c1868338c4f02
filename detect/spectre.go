package detect

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/poisonguard/poisonguard/internal/gemm"
)

// SPECTRE's settings. spectreAlpha is the paper's α; spectreEps is the
// share of a class assumed poisoned when estimating the robust
// covariance, which trims spectreTrim·spectreEps of the class.
const (
	spectreDims   = 32
	spectreAlpha  = 4.0
	spectreEps    = 0.1
	spectreTrim   = 1.5
	spectreCSteps = 20
	// spectreStarts is how many leading principal directions seed a
	// start of the robust covariance, besides the whole class.
	spectreStarts = 2
	spectreSeed   = 0x5bec
	// spectreFloor bounds the eigenvalues of a covariance below, as a
	// share of the class's largest variance, before it is inverted.
	spectreFloor = 1e-12
)

// Spectre runs SPECTRE (Hayase et al. 2021) on d.Features by class,
// following the authors' rcov_quantum_filter for one k:
//
//  1. The class's centred rows are projected on their top k = 32
//     principal components (k = D when D is smaller, and at most a
//     quarter of the class's rows).
//  2. A robust covariance Σ of the projected rows is estimated (see
//     below).
//  3. Every row is whitened, x̃ = Σ^{-1/2}x, and Σ′ is the covariance
//     of the whitened rows.
//  4. QUE with α = 4: M = exp(α(Σ′−I)/(‖Σ′‖₂−1)), a matrix exponential
//     taken through the eigendecomposition of Σ′ (BackdoorBench's port
//     wrongly takes it elementwise), and a row's score is x̃ᵀMx̃/tr(M).
//     When no eigenvalue of Σ′ exceeds 1, M is the identity.
//
// The class statistic is tr(Σ′M)/tr(M), the quantity by which the
// authors choose k: a weighted mean of Σ′'s eigenvalues that leans on
// the largest. It stays near 1 when the robust covariance describes the
// whole class (a Gaussian class), and grows with the variance that a
// sub-population adds in a direction the robust estimate excludes; the
// heavy tails of clean classes of real embeddings raise it too (to 10–15
// on some classes of an MNIST MLP's embeddings). Spectre gives no verdict
// of its own (Poisoned stays false).
//
// The robust covariance approximates the authors' filter (DKK17's
// fourth-moment filter, which removes up to 2ε rows) by a Minimum
// Covariance Determinant estimate: C-steps (Rousseeuw and Van Driessen
// 1999) that keep the h = n − ⌈1.5·ε·n⌉ rows of smallest Mahalanobis
// distance under the current estimate, with ε = 0.1. As FastMCD
// schedules them, two C-steps run from each of three starts (the whole
// class, and the class without the 1.5·ε·n rows farthest from the median
// along each of its top two principal directions), then the start at the
// smallest determinant runs on until its rows stop changing (20 C-steps
// at most). Its covariance is scaled so that the median squared
// Mahalanobis distance of the class matches the χ²_k median (the usual
// MCD consistency correction). Unlike the authors' filter, the trim does
// not adapt to the data: a class with more than 15% poison keeps some
// in the estimate, which weakens its scores.
//
// Classes of fewer than four rows, or whose rows are all equal, score 0.
func Spectre(ctx context.Context, d *Data) (*Scores, error) {
	out, err := newScores(d, SpectreName)
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
		k := min(spectreDims, dim, n/4)
		if k < 1 {
			continue
		}
		x, _ = linalgCentred(d.Features, rows, x)
		var g []float64
		g, scratch = linalgGram(x, n, dim, scratch)
		vals, w, err := linalgTopEigen(g, dim, k, spectreSeed)
		if err != nil {
			return nil, fmt.Errorf("spectre: class %d: %w", c, err)
		}
		if vals[0] <= 0 {
			continue // all rows equal
		}
		z := linalgProject(x, n, dim, w, k)
		que, err := spectreQUE(z, n, k, vals[0]/float64(n)*spectreFloor)
		if err != nil {
			return nil, fmt.Errorf("spectre: class %d: %w", c, err)
		}
		out.Class[c].Statistic = que.stat
		for i, r := range rows {
			out.Row[r] = que.score[i]
		}
	}
	return out, nil
}

// spectreResult is one class's QUE scores and statistic.
type spectreResult struct {
	score []float64
	stat  float64 // tr(Σ′M)/tr(M)
}

// spectreQUE scores the n×k centred rows z: robust covariance,
// whitening, QUE. Covariance eigenvalues are floored at floor before
// they are inverted.
func spectreQUE(z []float32, n, k int, floor float64) (spectreResult, error) {
	sigma, err := spectreRobustCov(z, n, k, floor)
	if err != nil {
		return spectreResult{}, err
	}
	return spectreScore(z, n, k, sigma, floor)
}

// spectreScore whitens the n×k centred rows z by the covariance sigma
// and scores them by QUE.
func spectreScore(z []float32, n, k int, sigma []float64, floor float64) (spectreResult, error) {
	wh, _, err := spectreInvSqrt(sigma, k, floor)
	if err != nil {
		return spectreResult{}, err
	}
	white := linalgProject(z, n, k, wh, k) // rows x̃ᵀ = xᵀΣ^{-1/2}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	wc, _ := linalgCentred(Matrix{Data: white, Rows: n, Cols: k}, all, nil)
	cov, _ := linalgGram(wc, n, k, nil)
	for i := range cov {
		cov[i] /= float64(n - 1)
	}
	lambda, u, err := linalgEigenSym(cov, k)
	if err != nil {
		return spectreResult{}, err
	}
	weight, stat := spectreWeights(lambda)
	proj := linalgProject(white, n, k, u, k) // x̃ in Σ′'s eigenbasis
	score := make([]float64, n)
	gemm.Parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var s float64
			for j, p := range proj[i*k : (i+1)*k] {
				s += weight[j] * float64(p) * float64(p)
			}
			score[i] = s
		}
	})
	return spectreResult{score: score, stat: stat}, nil
}

// spectreWeights returns the eigenvalues of M = exp(α(Σ′−I)/(‖Σ′‖₂−1))
// divided by tr(M), given Σ′'s eigenvalues lambda in descending order
// (M shares Σ′'s eigenvectors), and tr(Σ′M)/tr(M). M is the identity
// when no eigenvalue exceeds 1.
func spectreWeights(lambda []float64) ([]float64, float64) {
	weight := make([]float64, len(lambda))
	var trace float64
	for j, l := range lambda {
		weight[j] = 1
		if lambda[0] > 1 {
			// The exponent is at most α: no overflow.
			weight[j] = math.Exp(spectreAlpha * (l - 1) / (lambda[0] - 1))
		}
		trace += weight[j]
	}
	var stat float64
	for j, l := range lambda {
		weight[j] /= trace
		stat += weight[j] * l
	}
	return weight, stat
}

// spectreInvSqrt returns Σ^{-1/2} of the symmetric positive
// semi-definite k×k sigma, its eigenvalues raised to at least floor (a
// positive number), and log det Σ under the same floor.
func spectreInvSqrt(sigma []float64, k int, floor float64) ([]float64, float64, error) {
	vals, vecs, err := linalgEigenSym(sigma, k)
	if err != nil {
		return nil, 0, err
	}
	out := make([]float64, k*k)
	var logDet float64
	for j, l := range vals {
		l = math.Max(l, floor)
		logDet += math.Log(l)
		s := 1 / math.Sqrt(l)
		for a := range k {
			va := vecs[a*k+j] * s
			for b := range k {
				out[a*k+b] += va * vecs[b*k+j]
			}
		}
	}
	return out, logDet, nil
}

// spectreRobustCov estimates the covariance of the n×k rows z by MCD
// C-steps from several starts (see Spectre).
func spectreRobustCov(z []float32, n, k int, floor float64) ([]float64, error) {
	h := n - int(math.Ceil(spectreTrim*spectreEps*float64(n)))
	if h <= k {
		h = n
	}
	starts := [][]int{nil} // nil: every row
	if h < n {
		col := make([]float64, n)
		for j := range min(spectreStarts, k) {
			for i := range n {
				col[i] = float64(z[i*k+j])
			}
			med := spectreMedian(col)
			for i := range col {
				col[i] = math.Abs(col[i] - med)
			}
			starts = append(starts, spectreSmallest(col, h))
		}
	}
	// FastMCD's schedule: two C-steps from every start, then the start
	// with the smallest determinant runs on until its kept set stops
	// changing.
	d2 := make([]float64, n)
	fits := make([]spectreFit, len(starts))
	best := 0
	for s, kept := range starts {
		f := &fits[s]
		f.kept = kept
		f.cov, f.mean = spectreMeanCov(z, n, k, kept)
		for range 2 {
			if err := f.step(z, n, k, h, floor, d2); err != nil {
				return nil, err
			}
		}
		if f.logDet < fits[best].logDet {
			best = s
		}
	}
	f := &fits[best]
	for step := 2; step < spectreCSteps && !f.done; step++ {
		if err := f.step(z, n, k, h, floor, d2); err != nil {
			return nil, err
		}
	}
	// The consistency correction: scale so that the median squared
	// distance of the class matches the χ²_k median.
	if err := spectreMahalanobis(d2, z, n, k, f.mean, f.cov, floor); err != nil {
		return nil, err
	}
	cov := slices.Clone(f.cov)
	scale := spectreMedian(d2) / distuv.ChiSquared{K: float64(k)}.Quantile(0.5)
	if scale > 0 && !math.IsInf(scale, 0) {
		for i := range cov {
			cov[i] *= scale
		}
	}
	return cov, nil
}

// spectreFit is one start of the MCD search.
type spectreFit struct {
	kept      []int // nil: every row
	cov, mean []float64
	logDet    float64
	done      bool // the last C-step kept the same rows
}

// step runs one C-step: keep the h rows closest to the fit under its
// covariance, and refit on them. d2 is scratch for n distances.
func (f *spectreFit) step(z []float32, n, k, h int, floor float64, d2 []float64) error {
	if f.done {
		return nil
	}
	if err := spectreMahalanobis(d2, z, n, k, f.mean, f.cov, floor); err != nil {
		return err
	}
	next := spectreSmallest(d2, h)
	if slices.Equal(next, f.kept) {
		f.done = true
	} else {
		f.kept = next
		f.cov, f.mean = spectreMeanCov(z, n, k, next)
	}
	_, logDet, err := spectreInvSqrt(f.cov, k, floor)
	f.logDet = logDet
	return err
}

// spectreMeanCov returns the covariance (normalised by the count, as the
// authors' cov(…, corrected=false)) and the mean of the rows of z listed
// in kept, or of all rows when kept is nil.
func spectreMeanCov(z []float32, n, k int, kept []int) ([]float64, []float64) {
	if kept == nil {
		kept = make([]int, n)
		for i := range kept {
			kept[i] = i
		}
	}
	c, mean := linalgCentred(Matrix{Data: z, Rows: n, Cols: k}, kept, nil)
	cov, _ := linalgGram(c, len(kept), k, nil)
	for i := range cov {
		cov[i] /= float64(len(kept))
	}
	return cov, mean
}

// spectreMahalanobis sets d2[i] to the squared Mahalanobis distance of
// row i of z from mean under cov (its eigenvalues floored at floor).
func spectreMahalanobis(d2 []float64, z []float32, n, k int, mean, cov []float64, floor float64) error {
	wh, _, err := spectreInvSqrt(cov, k, floor)
	if err != nil {
		return err
	}
	// ‖(z_i − μ)W‖² = ‖z_iW − μW‖², the products z_iW from one gemm call.
	p := linalgProject(z, n, k, wh, k)
	mw := make([]float64, k)
	for a, m := range mean {
		for b := range k {
			mw[b] += m * wh[a*k+b]
		}
	}
	gemm.Parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var s float64
			for j, v := range p[i*k : (i+1)*k] {
				t := float64(v) - mw[j]
				s += t * t
			}
			d2[i] = s
		}
	})
	return nil
}

// spectreSmallest returns the indices of the h smallest values of v,
// ascending by index; ties go to the lower index.
func spectreSmallest(v []float64, h int) []int {
	if h >= len(v) {
		all := make([]int, len(v))
		for i := range all {
			all[i] = i
		}
		return all
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	cut := sorted[h-1]
	below := 0 // how many values fall strictly under cut
	for _, x := range sorted[:h] {
		if x < cut {
			below++
		}
	}
	atCut := h - below // how many of the values equal to cut to keep
	kept := make([]int, 0, h)
	for i, x := range v {
		switch {
		case x < cut:
			kept = append(kept, i)
		case x == cut && atCut > 0:
			kept = append(kept, i)
			atCut--
		}
	}
	return kept
}

// spectreMedian returns the median of v without reordering it.
func spectreMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
