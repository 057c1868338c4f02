package drill

import (
	"math"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/learn"
)

// Report is the result of a drill; its JSON field names are stable.
type Report struct {
	Dataset      string      `json:"dataset"`
	Attack       attack.Spec `json:"attack"`
	Model        string      `json:"model"`
	Architecture string      `json:"architecture"`
	Parameters   int         `json:"parameters"`
	Backend      string      `json:"backend"`
	Epochs       int         `json:"epochs"`
	TrainRows    int         `json:"train_rows"`
	TestRows     int         `json:"test_rows"`
	PoisonedRows int         `json:"poisoned_rows"`
	PoisonRate   float64     `json:"poison_rate"`

	// CleanAccuracy is the poisoned model's accuracy on the clean test set.
	CleanAccuracy float64 `json:"clean_accuracy"`
	// BaselineCleanAccuracy is the clean model's.
	BaselineCleanAccuracy float64 `json:"baseline_clean_accuracy"`
	// AccuracyDrop is BaselineCleanAccuracy − CleanAccuracy.
	AccuracyDrop float64 `json:"accuracy_drop"`
	// AttackSuccessRate is the share of triggered test rows (of classes
	// other than the target) the poisoned model classifies as the
	// attacker wants; nil for label attacks, which have no trigger.
	AttackSuccessRate *float64 `json:"attack_success_rate"`
	// BaselineAttackSuccessRate is the clean model's rate on the same rows.
	BaselineAttackSuccessRate *float64 `json:"baseline_attack_success_rate"`
	TriggeredRows             int      `json:"triggered_rows"`

	PerClass []ClassResult `json:"per_class"`
	// Detection and After are set when the drill defends: how the
	// detector did against the ground truth, and the model retrained
	// without the rows it flagged.
	Detection *Detection         `json:"detection,omitempty"`
	After     *After             `json:"after,omitempty"`
	History   History            `json:"history"`
	Timings   map[string]float64 `json:"timings_seconds"`
}

// ClassResult is one class's test accuracy under both models; an
// accuracy is nil when the test set has no row of the class.
type ClassResult struct {
	Class            string   `json:"class"`
	Rows             int      `json:"rows"`
	BaselineAccuracy *float64 `json:"baseline_accuracy"`
	Accuracy         *float64 `json:"accuracy"`
}

// History holds both models' per-epoch training statistics.
type History struct {
	Clean    []learn.EpochStats `json:"clean"`
	Poisoned []learn.EpochStats `json:"poisoned"`
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}
