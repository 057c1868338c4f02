package detect_test

import (
	"math"
	"testing"

	"github.com/poisonguard/poisonguard/detect"
)

func TestAUROC(t *testing.T) {
	// Worked by hand: poisoned {0, 2} score 0.9 and 0.4; clean 0.8, 0.4, 0.1.
	// Pairs won: 0.9 beats all 3; 0.4 beats 0.1, ties 0.4 (½), loses to 0.8:
	// (3 + 1.5) / 6 = 0.75.
	scores := []float64{0.9, 0.8, 0.4, 0.4, 0.1}
	if got := detect.AUROC(scores, []int{0, 2}); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("AUROC %g, want 0.75", got)
	}
	if got := detect.AUROC(scores, nil); !math.IsNaN(got) {
		t.Errorf("AUROC with no poisoned rows %g, want NaN", got)
	}
	if got := detect.AUROC([]float64{3, 2, 1}, []int{0}); got != 1 {
		t.Errorf("perfect ranking: %g", got)
	}
}

func TestCompare(t *testing.T) {
	c := detect.Compare([]int{0, 1, 4}, []int{0, 2}, 6)
	if c != (detect.Confusion{TP: 1, FP: 2, FN: 1, TN: 2}) {
		t.Fatalf("%+v", c)
	}
	if c.Precision() != 1.0/3 || c.Recall() != 0.5 || c.FPR() != 0.5 || math.Abs(c.F1()-0.4) > 1e-12 {
		t.Errorf("precision %g recall %g FPR %g F1 %g", c.Precision(), c.Recall(), c.FPR(), c.F1())
	}
}
