package drift_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/drift"
)

// The fixtures hold SciPy 1.10.1 / NumPy 1.24.2 outputs written by
// testdata/gen.py. Tolerances:
//
//   - KS statistic D, deciles and bin counts: exact (the same IEEE
//     operations as SciPy and NumPy).
//   - every other value: relative error 1e-9, or absolute error 1e-12 for
//     values near zero (tiny p-values and distances, where SciPy's own
//     arithmetic and summation order differ from ours in the last bits).
const (
	relTol = 1e-9
	absTol = 1e-12
)

type spec struct {
	Kind   string    `json:"kind"`
	Values []float64 `json:"values"`
	Seed   uint64    `json:"seed"`
	N      int       `json:"n"`
	Mult   float64   `json:"mult"`
	Shift  float64   `json:"shift"`
	Mod    uint64    `json:"mod"`
}

type fixtures struct {
	Scipy     string `json:"scipy"`
	TwoSample []struct {
		Name                string    `json:"name"`
		A                   spec      `json:"a"`
		B                   spec      `json:"b"`
		KSD                 float64   `json:"ks_d"`
		KSP                 float64   `json:"ks_p"`
		Wasserstein         float64   `json:"wasserstein"`
		WassersteinWeighted float64   `json:"wasserstein_weighted"`
		Deciles             []float64 `json:"deciles"`
		RefBins             []float64 `json:"ref_bins"`
		CurBins             []float64 `json:"cur_bins"`
		PSI                 float64   `json:"psi"`
		JSBins              float64   `json:"js_bins"`
	} `json:"two_sample"`
	KolmogorovSF []struct {
		N  int64   `json:"n"`
		X  float64 `json:"x"`
		SF float64 `json:"sf"`
	} `json:"kolmogorov_sf"`
	KSPValue []struct {
		D  float64 `json:"d"`
		N1 int64   `json:"n1"`
		N2 int64   `json:"n2"`
		P  float64 `json:"p"`
	} `json:"ks_pvalue"`
	Counts []struct {
		Name     string    `json:"name"`
		Ref      []float64 `json:"ref"`
		Cur      []float64 `json:"cur"`
		JS       float64   `json:"js"`
		Chi2Stat float64   `json:"chi2_stat"`
		Chi2P    float64   `json:"chi2_p"`
		Chi2DOF  int       `json:"chi2_dof"`
		PSI      float64   `json:"psi"`
	} `json:"counts"`
}

func loadFixtures(t testing.TB) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse fixtures: %v", err)
	}
	return &f
}

// splitmix returns the SplitMix64 stream that gen.py uses.
func splitmix(seed uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		z := seed + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		out[i] = z ^ (z >> 31)
	}
	return out
}

func (s spec) raw(t testing.TB) []float64 {
	switch s.Kind {
	case "raw":
		return s.Values
	case "ih":
		out := make([]float64, s.N)
		for i, z := range splitmix(s.Seed, s.N) {
			sum := z&0xFFFF + z>>16&0xFFFF + z>>32&0xFFFF + z>>48&0xFFFF
			out[i] = float64(float64(sum)*s.Mult) + s.Shift // no fused multiply-add
		}
		return out
	case "int":
		out := make([]float64, s.N)
		for i, z := range splitmix(s.Seed, s.N) {
			out[i] = float64(z%s.Mod) + s.Shift
		}
		return out
	}
	t.Fatalf("unknown sample kind %q", s.Kind)
	return nil
}

// errTracker checks values against SciPy and records the largest absolute
// error and the largest relative error among normal (not subnormal) values.
type errTracker struct {
	t              *testing.T
	name           string
	maxRel, maxAbs float64
}

func (e *errTracker) check(what string, got, want float64) {
	e.t.Helper()
	if math.IsNaN(want) || math.IsInf(want, 0) {
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			e.t.Errorf("%s: got %v, want %v", what, got, want)
		}
		return
	}
	diff := math.Abs(got - want)
	e.maxAbs = max(e.maxAbs, diff)
	if math.Abs(want) >= 0x1p-1022 { // subnormal results carry no relative precision
		e.maxRel = max(e.maxRel, diff/math.Abs(want))
	}
	if diff > absTol && diff > relTol*math.Abs(want) {
		e.t.Errorf("%s: got %.17g, want %.17g (relative error %.3g)", what, got, want, diff/math.Abs(want))
	}
}

func (e *errTracker) exact(what string, got, want float64) {
	e.t.Helper()
	if got != want {
		e.t.Errorf("%s: got %.17g, want exactly %.17g", what, got, want)
	}
}

func (e *errTracker) report() {
	e.t.Logf("%s: max relative error vs SciPy %.3g, max absolute error %.3g", e.name, e.maxRel, e.maxAbs)
}

func TestKS(t *testing.T) {
	f := loadFixtures(t)
	ks := &errTracker{t: t, name: "KS p-value"}
	w := &errTracker{t: t, name: "Wasserstein"}
	for _, c := range f.TwoSample {
		a, b := drift.NewSample(c.A.raw(t)), drift.NewSample(c.B.raw(t))
		d, p := drift.KS(a, b)
		ks.exact(c.Name+" D", d, c.KSD)
		ks.check(c.Name+" p", p, c.KSP)
		w.check(c.Name+" wasserstein", drift.Wasserstein(a, b), c.Wasserstein)
		w.check(c.Name+" wasserstein weighted", drift.Wasserstein(a, b), c.WassersteinWeighted)
	}
	ks.report()
	w.report()
}

func TestKolmogorovSF(t *testing.T) {
	f := loadFixtures(t)
	e := &errTracker{t: t, name: "kstwo.sf"}
	for _, c := range f.KolmogorovSF {
		e.check(fmt.Sprintf("n=%d x=%g", c.N, c.X), drift.KolmogorovSF(c.X, c.N), c.SF)
	}
	e.report()
}

func TestKSPValue(t *testing.T) {
	f := loadFixtures(t)
	e := &errTracker{t: t, name: "KSPValue"}
	for _, c := range f.KSPValue {
		e.check(fmt.Sprintf("d=%g n1=%d n2=%d", c.D, c.N1, c.N2), drift.KSPValue(c.D, c.N1, c.N2), c.P)
	}
	e.report()
}

func TestPSIDeciles(t *testing.T) {
	f := loadFixtures(t)
	e := &errTracker{t: t, name: "PSI"}
	js := &errTracker{t: t, name: "JS distance (bins)"}
	for _, c := range f.TwoSample {
		a, b := drift.NewSample(c.A.raw(t)), drift.NewSample(c.B.raw(t))
		edges := drift.Deciles(a)
		if len(edges) != len(c.Deciles) {
			t.Errorf("%s: %d edges %v, want %d %v", c.Name, len(edges), edges, len(c.Deciles), c.Deciles)
			continue
		}
		for i := range edges {
			e.exact(fmt.Sprintf("%s edge %d", c.Name, i), edges[i], c.Deciles[i])
		}
		ref, cur := drift.BinCounts(edges, a), drift.BinCounts(edges, b)
		for i := range ref {
			e.exact(fmt.Sprintf("%s ref bin %d", c.Name, i), ref[i], c.RefBins[i])
			e.exact(fmt.Sprintf("%s cur bin %d", c.Name, i), cur[i], c.CurBins[i])
		}
		e.check(c.Name+" psi", drift.PSI(ref, cur), c.PSI)
		js.check(c.Name+" js", drift.JSDistance(ref, cur), c.JSBins)
	}
	e.report()
	js.report()
}

func TestCounts(t *testing.T) {
	f := loadFixtures(t)
	js := &errTracker{t: t, name: "JS distance"}
	chi := &errTracker{t: t, name: "chi-square"}
	psi := &errTracker{t: t, name: "PSI (counts)"}
	for _, c := range f.Counts {
		js.check(c.Name+" js", drift.JSDistance(c.Ref, c.Cur), c.JS)
		stat, p, dof := drift.Chi2Contingency(c.Ref, c.Cur)
		if dof != c.Chi2DOF {
			t.Errorf("%s: dof %d, want %d", c.Name, dof, c.Chi2DOF)
		}
		chi.check(c.Name+" chi2 stat", stat, c.Chi2Stat)
		chi.check(c.Name+" chi2 p", p, c.Chi2P)
		psi.check(c.Name+" psi", drift.PSI(c.Ref, c.Cur), c.PSI)
	}
	js.report()
	chi.report()
	psi.report()
}

// TestHandWorked checks cases small enough to work out on paper.
func TestHandWorked(t *testing.T) {
	near := func(t *testing.T, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("got %.17g, want %.17g", got, want)
		}
	}
	t.Run("ks_disjoint_exact", func(t *testing.T) {
		// D = 1; exactly 2 of the binom(6,3) = 20 orderings put all of one
		// sample first, so p = 2/20.
		d, p := drift.KS(drift.NewSample([]float64{1, 2, 3}), drift.NewSample([]float64{4, 5, 6}))
		near(t, d, 1)
		near(t, p, 0.1)
	})
	t.Run("wasserstein_shift", func(t *testing.T) {
		// Shifting a sample by 2.5 moves every unit of mass 2.5.
		near(t, drift.Wasserstein(drift.NewSample([]float64{0, 1, 3}), drift.NewSample([]float64{2.5, 3.5, 5.5})), 2.5)
	})
	t.Run("js_disjoint", func(t *testing.T) {
		near(t, drift.JSDistance([]float64{3, 0}, []float64{0, 8}), 1)
	})
	t.Run("psi_two_bins", func(t *testing.T) {
		// Shares (0.5, 0.5) against (0.2, 0.8): 2·0.3·ln(4)... written out.
		want := (0.2-0.5)*math.Log(0.2/0.5) + (0.8-0.5)*math.Log(0.8/0.5)
		near(t, drift.PSI([]float64{5, 5}, []float64{2, 8}), want)
	})
	t.Run("psi_empty_bin_epsilon", func(t *testing.T) {
		want := (1e-4-0.5)*math.Log(1e-4/0.5) + (1-0.5)*math.Log(1/0.5)
		near(t, drift.PSI([]float64{1, 1}, []float64{0, 4}), want)
	})
	t.Run("chi2_yates", func(t *testing.T) {
		// [[10, 0], [0, 10]]: expected 5 everywhere, |O-E| = 5 corrected to
		// 4.5, so stat = 4·4.5²/5 = 16.2 on 1 dof.
		stat, _, dof := drift.Chi2Contingency([]float64{10, 0}, []float64{0, 10})
		near(t, stat, 16.2)
		if dof != 1 {
			t.Errorf("dof %d, want 1", dof)
		}
	})
	t.Run("deciles_ties_collapse", func(t *testing.T) {
		// 80 zeros and 80..99: deciles 0.1 to 0.7 are all 0 and collapse
		// into one edge; 0.8 and 0.9 lie among the non-zero values.
		raw := make([]float64, 100)
		for i := 80; i < 100; i++ {
			raw[i] = float64(i)
		}
		edges := drift.Deciles(drift.NewSample(raw))
		want := []float64{0, 16, 89.1} // positions 79.2 and 89.1
		if len(edges) != len(want) {
			t.Fatalf("edges %v, want %v", edges, want)
		}
		for i := range want {
			if math.Abs(edges[i]-want[i]) > 1e-9 {
				t.Errorf("edges %v, want %v", edges, want)
			}
		}
	})
	t.Run("bins_edge_goes_up", func(t *testing.T) {
		bins := drift.BinCounts([]float64{0, 16, 89}, drift.NewSample([]float64{-1, 0, 0, 16, 50, 89, 1000}))
		want := []float64{1, 2, 2, 2} // 0, 16 and 89 count in the bin above their edge
		for i := range want {
			if bins[i] != want[i] {
				t.Fatalf("bins %v, want %v", bins, want)
			}
		}
	})
}

func TestUndefined(t *testing.T) {
	empty := drift.Sample{}
	one := drift.NewSample([]float64{1})
	bad := drift.Sample{Values: []float64{2, 1}, Counts: []int64{1, 1}}
	nan := func(name string, v float64) {
		t.Helper()
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
	d, p := drift.KS(empty, one)
	nan("KS d empty", d)
	nan("KS p empty", p)
	d, p = drift.KS(bad, one)
	nan("KS d invalid", d)
	nan("KS p invalid", p)
	nan("KSPValue d>1", drift.KSPValue(1.5, 3, 4))
	nan("KSPValue n=0", drift.KSPValue(0.5, 0, 4))
	nan("KolmogorovSF n=0", drift.KolmogorovSF(0.5, 0))
	nan("Wasserstein empty", drift.Wasserstein(one, empty))
	nan("JS length", drift.JSDistance([]float64{1}, []float64{1, 2}))
	nan("JS zero total", drift.JSDistance([]float64{0, 0}, []float64{1, 2}))
	nan("JS negative", drift.JSDistance([]float64{-1, 2}, []float64{1, 2}))
	nan("PSI zero total", drift.PSI([]float64{0, 0}, []float64{1, 2}))
	stat, p, dof := drift.Chi2Contingency([]float64{1, 2}, []float64{0, 0})
	nan("chi2 stat empty row", stat)
	nan("chi2 p empty row", p)
	if dof != 0 {
		t.Errorf("chi2 dof on empty row = %d, want 0", dof)
	}
	if stat, p, dof := drift.Chi2Contingency([]float64{0, 3}, []float64{0, 5}); stat != 0 || p != 1 || dof != 0 {
		t.Errorf("chi2 one category = %v, %v, %d; want 0, 1, 0", stat, p, dof)
	}
	if e := drift.Deciles(empty); len(e) != 0 {
		t.Errorf("Deciles(empty) = %v, want none", e)
	}
	if err := bad.Validate(); err == nil {
		t.Error("Validate accepted descending values")
	}
	if err := (drift.Sample{Values: []float64{1}, Counts: []int64{0}}).Validate(); err == nil {
		t.Error("Validate accepted a zero count")
	}
	s := drift.NewSample([]float64{3, math.NaN(), 1, 3})
	if s.N() != 3 || !slices.Equal(s.Values, []float64{1, 3, 3}) || s.Counts != nil {
		t.Errorf("NewSample = %+v, want NaN skipped and 3 twice", s)
	}
	if err := (drift.Sample{Values: []float64{1, 3, 3}, Counts: []int64{1, 1, 1}}).Validate(); err == nil {
		t.Error("Validate accepted a value repeated beside counts")
	}
	if err := (drift.Sample{Values: []float64{1, 3, 2}}).Validate(); err == nil {
		t.Error("Validate accepted descending values without counts")
	}
}

func ExampleKS() {
	baseline := drift.NewSample([]float64{0.1, 0.4, 0.4, 0.7, 0.9, 1.3})
	batch := drift.NewSample([]float64{0.8, 1.1, 1.2, 1.6, 2.0})
	d, p := drift.KS(baseline, batch)
	fmt.Printf("D=%.4f p=%.4f\n", d, p)
	// Output: D=0.6667 p=0.1082
}

// benchSample returns n distinct uniform values in [shift, shift+1).
func benchSample(seed uint64, n int, shift float64) drift.Sample {
	raw := make([]float64, n)
	for i, z := range splitmix(seed, n) {
		raw[i] = float64(z>>11)*0x1p-53 + shift
	}
	return drift.NewSample(raw)
}

func BenchmarkKS100kVs1M(b *testing.B) {
	a, c := benchSample(1, 100_000, 0), benchSample(2, 1_000_000, 0.01)
	b.ReportAllocs()
	for b.Loop() {
		drift.KS(a, c)
	}
}

func BenchmarkKSExact10000Vs9999(b *testing.B) {
	a, c := benchSample(1, 10_000, 0), benchSample(2, 9_999, 0.03)
	for b.Loop() {
		drift.KS(a, c)
	}
}

func BenchmarkWasserstein100kVs1M(b *testing.B) {
	a, c := benchSample(1, 100_000, 0), benchSample(2, 1_000_000, 0.01)
	for b.Loop() {
		drift.Wasserstein(a, c)
	}
}

func BenchmarkNewSample1M(b *testing.B) {
	raw := make([]float64, 1_000_000)
	for i, z := range splitmix(2, len(raw)) {
		raw[i] = float64(z>>11) * 0x1p-53
	}
	for b.Loop() {
		drift.NewSample(raw)
	}
}

func BenchmarkPSIBinning1M(b *testing.B) {
	base, batch := benchSample(1, 100_000, 0), benchSample(2, 1_000_000, 0.01)
	b.ReportAllocs()
	for b.Loop() {
		edges := drift.Deciles(base)
		drift.PSI(drift.BinCounts(edges, base), drift.BinCounts(edges, batch))
	}
}

// A sample without counts (its values repeated as often as they occur, as
// profiles keep continuous columns) gives exactly what the same sample
// with distinct values and counts gives, in every statistic.
func TestRepeatsEqualCounts(t *testing.T) {
	f := loadFixtures(t)
	counted := func(s drift.Sample) drift.Sample {
		if s.Counts != nil {
			return s
		}
		var out drift.Sample
		for i, x := range s.Values {
			if i > 0 && x == s.Values[i-1] {
				out.Counts[len(out.Counts)-1]++
				continue
			}
			out.Values, out.Counts = append(out.Values, x), append(out.Counts, 1)
		}
		return out
	}
	withRepeats := 0
	for _, c := range f.TwoSample {
		a, b := drift.NewSample(c.A.raw(t)), drift.NewSample(c.B.raw(t))
		ca, cb := counted(a), counted(b)
		if a.Counts == nil && len(ca.Values) < len(a.Values) {
			withRepeats++
		}
		d1, p1 := drift.KS(a, b)
		d2, p2 := drift.KS(ca, cb)
		edges := drift.Deciles(a)
		if d1 != d2 || p1 != p2 || drift.Wasserstein(a, b) != drift.Wasserstein(ca, cb) ||
			!slices.Equal(edges, drift.Deciles(ca)) || !slices.Equal(drift.BinCounts(edges, b), drift.BinCounts(edges, cb)) ||
			a.N() != ca.N() || a.Validate() != nil || ca.Validate() != nil {
			t.Errorf("%s: statistics differ between repeats and counts", c.Name)
		}
	}
	if withRepeats == 0 {
		t.Fatal("no fixture sample came with repeats and no counts: the test compares nothing")
	}
}
