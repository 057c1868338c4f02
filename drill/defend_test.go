package drill_test

import (
	"context"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/drill"
)

// TestDefendReduced runs defended drills on 6,000 MNIST rows: the scan
// must find the backdoor rows of class 0 and little else, and the model
// retrained without them must lose the backdoor; a random label flip must
// be found in every class.
func TestDefendReduced(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six models")
	}
	data := reduced(t, 6000, 2000)
	o := options(attack.Spec{Kind: attack.BadNets, Rate: 0.1}, 3)
	o.Defend = detect.Auto
	out, err := drill.Run(context.Background(), data, o)
	if err != nil {
		t.Fatal(err)
	}
	d, a := out.Report.Detection, out.Report.After
	if !slices.Contains(d.PoisonedClasses, "0") {
		t.Errorf("classes judged poisoned %v, want 0 among them", d.PoisonedClasses)
	}
	if *d.Recall < 0.95 || *d.FPR > 0.01 {
		t.Errorf("BadNets: recall %.3f, FPR %.4f; want ≥ 0.95 and ≤ 0.01", *d.Recall, *d.FPR)
	}
	if *a.AttackSuccessRate > 0.1 || a.CleanAccuracy < out.Report.BaselineCleanAccuracy-0.02 {
		t.Errorf("after defence: ASR %.3f, CA %.3f (clean model %.3f)", *a.AttackSuccessRate, a.CleanAccuracy, out.Report.BaselineCleanAccuracy)
	}

	o = options(attack.Spec{Kind: attack.LabelFlip, Rate: 0.1}, 3)
	o.Defend = detect.Auto
	out, err = drill.Run(context.Background(), data, o)
	if err != nil {
		t.Fatal(err)
	}
	d = out.Report.Detection
	if len(d.PoisonedClasses) < 8 || *d.Precision < 0.8 || *d.Recall < 0.8 {
		t.Errorf("label flip: %d classes judged poisoned, precision %.3f, recall %.3f", len(d.PoisonedClasses), *d.Precision, *d.Recall)
	}
}
