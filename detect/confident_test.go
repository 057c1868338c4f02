package detect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/learn"
)

// clCase is one case of testdata/confident.json, written by
// testdata/gen_confident.py (a numpy transliteration of cleanlab's
// find_label_issues).
type clCase struct {
	Name           string      `json:"name"`
	Classes        int         `json:"classes"`
	FracNoise      float64     `json:"frac_noise"`
	MinPerClass    int         `json:"min_examples_per_class"`
	Labels         []int       `json:"labels"`
	Probs          [][]float32 `json:"probs"`
	Flipped        []int       `json:"flipped"`
	Thresholds     []float64   `json:"thresholds"`
	ConfidentJoint [][]int     `json:"confident_joint"`
	PruneCounts    [][]int     `json:"prune_counts"`
	Issues         []int       `json:"issues"`
}

func clLoadCase(t *testing.T, name string) (clCase, detect.Matrix) {
	t.Helper()
	raw, err := os.ReadFile("testdata/confident.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []clCase }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		if c.Name == name {
			m := detect.Matrix{Rows: len(c.Probs), Cols: c.Classes}
			for _, row := range c.Probs {
				m.Data = append(m.Data, row...)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			return c, m
		}
	}
	t.Fatalf("no case %q in testdata/confident.json", name)
	return clCase{}, detect.Matrix{}
}

// TestLabelIssuesMatchesCleanlab compares the flagged rows, in order, with
// the reference implementation's, on 500 rows of 4 classes with 10% of the
// labels moved.
func TestLabelIssuesMatchesCleanlab(t *testing.T) {
	c, probs := clLoadCase(t, "default")
	got := detect.LabelIssues(probs, c.Labels, c.Classes)
	if !slices.Equal(got, c.Issues) {
		t.Fatalf("LabelIssues =\n%v\nwant (reference)\n%v", got, c.Issues)
	}
	if len(got) < 40 {
		t.Fatalf("only %d issues: the fixture no longer exercises the pruning", len(got))
	}
}

// TestConfidentLearningFixture checks the detector against the same
// reference: the flagged rows score above 1 and no others do, and each
// class's statistic is the reference joint's noise rate.
func TestConfidentLearningFixture(t *testing.T) {
	c, probs := clLoadCase(t, "default")
	d := &detect.Data{
		Features: detect.Matrix{Data: make([]float32, len(c.Labels)), Rows: len(c.Labels), Cols: 1},
		Labels:   c.Labels,
		Classes:  c.Classes,
		Probs:    &probs,
	}
	s, err := detect.ConfidentLearning(d)
	if err != nil {
		t.Fatal(err)
	}
	if s.Detector != "confident-learning" {
		t.Errorf("detector %q", s.Detector)
	}
	var flagged []int
	for i, v := range s.Row {
		if v > 1 {
			flagged = append(flagged, i)
		}
		if v < 0 || v > 2 {
			t.Errorf("row %d scores %v, outside [0, 2]", i, v)
		}
	}
	want := slices.Sorted(slices.Values(c.Issues))
	if !slices.Equal(flagged, want) {
		t.Errorf("rows scoring above 1: %v\nwant %v", flagged, want)
	}
	for k, st := range s.Class {
		total := 0
		for _, v := range c.ConfidentJoint[k] {
			total += v
		}
		rate := 1 - float64(c.ConfidentJoint[k][k])/float64(total)
		if st.Class != k || st.Poisoned || math.Abs(st.Statistic-rate) > 1e-12 {
			t.Errorf("class %d: %+v, want statistic %v", k, st, rate)
		}
		if n := clCount(c.Labels, k); st.Rows != n {
			t.Errorf("class %d: %d rows, want %d", k, st.Rows, n)
		}
	}
}

func clCount(labels []int, k int) int {
	n := 0
	for _, y := range labels {
		if y == k {
			n++
		}
	}
	return n
}

// clProblem makes n rows of k classes, row i of class i mod k, whose
// probabilities put conf on the true class and share out the rest evenly,
// with the labels of the rows in moved moved to the class given.
func clProblem(n, k int, conf float32, moved map[int]int) *detect.Data {
	probs := detect.Matrix{Data: make([]float32, n*k), Rows: n, Cols: k}
	labels := make([]int, n)
	for i := range n {
		y := i % k
		labels[i] = y
		if m, ok := moved[i]; ok {
			labels[i] = m
		}
		for j := range k {
			probs.Data[i*k+j] = (1 - conf) / float32(k-1)
		}
		probs.Data[i*k+y] = conf
	}
	return &detect.Data{
		Features: detect.Matrix{Data: make([]float32, n), Rows: n, Cols: 1},
		Labels:   labels,
		Classes:  k,
		Probs:    &probs,
	}
}

func TestConfidentLearningProperties(t *testing.T) {
	t.Run("clean confident probabilities flag nothing", func(t *testing.T) {
		d := clProblem(400, 4, 0.95, nil)
		s, err := detect.ConfidentLearning(d)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range s.Row {
			if v >= 1 {
				t.Fatalf("row %d flagged (score %v) in clean data", i, v)
			}
		}
		if got := detect.LabelIssues(*d.Probs, d.Labels, d.Classes); len(got) != 0 {
			t.Fatalf("LabelIssues = %v in clean data", got)
		}
		for _, st := range s.Class {
			if st.Statistic != 0 {
				t.Errorf("class %d: noise rate %v in clean data", st.Class, st.Statistic)
			}
		}
	})
	t.Run("planted flips are flagged and ranked first", func(t *testing.T) {
		moved := map[int]int{5: 2, 17: 0, 42: 3, 101: 3, 230: 1}
		d := clProblem(400, 4, 0.95, moved)
		s, err := detect.ConfidentLearning(d)
		if err != nil {
			t.Fatal(err)
		}
		order := make([]int, len(s.Row))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case s.Row[a] > s.Row[b]:
				return -1
			case s.Row[a] < s.Row[b]:
				return 1
			}
			return 0
		})
		top := slices.Sorted(slices.Values(order[:len(moved)]))
		want := []int{5, 17, 42, 101, 230}
		if !slices.Equal(top, want) {
			t.Fatalf("top rows %v, want the planted %v", top, want)
		}
		if s.Row[order[len(moved)]] >= 1 {
			t.Errorf("an unplanted row scores %v", s.Row[order[len(moved)]])
		}
		got := slices.Sorted(slices.Values(detect.LabelIssues(*d.Probs, d.Labels, d.Classes)))
		if !slices.Equal(got, want) {
			t.Errorf("LabelIssues = %v, want %v", got, want)
		}
		// Every row is confident, so the joint counts them all: 2 of the
		// 102 rows labelled 3 and 1 of the 99 labelled 2 were moved.
		for _, c := range []struct {
			class, rows, moved int
		}{{0, 101, 1}, {1, 98, 1}, {2, 99, 1}, {3, 102, 2}} {
			rate := float64(c.moved) / float64(c.rows)
			if st := s.Class[c.class]; math.Abs(st.Statistic-rate) > 1e-12 || st.Rows != c.rows {
				t.Errorf("class %d: %+v, want %d rows, noise rate %v", c.class, st, c.rows, rate)
			}
		}
	})
	t.Run("like is the most probable class", func(t *testing.T) {
		c, probs := clLoadCase(t, "default")
		d := &detect.Data{
			Features: detect.Matrix{Data: make([]float32, len(c.Labels)), Rows: len(c.Labels), Cols: 1},
			Labels:   c.Labels, Classes: c.Classes, Probs: &probs,
		}
		s, err := detect.ConfidentLearning(d)
		if err != nil {
			t.Fatal(err)
		}
		for i, like := range s.Like {
			p := probs.Row(i)
			for j, v := range p {
				if v > p[like] || (v == p[like] && j < like) {
					t.Fatalf("row %d: like %d, but class %d has %v > %v", i, like, j, v, p[like])
				}
			}
		}
	})
}

func TestConfidentLearningErrors(t *testing.T) {
	nan := clProblem(10, 2, 0.9, nil)
	nan.Probs.Data[3] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		d    *detect.Data
	}{
		{"no probabilities", &detect.Data{Features: detect.Matrix{Data: []float32{1}, Rows: 1, Cols: 1}, Labels: []int{0}, Classes: 2}},
		{"wrong shape", func() *detect.Data {
			d := clProblem(10, 2, 0.9, nil)
			d.Probs.Cols, d.Probs.Rows = 4, 5
			return d
		}()},
		{"not a number", nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := detect.ConfidentLearning(tc.d); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if got := detect.LabelIssues(*nan.Probs, nan.Labels, nan.Classes); got != nil {
		t.Errorf("LabelIssues on NaN = %v, want nil", got)
	}
	if got := detect.LabelIssues(*nan.Probs, nan.Labels[:3], nan.Classes); got != nil {
		t.Errorf("LabelIssues on mismatched rows = %v, want nil", got)
	}
}

// TestOutOfSampleProbs checks that k-fold logistic regression on
// separable blobs gives probabilities with which confident learning
// finds moved labels.
func TestOutOfSampleProbs(t *testing.T) {
	const n, k, dim = 600, 3, 6
	rng := rand.New(rand.NewPCG(3, 4))
	x := detect.Matrix{Data: make([]float32, n*dim), Rows: n, Cols: dim}
	labels := make([]int, n)
	var moved []int
	for i := range n {
		y := i % k
		labels[i] = y
		for j := range dim {
			centre := float32(0)
			if j == y {
				centre = 4
			}
			x.Data[i*dim+j] = centre + float32(rng.NormFloat64())
		}
		if i%20 == 7 {
			labels[i] = (y + 1) % k
			moved = append(moved, i)
		}
	}
	probs, err := detect.OutOfSampleProbs(context.Background(), x, labels, k, detect.ProbsOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if probs.Rows != n || probs.Cols != k || probs.Validate() != nil {
		t.Fatalf("probabilities of %d×%d", probs.Rows, probs.Cols)
	}
	for i := range n {
		var sum float64
		for _, v := range probs.Row(i) {
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Fatalf("row %d sums to %v", i, sum)
		}
	}
	got := detect.LabelIssues(probs, labels, k)
	tp := 0
	for _, r := range got {
		if slices.Contains(moved, r) {
			tp++
		}
	}
	prec, rec := float64(tp)/float64(max(len(got), 1)), float64(tp)/float64(len(moved))
	if prec < 0.9 || rec < 0.9 {
		t.Errorf("precision %.2f, recall %.2f on %d moved labels; want both ≥ 0.9", prec, rec, len(moved))
	}
}

func TestOutOfSampleProbsErrors(t *testing.T) {
	x := detect.Matrix{Data: make([]float32, 20), Rows: 10, Cols: 2}
	labels := []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		x      detect.Matrix
		labels []int
		opts   detect.ProbsOptions
	}{
		{"one fold", x, labels, detect.ProbsOptions{Folds: 1}},
		{"more folds than rows", x, labels, detect.ProbsOptions{Folds: 11}},
		{"cnn", x, labels, detect.ProbsOptions{Model: learn.CNN}},
		{"labels for other rows", x, labels[:4], detect.ProbsOptions{}},
		{"bad matrix", detect.Matrix{Data: x.Data, Rows: 3, Cols: 2}, labels, detect.ProbsOptions{}},
		{"label out of range", x, []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, detect.ProbsOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := detect.OutOfSampleProbs(ctx, tc.x, tc.labels, 2, tc.opts); err == nil {
				t.Fatal("no error")
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := detect.OutOfSampleProbs(cancelled, x, labels, 2, detect.ProbsOptions{}); err == nil {
		t.Fatal("no error from a cancelled context")
	}
}

func ExampleLabelIssues() {
	// Six rows of two classes; the model is sure row 4 is a 0.
	probs := detect.Matrix{Rows: 6, Cols: 2, Data: []float32{
		0.9, 0.1,
		0.8, 0.2,
		0.85, 0.15,
		0.1, 0.9,
		0.95, 0.05,
		0.2, 0.8,
	}}
	labels := []int{0, 0, 0, 1, 1, 1}
	fmt.Println(detect.LabelIssues(probs, labels, 2))
	// Output: [4]
}

func BenchmarkConfidentLearning(b *testing.B) {
	const n, k = 60000, 10
	moved := map[int]int{}
	for i := 0; i < n; i += 10 {
		moved[i] = (i%k + 3) % k
	}
	d := clProblem(n, k, 0.9, moved)
	for b.Loop() {
		if _, err := detect.ConfidentLearning(d); err != nil {
			b.Fatal(err)
		}
	}
}
