package detect

import (
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
