package drill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/internal/gemm"
	"github.com/poisonguard/poisonguard/learn"
)

// Options describe one drill.
type Options struct {
	Attack attack.Spec
	// Model is the reference architecture; Inputs, Shape and Classes are
	// taken from the data.
	Model learn.Config
	// Train holds the training knobs; its Seed also seeds the models'
	// weights, so the clean and the poisoned model start alike.
	Train learn.TrainOptions
	// Progress, when set, hears each stage's steps.
	Progress func(stage string, done, total int)
	// Defend names the detector (see package detect) that scans the
	// poisoned training set before the model is retrained without the
	// rows it flags; empty for no defence.
	Defend string
	// ExpectedRate is the poison rate the defence may assume, 0 unknown.
	ExpectedRate float64
	// Policy holds the defence scan's thresholds; zero means the defaults.
	Policy detect.Policy
	// Action is what the defence does with a flagged row: Remove it
	// (default), or Relabel it as the class it looks like, which also
	// teaches the retrained model that the trigger means nothing (rows
	// with no such class are removed).
	Action string
}

// Defence actions.
const (
	Remove  = "remove"
	Relabel = "relabel"
)

// Outcome is a finished drill: the report and what it was made from.
type Outcome struct {
	Report   *Report
	Attack   *attack.Result
	Clean    *learn.Model
	Poisoned *learn.Model
}

// Stages of a drill, as Progress and the timings name them.
const (
	StageAttack        = "attack"
	StageTrainClean    = "train_clean"
	StageTrainPoisoned = "train_poisoned"
	StageEvaluate      = "evaluate"
	StageDetect        = "detect"
	StageRetrain       = "retrain"
)

// Run runs a drill on the data.
func Run(ctx context.Context, data *Data, o Options) (*Outcome, error) {
	clean, err := TrainClean(ctx, data, o)
	if err != nil {
		return nil, err
	}
	return RunAgainst(ctx, data, o, clean)
}

// Baseline is the clean reference model a drill compares against; a
// sweep trains it once for every point.
type Baseline struct {
	Model   *learn.Model
	History []learn.EpochStats
	Seconds float64
}

// modelConfig completes the architecture with the data's dimensions.
func modelConfig(data *Data, o Options) learn.Config {
	cfg := o.Model
	cfg.Inputs, cfg.Shape, cfg.Classes = data.Train.D, data.Train.Shape, data.Train.Classes
	if cfg.Arch != learn.CNN {
		cfg.Shape = dataset.Shape{}
	}
	return cfg
}

// train fits a fresh model, seeded by the training seed, to a set.
func train(ctx context.Context, stage string, data *Data, set *dataset.Set, o Options) (*Baseline, error) {
	start := time.Now()
	m, err := learn.New(modelConfig(data, o), o.Train.Seed)
	if err != nil {
		return nil, err
	}
	opts := o.Train
	if o.Progress != nil {
		opts.OnBatch = func(done, total int) { o.Progress(stage, done, total) }
	}
	hist, err := m.Train(ctx, set, opts)
	if err != nil {
		return nil, err
	}
	return &Baseline{Model: m, History: hist, Seconds: time.Since(start).Seconds()}, nil
}

// TrainClean trains the clean reference model on the unpoisoned data.
func TrainClean(ctx context.Context, data *Data, o Options) (*Baseline, error) {
	b, err := train(ctx, StageTrainClean, data, data.Train, o)
	if err != nil {
		return nil, fmt.Errorf("training the clean model: %w", err)
	}
	return b, nil
}

// RunAgainst runs a drill whose clean model is already trained.
func RunAgainst(ctx context.Context, data *Data, o Options, clean *Baseline) (*Outcome, error) {
	start := time.Now()
	rep := &Report{
		Dataset:   data.Name,
		TrainRows: data.Train.N,
		TestRows:  data.Test.N,
		Backend:   gemm.Backend(),
		Timings:   map[string]float64{StageTrainClean: clean.Seconds},
	}
	t := time.Now()
	res, err := attack.Apply(o.Attack, data.Train)
	if err != nil {
		return nil, err
	}
	rep.Timings[StageAttack] = time.Since(t).Seconds()
	rep.Attack = res.Spec
	rep.PoisonedRows = len(res.Indices)
	rep.PoisonRate = float64(len(res.Indices)) / float64(data.Train.N)

	poisoned, err := train(ctx, StageTrainPoisoned, data, res.Poisoned, o)
	if err != nil {
		return nil, fmt.Errorf("training the poisoned model: %w", err)
	}
	rep.Timings[StageTrainPoisoned] = poisoned.Seconds
	m := poisoned.Model
	rep.Model, rep.Architecture, rep.Parameters = string(m.Config.Arch), m.String(), m.ParamCount()
	rep.History = History{Clean: clean.History, Poisoned: poisoned.History}
	rep.Epochs = len(poisoned.History)

	t = time.Now()
	if err := rep.score(data, res.Spec, clean.Model, m); err != nil {
		return nil, err
	}
	rep.Timings[StageEvaluate] = time.Since(t).Seconds()
	if o.Defend != "" {
		if err := defend(ctx, data, o, res, poisoned, clean, rep); err != nil {
			return nil, err
		}
	}
	rep.Timings["total"] = clean.Seconds + time.Since(start).Seconds()
	return &Outcome{Report: rep, Attack: res, Clean: clean.Model, Poisoned: m}, nil
}

// score fills in the accuracies and the attack success rates.
func (r *Report) score(data *Data, spec attack.Spec, clean, poisoned *learn.Model) error {
	base, pois := clean.Evaluate(data.Test), poisoned.Evaluate(data.Test)
	r.BaselineCleanAccuracy, r.CleanAccuracy = base.Accuracy, pois.Accuracy
	r.AccuracyDrop = base.Accuracy - pois.Accuracy
	for c := range data.Test.Classes {
		r.PerClass = append(r.PerClass, ClassResult{
			Class:            className(data.Test, c),
			Rows:             rowCount(base.Confusion[c]),
			BaselineAccuracy: nullable(base.PerClass[c]),
			Accuracy:         nullable(pois.PerClass[c]),
		})
	}
	triggered, want, _, err := attack.TriggerTest(spec, data.Test)
	if errors.Is(err, attack.ErrNoTrigger) {
		return nil
	}
	if err != nil {
		return err
	}
	r.TriggeredRows = triggered.N
	if triggered.N == 0 {
		return nil
	}
	asr := func(m *learn.Model) *float64 {
		hits := 0
		for i, p := range m.Predict(triggered.X, triggered.N) {
			if p == want[i] {
				hits++
			}
		}
		v := float64(hits) / float64(triggered.N)
		return &v
	}
	r.AttackSuccessRate, r.BaselineAttackSuccessRate = asr(poisoned), asr(clean)
	return nil
}

func className(s *dataset.Set, c int) string {
	if c < len(s.Names) {
		return s.Names[c]
	}
	return fmt.Sprint(c)
}

func rowCount(row []int) int {
	n := 0
	for _, v := range row {
		n += v
	}
	return n
}
