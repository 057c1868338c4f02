package learn_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/example"
	"github.com/poisonguard/poisonguard/internal/gemm"
	"github.com/poisonguard/poisonguard/learn"
)

// digits loads the shipped 8×8 digits training CSV split 80/20.
func digits(t *testing.T) (train, test *dataset.Set) {
	t.Helper()
	paths, err := example.Extract(t.TempDir(), "digits-train.csv")
	if err != nil {
		t.Fatal(err)
	}
	set, err := dataset.LoadFile(context.Background(), paths[0], dataset.Options{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	cut := set.N * 4 / 5
	rows := func(lo, hi int) []int {
		var r []int
		for i := lo; i < hi; i++ {
			r = append(r, i)
		}
		return r
	}
	return set.Subset(rows(0, cut)), set.Subset(rows(cut, set.N))
}

func config(arch learn.Arch, s *dataset.Set) learn.Config {
	return learn.Config{Arch: arch, Inputs: s.D, Classes: s.Classes}
}

// TestArchitecturesLearnDigits trains each architecture on the 8×8 digits
// and checks held-out accuracy against what scikit-learn reaches on the
// same split (LogisticRegression 0.954, MLPClassifier((256, 128)) 0.963 on standardised
// features, scikit-learn 1.2), with a margin.
func TestArchitecturesLearnDigits(t *testing.T) {
	train, test := digits(t)
	for _, tc := range []struct {
		arch learn.Arch
		min  float64
	}{{learn.LogReg, 0.90}, {learn.MLP, 0.92}} {
		m, err := learn.New(config(tc.arch, train), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 30, LR: 0.01, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		if acc := m.Evaluate(test).Accuracy; acc < tc.min {
			t.Errorf("%s: test accuracy %.3f, want ≥ %.2f", tc.arch, acc, tc.min)
		}
	}
}

// TestReproducible trains twice with the same seed, once on one thread and
// once on two, and wants bit-identical weights; another seed must differ.
func TestReproducible(t *testing.T) {
	train, _ := digits(t)
	weights := func(seed uint64, threads int) []float32 {
		defer gemm.SetThreads(gemm.SetThreads(threads))
		m, err := learn.New(config(learn.MLP, train), seed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 2, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range m.Params() {
			w = append(w, p.W...)
		}
		return w
	}
	a, b := weights(3, 1), weights(3, 2)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different weights on 1 and 2 threads")
	}
	if slices.Equal(a, weights(4, 2)) {
		t.Error("different seeds gave the same weights")
	}
}

func TestSaveLoad(t *testing.T) {
	train, test := digits(t)
	m, err := learn.New(config(learn.MLP, train), 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 2, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := learn.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Probabilities(test.X, test.N), back.Probabilities(test.X, test.N)) {
		t.Error("a loaded model predicts differently")
	}
	if !slices.Equal(m.Embed(test.X, test.N), back.Embed(test.X, test.N)) {
		t.Error("a loaded model embeds differently")
	}

	// A truncated weights file and a config of another architecture fail
	// with the file's name.
	w := filepath.Join(dir, learn.WeightsFile)
	raw, _ := os.ReadFile(w)
	if err := os.WriteFile(w, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := learn.Load(dir); err == nil {
		t.Error("a truncated weights file loaded")
	}
	if err := os.WriteFile(w, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, learn.ConfigFile)
	cfg, _ := os.ReadFile(c)
	if err := os.WriteFile(c, []byte(string(cfg[:len(cfg)-2])+`, "extra": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := learn.Load(dir); err == nil {
		t.Error("a config with an unknown field loaded")
	}
}

func TestEmbeddings(t *testing.T) {
	train, test := digits(t)
	m, err := learn.New(learn.Config{Arch: learn.MLP, Inputs: train.D, Classes: train.Classes, Hidden: []int{32, 16}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	e := m.Embed(test.X, test.N)
	if m.EmbeddingSize() != 16 || len(e) != 16*test.N {
		t.Fatalf("embedding size %d, %d values for %d rows", m.EmbeddingSize(), len(e), test.N)
	}
	if slices.Min(e) < 0 {
		t.Error("embeddings are ReLU activations and cannot be negative")
	}
}

// TestOutOfSample checks that k-fold probabilities are distributions and
// that every row was predicted by a model that did not train on it: their
// accuracy is a held-out accuracy, below the in-sample one.
func TestOutOfSample(t *testing.T) {
	train, _ := digits(t)
	cfg := config(learn.LogReg, train)
	probs, err := learn.OutOfSample(context.Background(), cfg, train, 4, learn.TrainOptions{Epochs: 20, LR: 0.01, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i := range train.N {
		p := probs[i*train.Classes : (i+1)*train.Classes]
		sum := 0.0
		for _, v := range p {
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Fatalf("row %d: probabilities sum to %g", i, sum)
		}
		if slices.Index(p, slices.Max(p)) == train.Y[i] {
			correct++
		}
	}
	if acc := float64(correct) / float64(train.N); acc < 0.85 || acc > 0.995 {
		t.Errorf("out-of-sample accuracy %.3f, want a held-out level in [0.85, 0.995]", acc)
	}
	folds := learn.Folds(train.Y, train.Classes, 4, 2)
	for f := range 4 {
		n := 0
		for _, g := range folds {
			if g == f {
				n++
			}
		}
		if n < train.N/4-train.Classes || n > train.N/4+train.Classes {
			t.Errorf("fold %d has %d of %d rows", f, n, train.N)
		}
	}
}

// TestOptimizers trains with SGD-momentum and a cosine schedule, and with
// weight decay: SGD must learn the digits too, and decay must leave
// smaller weights than no decay from the same start.
func TestOptimizers(t *testing.T) {
	train, test := digits(t)
	m, err := learn.New(config(learn.MLP, train), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 20, Optimizer: learn.SGD, Schedule: learn.Cosine, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if acc := m.Evaluate(test).Accuracy; acc < 0.9 {
		t.Errorf("SGD: test accuracy %.3f, want ≥ 0.9", acc)
	}
	norm := func(wd float64) float64 {
		m, err := learn.New(config(learn.LogReg, train), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Train(context.Background(), train, learn.TrainOptions{Epochs: 10, LR: 0.01, WeightDecay: wd, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, v := range m.Params()[0].W {
			sum += float64(v) * float64(v)
		}
		return sum
	}
	if plain, decayed := norm(0), norm(0.1); decayed >= 0.8*plain {
		t.Errorf("weight decay 0.1 left a squared weight norm of %.3g, no decay %.3g", decayed, plain)
	}
	if _, err := m.Train(context.Background(), train, learn.TrainOptions{Optimizer: "rmsprop"}); err == nil {
		t.Error("an unknown optimizer trained")
	}
}
