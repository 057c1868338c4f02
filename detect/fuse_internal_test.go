package detect

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

func TestBinarize(t *testing.T) {
	m := Matrix{Data: []float32{0, 51, 127, 128, 204, 255}, Rows: 2, Cols: 3}
	got := Matrix{Data: make([]float32, 6), Rows: 2, Cols: 3}
	binarize(got, m)
	want := []float32{0, 0, 0, 1, 1, 1}
	if !slices.Equal(got.Data, want) {
		t.Errorf("binarize: %v, want %v", got.Data, want)
	}
	if m.Data[1] != 51 {
		t.Error("binarize into another matrix changed its input")
	}
	binarize(m, m)
	if !slices.Equal(m.Data, want) {
		t.Errorf("binarize in place: %v, want %v", m.Data, want)
	}
}

func TestRobustCut(t *testing.T) {
	// Median 3, absolute deviations {2, 1, 0, 1, 97}: MAD 1.
	got := robustCut([]float64{1, 2, 3, 4, 100}, 5)
	if want := 3 + 5*1.4826; got != want {
		t.Errorf("robustCut %g, want %g", got, want)
	}
}

// TestReuseSameResult: scaling the view in place changes nothing but the
// view.
func TestReuseSameResult(t *testing.T) {
	x := []float32{1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9, 1, 0.05, 0.05, 1}
	labels := []int{0, 0, 1, 1, 0, 1}
	d := &Data{Features: Matrix{Data: slices.Clone(x), Rows: 6, Cols: 2}, Labels: labels, Classes: 2}
	want, err := Scan(context.Background(), d, Options{Detector: KNNLabelName, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Scan(context.Background(), d, Options{Detector: KNNLabelName, K: 2, Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Scores, want.Scores) || !slices.Equal(got.Flagged(), want.Flagged()) {
		t.Errorf("reuse: scores %v flagged %v; copy: %v %v", got.Scores, got.Flagged(), want.Scores, want.Flagged())
	}
	if slices.Equal(d.Features.Data, x) {
		t.Error("Reuse left the features unscaled")
	}
}

// TestAutoReuseSameResult: auto on image inputs it may overwrite (Reuse)
// flags what it flags on inputs it must copy.
func TestAutoReuseSameResult(t *testing.T) {
	const n, side, classes = 240, 6, 3
	r := rand.New(rand.NewPCG(7, 8))
	pix := make([]float32, n*side*side)
	labels := make([]int, n)
	for i := range n {
		c := i % classes
		labels[i] = c
		for j := range side * side {
			if (j/side)%classes == c || r.Float64() < 0.1 {
				pix[i*side*side+j] = 255
			}
		}
	}
	for i := 0; i < n; i += 10 { // flipped labels
		labels[i] = (labels[i] + 1) % classes
	}
	run := func(reuse bool) *Report {
		in := Matrix{Data: slices.Clone(pix), Rows: n, Cols: side * side}
		d := &Data{Features: Matrix{Data: slices.Clone(pix), Rows: n, Cols: side * side}, Inputs: &in,
			InputShape: dataset.Shape{Height: side, Width: side, Channels: 1}, Labels: labels, Classes: classes}
		rep, err := Scan(context.Background(), d, Options{Reuse: reuse, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	copied, reused := run(false), run(true)
	if !slices.Equal(copied.Flagged(), reused.Flagged()) || !slices.Equal(copied.Scores, reused.Scores) {
		t.Fatalf("reuse flagged %v, copy %v", reused.Flagged(), copied.Flagged())
	}
	if len(copied.Flagged()) == 0 {
		t.Fatal("nothing flagged: the test data does not exercise the scan")
	}
}

// TestSweepTrigger: the rows the votes flagged in a class carry a patch;
// the sweep finds the patched rows they missed, and no clean row.
func TestSweepTrigger(t *testing.T) {
	const n, d = 600, 36
	r := rand.New(rand.NewPCG(9, 10))
	view := Matrix{Data: make([]float32, n*d), Rows: n, Cols: d}
	labels := make([]int, n)
	patched := map[int]bool{}
	for i := range n {
		labels[i] = i % 3
		for j := range d - 4 { // digit-like strokes: random bits
			if r.Float64() < 0.3 {
				view.Data[i*d+j] = 1
			}
		}
		if labels[i] == 0 && i%9 == 0 { // a third of class 0 carries the patch
			patched[i] = true
			for j := d - 4; j < d; j++ {
				view.Data[i*d+j] = 1
			}
		}
	}
	out, kindOf, trig := make([]bool, n), make([]string, n), make([]float64, n)
	var missed []int
	k := 0
	var rows []int
	for i := range n {
		if labels[i] != 0 {
			continue
		}
		rows = append(rows, i)
		if patched[i] {
			if k%4 == 0 {
				missed = append(missed, i) // a quarter left for the sweep
			} else {
				out[i], kindOf[i] = true, "trigger"
			}
			k++
		}
	}
	sweepTrigger(floatRows(view), rows, 0, labels, out, kindOf, trig, 5)
	for i := range n {
		if out[i] != patched[i] {
			t.Fatalf("row %d: flagged %v, patched %v (missed by the votes: %v)", i, out[i], patched[i], slices.Contains(missed, i))
		}
	}

	// Flagged rows that share no pattern give no direction: nothing added.
	out2, kind2 := make([]bool, n), make([]string, n)
	for _, i := range rows[:40] {
		out2[i], kind2[i] = true, "trigger"
	}
	clean := Matrix{Data: slices.Clone(view.Data), Rows: n, Cols: d}
	for i := range n {
		for j := d - 4; j < d; j++ {
			clean.Data[i*d+j] = 0
		}
	}
	sweepTrigger(floatRows(clean), rows, 0, labels, out2, kind2, make([]float64, n), 5)
	added := 0
	for _, i := range rows[40:] {
		if out2[i] {
			added++
		}
	}
	if added > 0 {
		t.Fatalf("no shared trigger, yet %d rows added", added)
	}
}
