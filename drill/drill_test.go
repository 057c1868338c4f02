package drill_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/mnist"
	"github.com/poisonguard/poisonguard/drill"
	"github.com/poisonguard/poisonguard/learn"
)

// loadMNIST reads MNIST once for all tests.
var loadMNIST = sync.OnceValues(func() ([2]*dataset.Set, error) {
	train, test, err := mnist.Load(context.Background())
	return [2]*dataset.Set{train, test}, err
})

// reduced returns the first rows of MNIST's training and test sets: a
// drill small enough for every test run.
func reduced(t *testing.T, trainRows, testRows int) *drill.Data {
	t.Helper()
	sets, err := loadMNIST()
	train, test := sets[0], sets[1]
	if err != nil {
		t.Fatal(err)
	}
	first := func(n int) []int {
		r := make([]int, n)
		for i := range r {
			r[i] = i
		}
		return r
	}
	return &drill.Data{Name: "mnist-reduced", Train: train.Subset(first(trainRows)), Test: test.Subset(first(testRows))}
}

func options(spec attack.Spec, epochs int) drill.Options {
	return drill.Options{
		Attack: spec,
		Model:  learn.Config{Arch: learn.MLP},
		Train:  learn.TrainOptions{Epochs: epochs, Seed: 1},
	}
}

// TestReducedDrills runs each attack path on 5,000 MNIST rows and checks
// the bounds a working trigger or label path reaches: a broken trigger
// leaves ASR near the clean model's, a broken label path leaves accuracy
// unchanged.
func TestReducedDrills(t *testing.T) {
	data := reduced(t, 5000, 2000)
	t.Run("badnets", func(t *testing.T) {
		o, err := drill.Run(context.Background(), data, options(attack.Spec{Kind: attack.BadNets, Rate: 0.1}, 3))
		if err != nil {
			t.Fatal(err)
		}
		r := o.Report
		if r.AttackSuccessRate == nil || *r.AttackSuccessRate < 0.9 || *r.BaselineAttackSuccessRate > 0.1 {
			t.Errorf("ASR %v (clean model %v), want ≥ 0.9 (≤ 0.1)", deref(r.AttackSuccessRate), deref(r.BaselineAttackSuccessRate))
		}
		if r.CleanAccuracy < 0.85 || r.BaselineCleanAccuracy < 0.85 {
			t.Errorf("clean accuracy %.3f (clean model %.3f), want ≥ 0.85", r.CleanAccuracy, r.BaselineCleanAccuracy)
		}
		if r.PoisonedRows != 500 || r.TriggeredRows != 2000-classRows(data.Test, 0) {
			t.Errorf("%d poisoned, %d triggered rows", r.PoisonedRows, r.TriggeredRows)
		}
	})
	t.Run("blended", func(t *testing.T) {
		o, err := drill.Run(context.Background(), data, options(attack.Spec{Kind: attack.Blended, Rate: 0.1}, 3))
		if err != nil {
			t.Fatal(err)
		}
		if asr := o.Report.AttackSuccessRate; asr == nil || *asr < 0.8 {
			t.Errorf("blended ASR %v, want ≥ 0.8", deref(asr))
		}
	})
	t.Run("targeted-flip", func(t *testing.T) {
		// Every 1 relabelled 7: the poisoned model cannot recognise a 1.
		o, err := drill.Run(context.Background(), data, options(attack.Spec{Kind: attack.TargetedFlip, Rate: 1, Source: 1, Target: 7}, 2))
		if err != nil {
			t.Fatal(err)
		}
		r := o.Report
		if r.AttackSuccessRate != nil {
			t.Error("a label attack reported an attack success rate")
		}
		one := r.PerClass[1]
		if *one.Accuracy > 0.1 || *one.BaselineAccuracy < 0.9 || r.AccuracyDrop < 0.05 {
			t.Errorf("class 1 accuracy %.3f (clean model %.3f), drop %.3f", *one.Accuracy, *one.BaselineAccuracy, r.AccuracyDrop)
		}
	})
}

// TestWriteDir keeps a drill's artefacts and reads them back.
func TestWriteDir(t *testing.T) {
	data := reduced(t, 1000, 200)
	o, err := drill.Run(context.Background(), data, options(attack.Spec{Kind: attack.BadNets, Rate: 0.05}, 1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := drill.WriteDir(dir, o); err != nil {
		t.Fatal(err)
	}
	poisoned, err := dataset.LoadFile(context.Background(), filepath.Join(dir, drill.FileFeatures),
		dataset.Options{LabelsFile: filepath.Join(dir, drill.FileLabels)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(poisoned.X, o.Attack.Poisoned.X) || !slices.Equal(poisoned.Y, o.Attack.Poisoned.Y) || poisoned.Shape != data.Train.Shape {
		t.Error("the kept poisoned set differs from the one trained on")
	}
	m, err := learn.Load(filepath.Join(dir, drill.DirPoisoned))
	if err != nil {
		t.Fatal(err)
	}
	if m.Evaluate(data.Test).Accuracy != o.Report.CleanAccuracy {
		t.Error("the kept poisoned model scores differently")
	}
	for _, f := range []string{drill.FileReport, drill.FileMarkdown, drill.FileAttack, drill.FilePoisoned, drill.FileEmbeddings} {
		if info, err := os.Stat(filepath.Join(dir, f)); err != nil || info.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSplitIsStratified(t *testing.T) {
	data := reduced(t, 3000, 10)
	train, test, err := drill.Split(data.Train, 0.2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if train.N+test.N != 3000 {
		t.Fatalf("%d + %d rows", train.N, test.N)
	}
	for c, n := range data.Train.ClassCounts() {
		if got := test.ClassCounts()[c]; got < n/5-1 || got > n/5+1 {
			t.Errorf("class %d: %d of %d rows held out", c, got, n)
		}
	}
}

func classRows(s *dataset.Set, c int) int { return s.ClassCounts()[c] }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestFashionMNIST reads Debian's dataset-fashion-mnist when installed.
func TestFashionMNIST(t *testing.T) {
	if _, err := os.Stat(drill.FashionMNISTDir); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	d, err := drill.LoadData(context.Background(), drill.DataOptions{Dataset: "fashion-mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 60000 || d.Test.N != 10000 || d.Train.Classes != 10 || d.Train.Shape.Size() != 784 {
		t.Errorf("fashion-mnist: %d + %d rows, %d classes, shape %v", d.Train.N, d.Test.N, d.Train.Classes, d.Train.Shape)
	}
}

// TestLoadDataErrors names what is missing.
func TestLoadDataErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := drill.LoadData(context.Background(), drill.DataOptions{Dataset: dir}); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := drill.LoadData(context.Background(), drill.DataOptions{Dataset: filepath.Join(dir, "nosuch.csv")}); err == nil {
		t.Error("a missing file loaded")
	}
}
