package drift

import (
	"errors"
	"fmt"

	"github.com/poisonguard/poisonguard/finding"
)

// Band is a pair of warn and error levels for a figure that is bad when
// high. A zero level is disabled.
type Band struct {
	Warn  float64 `yaml:"warn" json:"warn"`
	Error float64 `yaml:"error" json:"error"`
}

// level returns the severity a value earns: Error at or above the error
// level, Warn at or above the warn level, else Info (no finding).
func (b Band) level(v float64) finding.Severity {
	switch {
	case b.Error > 0 && v >= b.Error:
		return finding.Error
	case b.Warn > 0 && v >= b.Warn:
		return finding.Warn
	}
	return finding.Info
}

// Policy holds the thresholds of every check of a batch against a
// baseline. DefaultPolicy documents the defaults; a policy file overrides
// any of them under its "drift" section.
type Policy struct {
	// NaNRateIncrease and MissingRateIncrease: error when a column's share
	// of NaN (or missing) values rises by more than this many percentage
	// points, as a fraction (0.01 = 1 point).
	NaNRateIncrease     float64 `yaml:"nan_rate_increase" json:"nan_rate_increase"`
	MissingRateIncrease float64 `yaml:"missing_rate_increase" json:"missing_rate_increase"`
	// OutOfRange: share of a numeric column's values outside the
	// baseline's [min, max].
	OutOfRange Band `yaml:"out_of_range" json:"out_of_range"`
	// UnseenCategory: share of a categorical column's values outside the
	// baseline's domain.
	UnseenCategory Band `yaml:"unseen_category" json:"unseen_category"`
	// PSI: Population Stability Index over the baseline's deciles.
	PSI Band `yaml:"psi" json:"psi"`
	// KSAlpha: a numeric column's KS test rejects when its
	// Bonferroni-corrected p-value is below this.
	KSAlpha float64 `yaml:"ks_alpha" json:"ks_alpha"`
	// Wasserstein: Wasserstein-1 distance over the baseline's standard
	// deviation.
	Wasserstein Band `yaml:"wasserstein" json:"wasserstein"`
	// JS: Jensen–Shannon distance (base 2) of a categorical column.
	JS Band `yaml:"js" json:"js"`
	// Chi2Alpha: a categorical column's chi-square test rejects when its
	// Bonferroni-corrected p-value is below this.
	Chi2Alpha float64 `yaml:"chi2_alpha" json:"chi2_alpha"`
	// LabelChi2Alpha and LabelJS: the label distribution fails when its
	// chi-square p-value is below LabelChi2Alpha and its JS distance is at
	// least LabelJS; one of the two alone warns.
	LabelChi2Alpha float64 `yaml:"label_chi2_alpha" json:"label_chi2_alpha"`
	LabelJS        float64 `yaml:"label_js" json:"label_js"`
	// LabelEntropyChange: change of the label entropy in bits.
	LabelEntropyChange Band `yaml:"label_entropy_change" json:"label_entropy_change"`
	// DuplicateRate: share of batch rows that repeat another batch row.
	DuplicateRate Band `yaml:"duplicate_rate" json:"duplicate_rate"`
	// LabelConflict: share of batch rows whose features equal a baseline
	// or batch row with a different label.
	LabelConflict Band `yaml:"label_conflict" json:"label_conflict"`
	// BaselineOverlap: share of batch rows that repeat a baseline row
	// (a partial replay).
	BaselineOverlap Band `yaml:"baseline_overlap" json:"baseline_overlap"`
	// DriftShare: the dataset drifts when at least this share of columns
	// drift.
	DriftShare float64 `yaml:"drift_share" json:"drift_share"`
}

// DefaultPolicy returns the default thresholds.
func DefaultPolicy() Policy {
	return Policy{
		NaNRateIncrease:     0.01,
		MissingRateIncrease: 0.01,
		OutOfRange:          Band{Warn: 0.02, Error: 0.10},
		UnseenCategory:      Band{Warn: 0.01, Error: 0.05},
		PSI:                 Band{Warn: 0.1, Error: 0.25},
		KSAlpha:             0.05,
		Wasserstein:         Band{Warn: 0.1},
		JS:                  Band{Warn: 0.1},
		Chi2Alpha:           0.05,
		LabelChi2Alpha:      0.01,
		LabelJS:             0.05,
		LabelEntropyChange:  Band{Warn: 0.1},
		DuplicateRate:       Band{Warn: 0.01, Error: 0.05},
		LabelConflict:       Band{Warn: 1e-9, Error: 0.005},
		BaselineOverlap:     Band{Warn: 0.05, Error: 0.5},
		DriftShare:          0.5,
	}
}

// Validate checks that every threshold is in its range.
func (p Policy) Validate() error {
	var errs []error
	unit := func(name string, v float64) {
		if v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("%s must lie in [0, 1], not %g", name, v))
		}
	}
	unit("nan_rate_increase", p.NaNRateIncrease)
	unit("missing_rate_increase", p.MissingRateIncrease)
	unit("ks_alpha", p.KSAlpha)
	unit("chi2_alpha", p.Chi2Alpha)
	unit("label_chi2_alpha", p.LabelChi2Alpha)
	unit("label_js", p.LabelJS)
	unit("drift_share", p.DriftShare)
	for _, nb := range []struct {
		name string
		b    Band
	}{
		{"out_of_range", p.OutOfRange}, {"unseen_category", p.UnseenCategory}, {"psi", p.PSI},
		{"wasserstein", p.Wasserstein}, {"js", p.JS}, {"label_entropy_change", p.LabelEntropyChange},
		{"duplicate_rate", p.DuplicateRate}, {"label_conflict", p.LabelConflict}, {"baseline_overlap", p.BaselineOverlap},
	} {
		name, b := nb.name, nb.b
		if b.Warn < 0 || b.Error < 0 || (b.Warn > 0 && b.Error > 0 && b.Error < b.Warn) {
			errs = append(errs, fmt.Errorf("%s: levels must be positive with error ≥ warn", name))
		}
	}
	return errors.Join(errs...)
}
