package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// linalgRandomSym returns a random symmetric positive semi-definite
// dim×dim matrix with eigenvalues spread geometrically from 1 to ratio^(dim-1).
func linalgRandomSym(dim int, ratio float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	basis := make([][]float64, dim)
	for j := range basis {
		basis[j] = make([]float64, dim)
		for i := range basis[j] {
			basis[j][i] = rng.NormFloat64()
		}
	}
	linalgOrthonormal(basis)
	c := make([]float64, dim*dim)
	for j, b := range basis {
		l := math.Pow(ratio, float64(j))
		for a := range dim {
			for e := range dim {
				c[a*dim+e] += l * b[a] * b[e]
			}
		}
	}
	return c
}

func TestLinalgCentredAndGram(t *testing.T) {
	// Worked by hand: rows (1,2), (3,6), (5,10) of a 4-row matrix, row 1
	// left out. Mean (3,6); centred (−2,−4), (0,0), (2,4); Gram
	// [[8,16],[16,32]].
	f := Matrix{Data: []float32{1, 2, 100, 100, 3, 6, 5, 10}, Rows: 4, Cols: 2}
	x, mean := linalgCentred(f, []int{0, 2, 3}, nil)
	if mean[0] != 3 || mean[1] != 6 {
		t.Errorf("mean %v", mean)
	}
	want := []float32{-2, -4, 0, 0, 2, 4}
	for i := range want {
		if x[i] != want[i] {
			t.Fatalf("centred %v, want %v", x, want)
		}
	}
	g, _ := linalgGram(x, 3, 2, nil)
	for i, w := range []float64{8, 16, 16, 32} {
		if g[i] != w {
			t.Fatalf("Gram %v", g)
		}
	}
	// A float32 mean would lose these: values near 1e7 differing by 1.
	big := Matrix{Data: []float32{1e7, 1e7 + 1, 1e7 + 2, 1e7 + 3}, Rows: 4, Cols: 1}
	x, _ = linalgCentred(big, []int{0, 1, 2, 3}, x)
	for i, w := range []float32{-1.5, -0.5, 0.5, 1.5} {
		if x[i] != w {
			t.Fatalf("centred %v", x[:4])
		}
	}
}

// TestLinalgPowerTop checks power iteration and its deflation against
// gonum's dense eigensolver.
func TestLinalgPowerTop(t *testing.T) {
	const dim = 30
	c := linalgRandomSym(dim, 0.7, 3)
	vals, vecs, err := linalgEigenSym(c, dim)
	if err != nil {
		t.Fatal(err)
	}
	col := func(j int) []float64 {
		v := make([]float64, dim)
		for i := range v {
			v[i] = vecs[i*dim+j]
		}
		return v
	}
	l1, v1, steps := linalgPowerTop(c, dim, nil, 1)
	if steps >= linalgPowerIters {
		t.Errorf("no convergence in %d steps at a gap of 0.7", steps)
	}
	if math.Abs(l1-vals[0]) > 1e-10*vals[0] || math.Abs(linalgDot(v1, col(0))) < 1-1e-10 {
		t.Errorf("top %g vs %g, cos %g", l1, vals[0], linalgDot(v1, col(0)))
	}
	l2, v2, _ := linalgPowerTop(c, dim, [][]float64{v1}, 1)
	if math.Abs(l2-vals[1]) > 1e-10*vals[1] || math.Abs(linalgDot(v2, col(1))) < 1-1e-10 {
		t.Errorf("second %g vs %g, cos %g", l2, vals[1], linalgDot(v2, col(1)))
	}
	if math.Abs(linalgDot(v1, v2)) > 1e-12 {
		t.Errorf("deflated vector not orthogonal: %g", linalgDot(v1, v2))
	}
	// The zero matrix: no direction, eigenvalue 0.
	if l, _, _ := linalgPowerTop(make([]float64, 4), 2, nil, 1); l != 0 {
		t.Errorf("zero matrix: %g", l)
	}
}

// TestLinalgSubspace checks the subspace iteration used above
// linalgEigenSymMax against the dense solver on a small matrix.
func TestLinalgSubspace(t *testing.T) {
	const dim, k = 60, 5
	c := linalgRandomSym(dim, 0.8, 4)
	want, wvecs, err := linalgTopEigen(c, dim, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, gvecs, err := linalgSubspace(c, dim, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := range k {
		var cos float64
		for i := range dim {
			cos += gvecs[i*k+j] * wvecs[i*k+j]
		}
		if math.Abs(got[j]-want[j]) > 1e-9*want[0] || math.Abs(cos) < 1-1e-9 {
			t.Errorf("eigenpair %d: %g vs %g, cos %g", j, got[j], want[j], cos)
		}
	}
}
