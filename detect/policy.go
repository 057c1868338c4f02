package detect

import (
	"errors"
	"fmt"
)

// Policy holds the class-gate and row thresholds of the scan. The
// defaults were calibrated on MNIST drills (clean data, BadNets, blended
// triggers, random and targeted label flips) so that clean data flags no
// class; see BENCHMARKS.md. Other data may need others: a policy file's
// "scan" section overrides any of them.
type Policy struct {
	// TriggerZ is how far (in robust standard deviations across classes)
	// a trigger detector's class statistic must stand out.
	TriggerZ float64 `yaml:"trigger_z" json:"trigger_z"`
	// RowZ is how far a trigger detector's row score must stand out
	// within a class judged poisoned.
	RowZ float64 `yaml:"row_z" json:"row_z"`
	// DisagreeCut is the neighbour-disagreement share above which a row
	// disagrees with its label.
	DisagreeCut float64 `yaml:"disagree_cut" json:"disagree_cut"`
	// KNNMassFloor is the share of a class's rows whose neighbours mostly
	// carry another label before knn-label judges the class poisoned:
	// about 1.5% of clean MNIST rows do (up to 3% in a class).
	KNNMassFloor float64 `yaml:"knn_mass_floor" json:"knn_mass_floor"`
	// LabelMassFloor is the share of a class's rows that must disagree
	// with their labels before the class is judged to hold flipped labels.
	LabelMassFloor float64 `yaml:"label_mass_floor" json:"label_mass_floor"`
	// TriggerMassFloor is the share of a class's rows that must carry the
	// backdoor signature before the class is judged poisoned; it must also
	// be TriggerMassRatio times the median class's share.
	TriggerMassFloor float64 `yaml:"trigger_mass_floor" json:"trigger_mass_floor"`
	TriggerMassRatio float64 `yaml:"trigger_mass_ratio" json:"trigger_mass_ratio"`
	// CLInputCut is the input-view disagreement a row confident learning
	// flags must also show (with the embeddings' neighbours disagreeing
	// too) outside concentrated flips: every view must agree that the
	// label is wrong before diffuse noise is flagged.
	CLInputCut float64 `yaml:"cl_input_cut" json:"cl_input_cut"`
	// RefineMargin is the share of the distance between the clean and the
	// poison centroid a row must lie beyond the clean one (by squared
	// distance) before auto's refinement flags it.
	RefineMargin float64 `yaml:"refine_margin" json:"refine_margin"`
	// ConcentrationRatio is how many times the median class's noise rate
	// a class's must be for its flips to count as concentrated.
	ConcentrationRatio float64 `yaml:"concentration_ratio" json:"concentration_ratio"`
	// CascadeK is the input-view neighbourhood of auto's cascade.
	CascadeK int `yaml:"cascade_k" json:"cascade_k"`
	// MaxCascadeRounds bounds the cascade.
	MaxCascadeRounds int `yaml:"max_cascade_rounds" json:"max_cascade_rounds"`
}

// DefaultPolicy returns the calibrated thresholds.
func DefaultPolicy() Policy {
	return Policy{
		TriggerZ: 5, RowZ: 5, DisagreeCut: 0.5, KNNMassFloor: 0.05, LabelMassFloor: 0.03,
		TriggerMassFloor: 0.02, TriggerMassRatio: 4, CLInputCut: 0.6, RefineMargin: 0.65,
		ConcentrationRatio: 4, CascadeK: 30, MaxCascadeRounds: 50,
	}
}

// Validate checks that every threshold is in its range.
func (p Policy) Validate() error {
	var errs []error
	positive := map[string]float64{"trigger_z": p.TriggerZ, "row_z": p.RowZ, "trigger_mass_ratio": p.TriggerMassRatio, "concentration_ratio": p.ConcentrationRatio}
	for name, v := range positive {
		if !(v > 0) {
			errs = append(errs, fmt.Errorf("%s %g must be positive", name, v))
		}
	}
	shares := map[string]float64{"disagree_cut": p.DisagreeCut, "knn_mass_floor": p.KNNMassFloor, "label_mass_floor": p.LabelMassFloor,
		"trigger_mass_floor": p.TriggerMassFloor, "cl_input_cut": p.CLInputCut, "refine_margin": p.RefineMargin}
	for name, v := range shares {
		if !(v >= 0 && v <= 1) {
			errs = append(errs, fmt.Errorf("%s %g must be within [0, 1]", name, v))
		}
	}
	if p.CascadeK < 1 || p.MaxCascadeRounds < 1 {
		errs = append(errs, fmt.Errorf("cascade_k %d and max_cascade_rounds %d must be at least 1", p.CascadeK, p.MaxCascadeRounds))
	}
	return errors.Join(errs...)
}
