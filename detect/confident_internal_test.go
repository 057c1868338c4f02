package detect

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/learn"
)

// clRef is a case of testdata/confident.json (see gen_confident.py).
type clRef struct {
	Name           string      `json:"name"`
	Classes        int         `json:"classes"`
	FracNoise      float64     `json:"frac_noise"`
	MinPerClass    int         `json:"min_examples_per_class"`
	Labels         []int       `json:"labels"`
	Probs          [][]float32 `json:"probs"`
	Thresholds     []float64   `json:"thresholds"`
	ConfidentJoint [][]int     `json:"confident_joint"`
	PruneCounts    [][]int     `json:"prune_counts"`
	Issues         []int       `json:"issues"`
}

// TestCLStagesMatchReference checks every stage of clFind against the
// reference, on both cases: the default knobs, and an imbalanced set with
// a class no row is labelled with, frac_noise 0.5 and
// min_examples_per_class 30 (above the rare class's 24 rows).
func TestCLStagesMatchReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/confident.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []clRef }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 2 {
		t.Fatalf("%d cases, want 2", len(f.Cases))
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			probs := Matrix{Rows: len(c.Probs), Cols: c.Classes}
			for _, row := range c.Probs {
				probs.Data = append(probs.Data, row...)
			}
			counts := make([]int, c.Classes)
			for _, y := range c.Labels {
				counts[y]++
			}
			th := clThresholds(probs, c.Labels, counts)
			for j := range th {
				if math.Abs(th[j]-c.Thresholds[j]) > 1e-12 {
					t.Errorf("threshold %d = %v, want %v", j, th[j], c.Thresholds[j])
				}
			}
			joint := clCalibrate(clConfidentJoint(probs, c.Labels, th), counts)
			if !slices.EqualFunc(joint, c.ConfidentJoint, slices.Equal) {
				t.Errorf("calibrated joint %v, want %v", joint, c.ConfidentJoint)
			}
			prune := clKeepAtLeast(clTranspose(joint), c.MinPerClass, c.FracNoise)
			if !slices.EqualFunc(prune, c.PruneCounts, slices.Equal) {
				t.Errorf("prune counts %v, want %v", prune, c.PruneCounts)
			}
			got := clFind(probs, c.Labels, c.Classes, c.FracNoise, c.MinPerClass).ranked(probs, c.Labels)
			if !slices.Equal(got, c.Issues) {
				t.Errorf("issues %v, want %v", got, c.Issues)
			}
		})
	}
}

// TestCLRoundPreservingSum checks hand-worked roundings, numpy's half to
// even and its order of corrections included.
func TestCLRoundPreservingSum(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want []int
	}{
		{[]float64{1, 2, 3}, []int{1, 2, 3}},
		// Rounds to 2+3+0 = 5 of 6: the two largest remainders tie at 0.4,
		// numpy's reversed stable order raises the later one.
		{[]float64{2.4, 3.4, 0.2}, []int{2, 4, 0}},
		// Rounds to 1+2+1 = 4 (half to even: 0.5 → 0, 1.5 → 2, 2.5 → 2 is
		// 0+2+2); the sum 4.5 rounds to 4: nothing to correct.
		{[]float64{0.5, 1.5, 2.5}, []int{0, 2, 2}},
		// Rounds to 1+1+1 = 3 of 2: of the two largest upward moves (0.6 → 1,
		// tied), numpy's stable order lowers the first.
		{[]float64{0.6, 0.6, 0.8}, []int{0, 1, 1}},
	} {
		if got := clRoundPreservingSum(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("clRoundPreservingSum(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestCLProbsDefaults checks the defaults of ProbsOptions: the model by
// the kind of rows, and the epochs raised on small sets.
func TestCLProbsDefaults(t *testing.T) {
	image := dataset.Shape{Height: 28, Width: 28, Channels: 1}
	for _, tc := range []struct {
		name   string
		opts   ProbsOptions
		rows   int
		model  learn.Arch
		epochs int
		lr     float64
		hidden []int
	}{
		{"tabular", ProbsOptions{}, 60000, learn.LogReg, 15, 0.01, nil},
		{"images", ProbsOptions{Shape: image}, 60000, learn.MLP, 5, 1e-3, []int{256}},
		{"logreg on images", ProbsOptions{Shape: image, Model: learn.LogReg}, 60000, learn.LogReg, 15, 0.01, nil},
		// 480 training rows are 4 steps an epoch: 250 epochs make 1000 steps.
		{"small", ProbsOptions{}, 600, learn.LogReg, 250, 0.01, nil},
		{"tiny", ProbsOptions{}, 10, learn.LogReg, 1000, 0.01, nil},
		{"set epochs", ProbsOptions{Epochs: 3, LR: 0.5}, 600, learn.LogReg, 3, 0.5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts.withDefaults(tc.rows)
			if o.Model != tc.model || o.Epochs != tc.epochs || o.LR != tc.lr || !slices.Equal(o.Hidden, tc.hidden) || o.Folds != 5 {
				t.Errorf("%+v, want model %s, %d epochs, lr %v, hidden %v, 5 folds", o, tc.model, tc.epochs, tc.lr, tc.hidden)
			}
		})
	}
}
