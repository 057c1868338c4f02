package detect

import (
	"math"
	"testing"
)

// TestSpectreWeights checks M's eigenvalues and the statistic by hand:
// Σ′'s eigenvalues 3, 2, 1 give exponents α(λ−1)/(3−1) = 4, 2, 0, so
// M ∝ diag(e⁴, e², 1) and tr(Σ′M)/tr(M) = (3e⁴+2e²+1)/(e⁴+e²+1).
func TestSpectreWeights(t *testing.T) {
	e4, e2 := math.Exp(4), math.Exp(2)
	w, stat := spectreWeights([]float64{3, 2, 1})
	sum := e4 + e2 + 1
	for j, want := range []float64{e4 / sum, e2 / sum, 1 / sum} {
		if math.Abs(w[j]-want) > 1e-15 {
			t.Errorf("weight %d: %.17g, want %.17g", j, w[j], want)
		}
	}
	if want := (3*e4 + 2*e2 + 1) / sum; math.Abs(stat-want) > 1e-14 {
		t.Errorf("statistic %.17g, want %.17g", stat, want)
	}
	// No eigenvalue above 1: M is the identity, the statistic the mean.
	w, stat = spectreWeights([]float64{1, 0.5})
	if w[0] != 0.5 || w[1] != 0.5 || stat != 0.75 {
		t.Errorf("weights %v statistic %g", w, stat)
	}
}

func TestSpectreInvSqrt(t *testing.T) {
	const k = 12
	sigma := linalgRandomSym(k, 0.6, 5)
	w, logDet, err := spectreInvSqrt(sigma, k, 1e-300)
	if err != nil {
		t.Fatal(err)
	}
	// W Σ W = I.
	for a := range k {
		for b := range k {
			var s float64
			for i := range k {
				for j := range k {
					s += w[a*k+i] * sigma[i*k+j] * w[j*k+b]
				}
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(s-want) > 1e-9 {
				t.Fatalf("WΣW[%d][%d] = %g", a, b, s)
			}
		}
	}
	// The eigenvalues are 0.6^j: log det = Σ j·log 0.6.
	if want := 66 * math.Log(0.6); math.Abs(logDet-want) > 1e-9 {
		t.Errorf("log det %g, want %g", logDet, want)
	}
}

func TestSpectreSmallestAndMedian(t *testing.T) {
	v := []float64{5, 1, 3, 1, 9}
	if got := spectreSmallest(v, 3); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("smallest %v", got)
	}
	if m := spectreMedian(v); m != 3 {
		t.Errorf("median %g", m)
	}
	if m := spectreMedian([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median %g", m)
	}
}

// TestSpectreScoreMatchesSciPy checks whitening and QUE against
// gen_spectral.py, whose matrix exponential is scipy.linalg.expm (Padé),
// not the eigendecomposition used here: scores and statistic within
// 1e-5 relative (the whitened rows pass through float32).
func TestSpectreScoreMatchesSciPy(t *testing.T) {
	q := loadSpectralRef(t).Que
	z := make([]float32, len(q.Z))
	for i, v := range q.Z {
		z[i] = float32(v)
	}
	got, err := spectreScore(z, q.N, q.K, q.Sigma, 1e-300)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.stat-q.Stat) > 1e-5*q.Stat {
		t.Errorf("tr(Σ′M)/tr(M) = %.9g, scipy %.9g", got.stat, q.Stat)
	}
	for i, want := range q.Scores {
		if math.Abs(got.score[i]-want) > 1e-5*want {
			t.Errorf("row %d: score %.9g, scipy %.9g", i, got.score[i], want)
		}
	}
}
