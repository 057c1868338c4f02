package detect

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/learn"
)

// ProbsOptions configure OutOfSampleProbs. The zero value trains softmax
// logistic regression in 5 folds on tabular rows, and an MLP on images.
type ProbsOptions struct {
	// Model is the architecture trained on each fold: learn.LogReg (the
	// default for tabular rows), learn.MLP (the default for images, on
	// which logistic regression is too weak for confident learning) or,
	// for images, learn.CNN (much slower, and no better on MNIST).
	Model learn.Arch
	// Hidden holds the hidden layer widths: for the MLP default 256, for
	// the CNN learn's default.
	Hidden []int
	// Shape, when the rows are images, is their shape: the learner then
	// scales the pixels by the data's range instead of standardising each
	// column, which blows up the pixels that are almost always blank.
	Shape dataset.Shape
	// Folds is the number of folds (default 5).
	Folds int
	// Epochs is the number of training epochs per fold. The default is 15
	// for logistic regression and 5 for the networks, raised on small sets
	// so that each fold's model takes at least DefaultProbsMinSteps steps.
	Epochs int
	// LR is Adam's learning rate (default 0.01 for logistic regression,
	// 1e-3 for the networks).
	LR float64
	// BatchSize is the minibatch size (default learn.DefaultBatchSize).
	BatchSize int
	// Seed drives the folds, the initial weights and the order of the rows.
	Seed uint64
}

// Defaults of ProbsOptions, documented on its fields.
const (
	DefaultProbsFolds        = 5
	DefaultProbsLogRegEpochs = 15
	DefaultProbsNetEpochs    = 5
	DefaultProbsLogRegLR     = 0.01
	DefaultProbsNetLR        = 1e-3
	DefaultProbsMinSteps     = 1000
)

// DefaultProbsMLPHidden is the MLP's default hidden layer widths.
var DefaultProbsMLPHidden = []int{256}

// clMaxDefaultEpochs bounds the default epochs on tiny sets.
const clMaxDefaultEpochs = 1000

// withDefaults fills in the unset fields for a set of n rows.
func (o ProbsOptions) withDefaults(n int) ProbsOptions {
	if o.Model == "" {
		o.Model = learn.LogReg
		if o.Shape.IsImage() {
			o.Model = learn.MLP
		}
	}
	if o.Folds == 0 {
		o.Folds = DefaultProbsFolds
	}
	if o.Model == learn.MLP && o.Hidden == nil {
		o.Hidden = slices.Clone(DefaultProbsMLPHidden)
	}
	if o.BatchSize == 0 {
		o.BatchSize = learn.DefaultBatchSize
	}
	logreg := o.Model == learn.LogReg
	if o.Epochs == 0 && o.Folds > 0 && o.BatchSize > 0 {
		o.Epochs = DefaultProbsNetEpochs
		if logreg {
			o.Epochs = DefaultProbsLogRegEpochs
		}
		train := n - n/o.Folds // rows in the training folds, about
		steps := max((train+o.BatchSize-1)/o.BatchSize, 1)
		o.Epochs = min(max(o.Epochs, (DefaultProbsMinSteps+steps-1)/steps), clMaxDefaultEpochs)
	}
	if o.LR == 0 {
		o.LR = DefaultProbsNetLR
		if logreg {
			o.LR = DefaultProbsLogRegLR
		}
	}
	return o
}

func (o ProbsOptions) validate() error {
	switch {
	case o.Model != learn.LogReg && o.Model != learn.MLP && o.Model != learn.CNN:
		return fmt.Errorf("unknown model %q (want logreg, mlp or cnn)", o.Model)
	case o.Folds < 2 || o.Folds > learn.MaxFolds:
		return fmt.Errorf("folds %d out of range [2, %d]", o.Folds, learn.MaxFolds)
	}
	return nil
}

// OutOfSampleProbs returns out-of-sample class probabilities for the rows
// of view (Rows×classes), for ConfidentLearning when no model supplied
// them: the rows are dealt into folds stratified by label, and each fold
// is predicted by a fresh model trained on the others (learn.OutOfSample).
// view is whichever view of the rows the caller chooses, a Data's
// Features or its Inputs. The learner standardises each column, or, for
// images (opts.Shape), scales all values by their observed range. Training
// stops with the context's error when ctx is cancelled.
func OutOfSampleProbs(ctx context.Context, view Matrix, labels []int, classes int, opts ProbsOptions) (Matrix, error) {
	opts = opts.withDefaults(view.Rows)
	if err := opts.validate(); err != nil {
		return Matrix{}, err
	}
	if err := view.Validate(); err != nil {
		return Matrix{}, err
	}
	if len(labels) != view.Rows {
		return Matrix{}, fmt.Errorf("%d labels for %d rows", len(labels), view.Rows)
	}
	if view.Rows < opts.Folds {
		return Matrix{}, fmt.Errorf("%d rows cannot fill %d folds", view.Rows, opts.Folds)
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range view.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Matrix{}, fmt.Errorf("a feature is %v", v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	set := &dataset.Set{X: view.Data, Y: labels, N: view.Rows, D: view.Cols, Classes: classes, Shape: opts.Shape, Min: lo, Max: hi}
	if err := set.Validate(); err != nil {
		return Matrix{}, err
	}
	cfg := learn.Config{Arch: opts.Model, Inputs: view.Cols, Shape: opts.Shape, Classes: classes, Hidden: opts.Hidden}
	train := learn.TrainOptions{Epochs: opts.Epochs, BatchSize: opts.BatchSize, LR: opts.LR, Optimizer: learn.Adam, Seed: opts.Seed}
	p, err := learn.OutOfSample(ctx, cfg, set, opts.Folds, train)
	if err != nil {
		return Matrix{}, fmt.Errorf("out-of-sample probabilities: %w", err)
	}
	return Matrix{Data: p, Rows: view.Rows, Cols: classes}, nil
}
