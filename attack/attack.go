package attack

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/dataset"
)

// Kind names an attack.
type Kind string

// The attacks. The label attacks (LabelFlip, TargetedFlip) change labels
// only and apply to any data; the others stamp a trigger and need image
// data. See the package documentation for each attack's recipe.
const (
	// LabelFlip relabels a random share of all rows, each to a class drawn
	// uniformly from the other classes.
	LabelFlip Kind = "label-flip"
	// TargetedFlip relabels a share of the rows of the Source class as the
	// Target class.
	TargetedFlip Kind = "targeted-flip"
	// BadNets stamps a small patch and relabels to the target (Gu et al.).
	BadNets Kind = "badnets"
	// Blended blends a whole-image pattern into the row and relabels to the
	// target (Chen et al.).
	Blended Kind = "blended"
	// SIG adds a horizontal sinusoid and relabels to the target (Barni et
	// al.).
	SIG Kind = "sig"
	// CleanLabel stamps a trigger on rows of the target class and keeps
	// their correct labels (Turner et al.).
	CleanLabel Kind = "clean-label"
)

// The values of Spec.Mode.
const (
	// AllToOne relabels every poisoned row to Spec.Target.
	AllToOne = "all-to-one"
	// AllToAll relabels a poisoned row of class y to (y+1) mod Classes.
	AllToAll = "all-to-all"
)

// Spec is everything needed to reproduce an attack. It is written as
// attack.json; the JSON names are given with each field. Spec.Defaults fills
// unset fields; after Apply, Result.Spec also carries the trigger's pattern
// (Trigger.Image), so attack.json is self-contained.
type Spec struct {
	// Kind is the attack (JSON "kind").
	Kind Kind `json:"kind"`
	// Rate is the share of the training set that is poisoned, BackdoorBench's
	// pratio (JSON "rate"): the number of poisoned rows is round(Rate·N),
	// rounding halves away from zero.
	// For TargetedFlip it is instead the share of the Source class that is
	// relabelled, round(Rate·count(Source)), and for CleanLabel the share
	// of the Target class that is stamped (as ART's pp_poison); both may
	// be 1. Default 0.1.
	Rate float64 `json:"rate"`
	// Target is the class the attacker wants (JSON "target"). Default 0.
	// LabelFlip ignores it.
	Target int `json:"target"`
	// Source is the class whose rows TargetedFlip relabels (JSON "source");
	// -1 means unset, and Defaults sets it to -1 for every other kind.
	Source int `json:"source"`
	// Mode is AllToOne or AllToAll (JSON "mode"). It applies to the dirty-label
	// trigger attacks; Defaults sets AllToOne for those and for CleanLabel,
	// and leaves it empty for the label attacks.
	Mode string `json:"mode,omitempty"`
	// Trigger is the trigger of BadNets, Blended, SIG and CleanLabel (JSON
	// "trigger"); the label attacks take none.
	Trigger Trigger `json:"trigger,omitzero"`
	// Seed seeds every random choice: the poisoned rows, the new labels of
	// LabelFlip and the noise pattern (JSON "seed").
	Seed uint64 `json:"seed"`
}

// Result is the outcome of poisoning a training set.
type Result struct {
	// Poisoned is the poisoned copy of the training set.
	Poisoned *dataset.Set
	// Indices are the sorted indices of the poisoned rows: the ground truth
	// a detector is scored against.
	Indices []int
	// Spec is the spec with defaults applied and the trigger's pattern
	// embedded in Trigger.Image.
	Spec Spec
}

// ErrNoTrigger is returned by TriggerTest for the label attacks, which have
// no trigger to measure an attack success rate with; a caller reports the
// drop in clean accuracy instead.
var ErrNoTrigger = errors.New("label attacks have no trigger")

// Apply poisons a copy of train as spec says and reports which rows it
// poisoned. train is not modified. The spec is completed with Defaults and
// checked with Validate first; a PNG pattern is read from its file, and a
// noise pattern is drawn from spec.Seed, so that Result.Spec holds the
// pattern itself. The same spec and train give the same Result.
func Apply(spec Spec, train *dataset.Set) (*Result, error) {
	spec.Defaults()
	if err := spec.Validate(train); err != nil {
		return nil, err
	}
	if err := spec.Prepare(train.Shape); err != nil {
		return nil, err
	}
	out := train.Clone()
	rng := rand.New(rand.NewPCG(spec.Seed, victimStream))
	candidates, k := spec.plan(out.Y)
	idx := sample(rng, candidates, k)
	switch spec.Kind {
	case LabelFlip, TargetedFlip:
		relabel(spec, rng, out, idx)
	default:
		// CleanLabel's victims already hold the target label, so relabelling
		// leaves them as they are.
		for _, i := range idx {
			spec.Trigger.Stamp(out.Row(i), out.Shape, out.Min, out.Max)
			out.Y[i] = spec.want(out.Y[i], out.Classes)
		}
	}
	return &Result{Poisoned: out, Indices: idx, Spec: spec}, nil
}

// TriggerTest returns the test rows that a trigger attack is measured on,
// with the trigger stamped: for AllToOne (and CleanLabel) every row whose
// label is not the target, for AllToAll every row. triggered keeps their
// original labels, want holds the labels the attacker wants, and indices
// their indices in test; test is not modified. The attack success rate is
// the share of triggered rows a model classifies as want. If no row
// qualifies, triggered is an empty Set.
//
// TriggerTest returns ErrNoTrigger for LabelFlip and TargetedFlip. Pass it
// Result.Spec, or the same spec given to Apply: the noise pattern is drawn
// from the spec's seed, so both give the same trigger.
func TriggerTest(spec Spec, test *dataset.Set) (triggered *dataset.Set, want []int, indices []int, err error) {
	spec.Defaults()
	if spec.Kind == LabelFlip || spec.Kind == TargetedFlip {
		return nil, nil, nil, fmt.Errorf("%s: %w", spec.Kind, ErrNoTrigger)
	}
	if err := spec.check(test); err != nil {
		return nil, nil, nil, err
	}
	if err := spec.Prepare(test.Shape); err != nil {
		return nil, nil, nil, err
	}
	for i, y := range test.Y {
		if spec.Mode == AllToAll || y != spec.Target {
			indices = append(indices, i)
		}
	}
	triggered = test.Subset(indices)
	want = make([]int, len(indices))
	for k, y := range triggered.Y {
		spec.Trigger.Stamp(triggered.Row(k), test.Shape, test.Min, test.Max)
		want[k] = spec.want(y, test.Classes)
	}
	return triggered, want, indices, nil
}

// want returns the label the attacker wants a triggered row of class y to
// get.
func (s Spec) want(y, classes int) int {
	if s.Mode == AllToAll {
		return (y + 1) % classes
	}
	return s.Target
}
