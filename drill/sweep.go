package drill

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/finding"
)

// DefaultSweepRates are the poison rates a sweep tries when none are
// given: detectors and defences are weakest at 1% and below.
var DefaultSweepRates = []float64{0.005, 0.01, 0.02, 0.05, 0.1}

// DefaultSweepAttacks are the attacks a sweep tries when none are given.
var DefaultSweepAttacks = []attack.Kind{attack.BadNets, attack.Blended, attack.LabelFlip}

// SweepOptions describe a grid of drills.
type SweepOptions struct {
	// Options holds the model, training and the attack template (its
	// trigger flags); each point sets the kind and the rate.
	Options
	Attacks []attack.Kind
	Rates   []float64
}

// Point is one drill of a sweep.
type Point struct {
	Attack            attack.Kind `json:"attack"`
	Rate              float64     `json:"poison_rate"`
	PoisonedRows      int         `json:"poisoned_rows"`
	CleanAccuracy     float64     `json:"clean_accuracy"`
	AccuracyDrop      float64     `json:"accuracy_drop"`
	AttackSuccessRate *float64    `json:"attack_success_rate"`
	Seconds           float64     `json:"seconds"`
}

// SweepResult is a finished sweep.
type SweepResult struct {
	Dataset               string             `json:"dataset"`
	Model                 string             `json:"model"`
	Epochs                int                `json:"epochs"`
	BaselineCleanAccuracy float64            `json:"baseline_clean_accuracy"`
	Points                []Point            `json:"points"`
	Timings               map[string]float64 `json:"timings_seconds"`
}

// Sweep trains the clean model once, then runs a drill for every attack
// and rate.
func Sweep(ctx context.Context, data *Data, o SweepOptions) (*SweepResult, error) {
	if len(o.Attacks) == 0 || len(o.Rates) == 0 {
		return nil, errors.New("a sweep needs at least one attack and one rate")
	}
	clean, err := TrainClean(ctx, data, o.Options)
	if err != nil {
		return nil, err
	}
	res := &SweepResult{
		Dataset:               data.Name,
		Model:                 string(clean.Model.Config.Arch),
		Epochs:                len(clean.History),
		BaselineCleanAccuracy: clean.Model.Evaluate(data.Test).Accuracy,
		Timings:               map[string]float64{StageTrainClean: clean.Seconds},
	}
	total := clean.Seconds
	for _, kind := range o.Attacks {
		for _, rate := range o.Rates {
			po := o.Options
			po.Attack.Kind, po.Attack.Rate = kind, rate
			if o.Progress != nil {
				stage := fmt.Sprintf("%s at %.1f%%", kind, 100*rate)
				po.Progress = func(_ string, done, total int) { o.Progress(stage, done, total) }
			}
			out, err := RunAgainst(ctx, data, po, clean)
			if err != nil {
				return nil, fmt.Errorf("%s at rate %g: %w", kind, rate, err)
			}
			r := out.Report
			secs := r.Timings["total"] - clean.Seconds
			total += secs
			res.Points = append(res.Points, Point{
				Attack: kind, Rate: rate, PoisonedRows: r.PoisonedRows,
				CleanAccuracy: r.CleanAccuracy, AccuracyDrop: r.AccuracyDrop,
				AttackSuccessRate: r.AttackSuccessRate, Seconds: secs,
			})
		}
	}
	res.Timings["total"] = total
	return res, nil
}

// WriteText renders the sweep as an aligned table.
func (s *SweepResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "sweep: %d drills on %s, %s model, %d epochs; clean model accuracy %s\n\n",
		len(s.Points), s.Dataset, s.Model, s.Epochs, pct(s.BaselineCleanAccuracy))
	t := finding.Table{Header: []string{"attack", "poison rate", "poisoned rows", "clean accuracy", "accuracy drop (points)", "attack success", "seconds"}}
	for _, p := range s.Points {
		asr := "–"
		if p.AttackSuccessRate != nil {
			asr = pct(*p.AttackSuccessRate)
		}
		t.Rows = append(t.Rows, []string{string(p.Attack), pct(p.Rate), fmt.Sprint(p.PoisonedRows),
			pct(p.CleanAccuracy), fmt.Sprintf("%.2f", 100*p.AccuracyDrop), asr, fmt.Sprintf("%.1f", p.Seconds)})
	}
	if err := t.WriteText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\ntotal %.1f s\n", s.Timings["total"])
	return err
}
