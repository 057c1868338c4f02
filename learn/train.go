package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/poisonguard/poisonguard/dataset"
)

// TrainOptions are the knobs of minibatch training. The zero value of a
// field means its default.
type TrainOptions struct {
	Epochs    int       // default 10
	BatchSize int       // default 128
	Optimizer Optimizer // default Adam
	// LR is the base learning rate: default 1e-3 for Adam, 0.01 for SGD.
	LR          float64
	Momentum    float64  // SGD momentum, default 0.9
	WeightDecay float64  // L2 coefficient, default 0
	Schedule    Schedule // default Constant
	// Seed drives the order of the rows in each epoch.
	Seed uint64
	// Rows, when set, restricts training to these rows of the set (each
	// once): k-fold training uses it instead of copying each fold.
	Rows []int
	// Validation, when set, is scored after every epoch.
	Validation *dataset.Set
	// OnBatch is called after every step with the steps done and the
	// total, for progress bars.
	OnBatch func(done, total int)
	// OnEpoch is called after every epoch.
	OnEpoch func(EpochStats)
}

// Defaults of TrainOptions, documented on its fields.
const (
	DefaultEpochs    = 10
	DefaultBatchSize = 128
)

// EpochStats summarises one epoch of training.
type EpochStats struct {
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`           // mean training cross-entropy
	Accuracy float64 `json:"train_accuracy"` // on the training batches as they were seen
	// ValAccuracy is the accuracy on TrainOptions.Validation, nil without one.
	ValAccuracy *float64 `json:"validation_accuracy,omitempty"`
	Seconds     float64  `json:"seconds"`
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Epochs == 0 {
		o.Epochs = DefaultEpochs
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Optimizer == "" {
		o.Optimizer = Adam
	}
	if o.LR == 0 {
		o.LR = 1e-3
		if o.Optimizer == SGD {
			o.LR = 0.01
		}
	}
	if o.Momentum == 0 && o.Optimizer == SGD {
		o.Momentum = 0.9
	}
	if o.Schedule == "" {
		o.Schedule = Constant
	}
	return o
}

func (o TrainOptions) validate() error {
	switch {
	case o.Epochs < 1 || o.Epochs > 10_000:
		return fmt.Errorf("epochs %d out of range [1, 10000]", o.Epochs)
	case o.BatchSize < 1 || o.BatchSize > 1<<16:
		return fmt.Errorf("batch size %d out of range [1, 65536]", o.BatchSize)
	case !(o.LR > 0) || o.LR > 10:
		return fmt.Errorf("learning rate %g out of range (0, 10]", o.LR)
	case o.Momentum < 0 || o.Momentum >= 1:
		return fmt.Errorf("momentum %g out of range [0, 1)", o.Momentum)
	case o.WeightDecay < 0 || o.WeightDecay >= 1:
		return fmt.Errorf("weight decay %g out of range [0, 1)", o.WeightDecay)
	}
	return o.Schedule.validate()
}

// Train fits the model to the set by minimising cross-entropy. An
// untrained model first fits its input scaling to the set. It returns the
// statistics of each epoch; on cancellation it stops after the current
// step and returns the context's error.
func (m *Model) Train(ctx context.Context, set *dataset.Set, opts TrainOptions) ([]EpochStats, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := m.check(set); err != nil {
		return nil, err
	}
	if opts.Validation != nil {
		if err := m.check(opts.Validation); err != nil {
			return nil, fmt.Errorf("validation set: %w", err)
		}
	}
	if !m.fitted {
		m.scale, m.fitted = fitScale(set, opts.Rows), true
	}
	upd, err := newUpdater(opts.Optimizer, opts.Momentum, opts.WeightDecay, m.Params())
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	order := slices.Clone(opts.Rows)
	if order == nil {
		order = make([]int, set.N)
		for i := range order {
			order[i] = i
		}
	}
	for _, r := range order {
		if r < 0 || r >= set.N {
			return nil, fmt.Errorf("training row %d outside the set's %d rows", r, set.N)
		}
	}
	rows := len(order)
	if rows == 0 {
		return nil, errors.New("no rows to train on")
	}
	steps := (rows + opts.BatchSize - 1) / opts.BatchSize
	total := steps * opts.Epochs
	labels := make([]int, 0, opts.BatchSize)
	var grad []float32
	var history []EpochStats
	for epoch := range opts.Epochs {
		start := time.Now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		var correct int
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return history, err
			}
			batch := order[s*opts.BatchSize : min((s+1)*opts.BatchSize, rows)]
			labels = labels[:0]
			for _, r := range batch {
				labels = append(labels, set.Y[r])
			}
			logits := m.forward(m.load(set.X, batch), len(batch), len(m.layers)-1, true)
			grad = grow(grad, len(logits))
			l, c := crossEntropy(grad, logits, labels, m.Config.Classes)
			loss, correct = loss+l, correct+c
			m.backward(grad, len(batch))
			t := epoch*steps + s
			upd.apply(opts.Schedule.rate(opts.LR, t, total, epoch, opts.Epochs))
			if opts.OnBatch != nil {
				opts.OnBatch(t+1, total)
			}
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return history, errors.New("training diverged (the loss is not finite): lower the learning rate")
		}
		st := EpochStats{
			Epoch:    epoch + 1,
			Loss:     loss / float64(rows),
			Accuracy: float64(correct) / float64(rows),
			Seconds:  time.Since(start).Seconds(),
		}
		if opts.Validation != nil {
			acc := m.Evaluate(opts.Validation).Accuracy
			st.ValAccuracy = &acc
		}
		history = append(history, st)
		if opts.OnEpoch != nil {
			opts.OnEpoch(st)
		}
	}
	return history, nil
}

// check reports whether the set fits the model's inputs and classes.
func (m *Model) check(s *dataset.Set) error {
	switch {
	case s.D != m.Config.Inputs:
		return fmt.Errorf("the model takes %d features, the data has %d", m.Config.Inputs, s.D)
	case s.Classes > m.Config.Classes:
		return fmt.Errorf("the model has %d classes, the data %d", m.Config.Classes, s.Classes)
	case s.N == 0:
		return errors.New("the data has no rows")
	}
	return s.Validate()
}
