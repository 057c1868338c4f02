package detect

import (
	"context"
	"slices"
	"testing"
)

func TestBinarize(t *testing.T) {
	m := Matrix{Data: []float32{0, 51, 127, 128, 204, 255}, Rows: 2, Cols: 3}
	got := binarize(m)
	if want := []float32{0, 0, 0, 1, 1, 1}; !slices.Equal(got.Data, want) || got.Rows != 2 || got.Cols != 3 {
		t.Errorf("binarize: %v, want %v", got.Data, want)
	}
	if m.Data[1] != 51 {
		t.Error("binarize changed its input")
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
