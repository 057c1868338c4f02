package drill

import (
	"context"
	"fmt"
	"time"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/detect"
)

// Detection scores a defence's detector against the attack's ground
// truth; rates with a zero denominator are null.
type Detection struct {
	Detector  string   `json:"detector"`
	TP        int      `json:"tp"`
	FP        int      `json:"fp"`
	FN        int      `json:"fn"`
	TN        int      `json:"tn"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	FPR       *float64 `json:"fpr"`
	F1        *float64 `json:"f1"`
	AUROC     *float64 `json:"auroc"`
	// PoisonedClasses names the classes the gate judged poisoned.
	PoisonedClasses []string         `json:"poisoned_classes"`
	PerClass        []ClassDetection `json:"per_class"`
}

// ClassDetection is the detection confusion within one (poisoned-label)
// class.
type ClassDetection struct {
	Class    string   `json:"class"`
	Poisoned bool     `json:"judged_poisoned"`
	TP       int      `json:"tp"`
	FP       int      `json:"fp"`
	FN       int      `json:"fn"`
	TN       int      `json:"tn"`
	Recall   *float64 `json:"recall"`
	FPR      *float64 `json:"fpr"`
}

// After is the model retrained on the training set without the flagged
// rows (or with them relabelled).
type After struct {
	Action            string   `json:"action"`
	Removed           int      `json:"removed_rows"`
	Relabelled        int      `json:"relabelled_rows"`
	PoisonsLeft       int      `json:"poisons_left"`
	CleanAccuracy     float64  `json:"clean_accuracy"`
	AttackSuccessRate *float64 `json:"attack_success_rate"`
	AccuracyDrop      float64  `json:"accuracy_drop"`
}

// defend scans the poisoned training set with the poisoned model's
// embeddings and the raw rows as the second view, removes what the scan
// flags, retrains, and scores the result.
func defend(ctx context.Context, data *Data, o Options, res *attack.Result, poisoned *Baseline, clean *Baseline, rep *Report) error {
	switch o.Action {
	case "":
		o.Action = Remove
	case Remove, Relabel:
	default:
		return fmt.Errorf("unknown defence action %q (want remove or relabel)", o.Action)
	}
	t := time.Now()
	set := res.Poisoned
	m := poisoned.Model
	emb := m.Embed(set.X, set.N)
	d := &detect.Data{
		Features:   detect.Matrix{Data: emb, Rows: set.N, Cols: m.EmbeddingSize()},
		Labels:     set.Y,
		Classes:    set.Classes,
		Inputs:     &detect.Matrix{Data: set.X, Rows: set.N, Cols: set.D},
		InputShape: set.Shape,
	}
	scan, err := detect.Scan(ctx, d, detect.Options{Detector: o.Defend, ExpectedRate: o.ExpectedRate, Seed: o.Train.Seed, Policy: o.Policy})
	if err != nil {
		return fmt.Errorf("defence: %w", err)
	}
	rep.Timings[StageDetect] = time.Since(t).Seconds()
	flagged := scan.Flagged()
	rep.Detection = detection(o.Defend, scan, flagged, res, set.Y, data)

	t = time.Now()
	drop := make([]bool, set.N)
	relabel := map[int]int{}
	for _, s := range scan.Suspicious {
		if o.Action == Relabel && s.Like >= 0 {
			relabel[s.Index] = s.Like
		} else {
			drop[s.Index] = true
		}
	}
	var keep []int
	for i := range set.N {
		if !drop[i] {
			keep = append(keep, i)
		}
	}
	cleaned := set.Subset(keep)
	for k, i := range keep {
		if c, ok := relabel[i]; ok {
			cleaned.Y[k] = c
		}
	}
	filtered := &Data{Name: data.Name, Train: cleaned, Test: data.Test}
	retrained, err := train(ctx, StageRetrain, filtered, filtered.Train, o)
	if err != nil {
		return fmt.Errorf("retraining without the flagged rows: %w", err)
	}
	rep.Timings[StageRetrain] = time.Since(t).Seconds()
	after := &Report{}
	if err := after.score(data, res.Spec, clean.Model, retrained.Model); err != nil {
		return err
	}
	rep.After = &After{
		Action:            o.Action,
		Removed:           len(flagged) - len(relabel),
		Relabelled:        len(relabel),
		PoisonsLeft:       len(res.Indices) - rep.Detection.TP,
		CleanAccuracy:     after.CleanAccuracy,
		AttackSuccessRate: after.AttackSuccessRate,
		AccuracyDrop:      after.AccuracyDrop,
	}
	return nil
}

func detection(detector string, scan *detect.Report, flagged []int, res *attack.Result, labels []int, data *Data) *Detection {
	c := detect.Compare(flagged, res.Indices, len(labels))
	det := &Detection{
		Detector: detector, TP: c.TP, FP: c.FP, FN: c.FN, TN: c.TN,
		Precision: nullable(c.Precision()), Recall: nullable(c.Recall()),
		FPR: nullable(c.FPR()), F1: nullable(c.F1()),
		AUROC: nullable(detect.AUROC(scan.Scores, res.Indices)),
	}
	isFlagged, isPoisoned := make([]bool, len(labels)), make([]bool, len(labels))
	for _, i := range flagged {
		isFlagged[i] = true
	}
	for _, i := range res.Indices {
		isPoisoned[i] = true
	}
	for _, v := range scan.Classes {
		var cc detect.Confusion
		for i, y := range labels {
			if y != v.Class {
				continue
			}
			switch {
			case isFlagged[i] && isPoisoned[i]:
				cc.TP++
			case isFlagged[i]:
				cc.FP++
			case isPoisoned[i]:
				cc.FN++
			default:
				cc.TN++
			}
		}
		name := className(data.Train, v.Class)
		if v.Poisoned {
			det.PoisonedClasses = append(det.PoisonedClasses, name)
		}
		det.PerClass = append(det.PerClass, ClassDetection{
			Class: name, Poisoned: v.Poisoned, TP: cc.TP, FP: cc.FP, FN: cc.FN, TN: cc.TN,
			Recall: nullable(cc.Recall()), FPR: nullable(cc.FPR()),
		})
	}
	return det
}
