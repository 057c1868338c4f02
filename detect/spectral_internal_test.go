package detect

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// spectralRef is testdata/spectral_ref.json, written by gen_spectral.py
// with numpy's SVD.
type spectralRef struct {
	Rows, Cols int
	Features   []float64
	Labels     []int
	Poisoned   []int
	Classes    []struct {
		Class  int
		V      []float64
		Scores []float64
		Gap    float64
	}
	// Que checks SPECTRE's QUE step (spectre_internal_test.go).
	Que struct {
		N, K   int
		Z      []float64
		Sigma  []float64
		Scores []float64
		Stat   float64
	}
}

func loadSpectralRef(t *testing.T) spectralRef {
	t.Helper()
	raw, err := os.ReadFile("testdata/spectral_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref spectralRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestSpectralMatchesNumPy checks each class's top singular vector,
// scores and gap against np.linalg.svd. Tolerances: |cos(v, v_ref)| ≥
// 1−1e-6; the gap within 1e-4 relative; a score within 1e-4 relative to
// the larger of the reference score and a thousandth of its class's
// largest. The floor is for rows whose projection is near zero, where
// v's own error (its float32 Gram matrix leaves it about 1e-7 off, in
// angle) outweighs the projection. Measured: 1−|cos| ≤ 2e-13, gaps
// within 3e-7, scores within 2e-5 of the floored bound (and within
// 2e-4 of the bare reference on a score a millionth of its class's
// largest).
func TestSpectralMatchesNumPy(t *testing.T) {
	ref := loadSpectralRef(t)
	d := &Data{
		Features: Matrix{Data: make([]float32, len(ref.Features)), Rows: ref.Rows, Cols: ref.Cols},
		Labels:   ref.Labels,
		Classes:  len(ref.Classes),
	}
	for i, v := range ref.Features {
		d.Features.Data[i] = float32(v)
	}
	var x, scratch []float32
	for c, rows := range d.ClassIndex() {
		want := ref.Classes[c]
		sig := spectralClass(d.Features, rows, &x, &scratch)
		cos := linalgDot(sig.v, want.V)
		if math.Abs(cos) < 1-1e-6 {
			t.Errorf("class %d: cos(v, numpy's) = %.9f", c, cos)
		}
		top := 0.0
		for _, s := range want.Scores {
			top = math.Max(top, s)
		}
		for i, s := range sig.score {
			if math.Abs(s-want.Scores[i]) > 1e-4*math.Max(want.Scores[i], 1e-3*top) {
				t.Errorf("class %d row %d: score %.9g, numpy %.9g", c, i, s, want.Scores[i])
			}
		}
		if g := sig.gap(); math.Abs(g-want.Gap) > 1e-4*want.Gap {
			t.Errorf("class %d: gap %.9g, numpy %.9g", c, g, want.Gap)
		}
	}
	// And through the exported entry point: the planted rows lead.
	sc, err := Spectral(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	rows := d.ClassIndex()[1]
	for _, p := range ref.Poisoned {
		for _, r := range rows {
			if !containsInt(ref.Poisoned, r) && sc.Row[r] >= sc.Row[p] {
				t.Errorf("clean row %d scores %g ≥ planted row %d's %g", r, sc.Row[r], p, sc.Row[p])
			}
		}
	}
	if sc.Class[1].Statistic != ref.Classes[1].Gap && math.Abs(sc.Class[1].Statistic-ref.Classes[1].Gap) > 1e-4*ref.Classes[1].Gap {
		t.Errorf("class 1 statistic %g, numpy gap %g", sc.Class[1].Statistic, ref.Classes[1].Gap)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
