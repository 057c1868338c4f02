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
