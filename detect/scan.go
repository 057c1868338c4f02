package detect

import (
	"context"

	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/poisonguard/poisonguard/dataset"
)

// Detector names, as --detector spells them.
const (
	Auto                  = "auto"
	SpectralName          = "spectral"
	ActivationClustName   = "activation-clustering"
	SpectreName           = "spectre"
	KNNLabelName          = "knn-label"
	ConfidentLearningName = "confident-learning"
	DuplicatesName        = "duplicates"
)

// Detectors lists the detector names Scan accepts.
var Detectors = []string{Auto, SpectralName, ActivationClustName, SpectreName, KNNLabelName, ConfidentLearningName, DuplicatesName}

// Options tune a scan. The zero value of a field means its default.
type Options struct {
	// Detector is one of Detectors; default Auto.
	Detector string
	// ExpectedRate is the share of rows the user expects to be poisoned;
	// 0 means unknown. The removal budget is 1.5 × ExpectedRate × rows
	// when it is given, else estimated from the scores.
	ExpectedRate float64
	// K is the number of neighbours of the kNN detectors (default 10).
	K int
	// Folds is the number of folds of the out-of-sample probabilities
	// confident learning computes when Data.Probs is nil (default 5).
	Folds int
	Seed  uint64
	// IDs names each row in the report; nil means the row number.
	IDs []string
	// Names names each class; nil means the class index.
	Names []string
	// Policy holds the gate and row thresholds; the zero value means
	// DefaultPolicy.
	Policy Policy
	// Reuse lets the scan scale the matrices' rows in place for its
	// nearest-neighbour search, which saves a copy of the largest view;
	// their values are lost. The CLI, which reads them for the scan
	// alone, sets it.
	Reuse bool
}

// BudgetFactor is how many times the expected poisoned rows the scan may
// flag when the expected rate is given.
const BudgetFactor = 1.5

func (o Options) withDefaults() Options {
	if o.Detector == "" {
		o.Detector = Auto
	}
	if o.K == 0 {
		o.K = 10
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Policy == (Policy{}) {
		o.Policy = DefaultPolicy()
	}
	return o
}

func (o Options) validate(n int) error {
	if !slices.Contains(Detectors, o.Detector) {
		return fmt.Errorf("unknown detector %q (want one of %v)", o.Detector, Detectors)
	}
	if err := o.Policy.Validate(); err != nil {
		return fmt.Errorf("scan policy: %w", err)
	}
	if o.ExpectedRate < 0 || o.ExpectedRate >= 1 {
		return fmt.Errorf("expected poison rate %g out of range [0, 1)", o.ExpectedRate)
	}
	if o.K < 1 || o.K >= n {
		return fmt.Errorf("k %d out of range [1, %d)", o.K, n)
	}
	if o.IDs != nil && len(o.IDs) != n {
		return fmt.Errorf("%d ids for %d rows", len(o.IDs), n)
	}
	return nil
}

// Scan runs a detector (or, for Auto, the trigger and the label detectors
// together) over the data, gates each class, and returns the rows it
// recommends removing or reviewing, most suspicious first.
func Scan(ctx context.Context, d *Data, o Options) (*Report, error) {
	start := time.Now()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if err := o.validate(d.Features.Rows); err != nil {
		return nil, err
	}
	var (
		v   *verdicts
		err error
	)
	if o.Detector == Auto {
		v, err = scanAuto(ctx, d, o)
	} else {
		v, err = scanOne(ctx, d, o)
	}
	if err != nil {
		return nil, err
	}
	rep := v.report(d, o)
	rep.Summary.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// ScanSpectralStream is Scan with the spectral detector over a feature
// source read twice in batches (see SpectralStream), for features larger
// than memory.
func ScanSpectralStream(ctx context.Context, open func() (dataset.Source, error), labels []int, classes int, o Options) (*Report, error) {
	start := time.Now()
	o.Detector = SpectralName
	o = o.withDefaults()
	if err := o.validate(len(labels)); err != nil {
		return nil, err
	}
	sc, err := SpectralStream(ctx, open, labels, classes)
	if err != nil {
		return nil, err
	}
	d := &Data{Labels: labels, Classes: classes, Features: Matrix{Rows: len(labels)}}
	rep := judge(sc, d.ClassIndex(), o).report(d, o)
	rep.Summary.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// verdicts is what a scan decided before it is written up.
type verdicts struct {
	detectors []string
	// score is the fused per-row score; flag the rows flagged, with the
	// detector and reason of each.
	score    []float64
	gate     []gateResult
	flagged  []int
	detector []string
	reason   []string
	like     []int
	budget   int
}

// gateResult is one class's gate decision.
type gateResult struct {
	poisoned  bool
	score     float64
	threshold float64
	kind      string
}

// budget returns how many rows a scan may flag: 1.5 × the expected
// poisoned rows when the rate is given, else the estimate.
func budget(o Options, n, estimate int) int {
	if o.ExpectedRate > 0 {
		return int(math.Ceil(BudgetFactor * o.ExpectedRate * float64(n)))
	}
	return estimate
}

// report writes up the verdicts.
func (v *verdicts) report(d *Data, o Options) *Report {
	counts := make([]int, d.Classes)
	for _, y := range d.Labels {
		counts[y]++
	}
	name := func(c int) string {
		if c >= 0 && c < len(o.Names) {
			return o.Names[c]
		}
		return strconv.Itoa(c)
	}
	rep := &Report{Scores: v.score}
	flaggedIn := make([]int, d.Classes)
	likeCount := make([]map[int]int, d.Classes)
	for k, i := range v.flagged {
		c := d.Labels[i]
		flaggedIn[c]++
		id := strconv.Itoa(i)
		if o.IDs != nil {
			id = o.IDs[i]
		}
		s := Suspect{Index: i, ID: id, Class: name(c), Score: v.score[i], Detector: v.detector[k], Reason: v.reason[k], Like: -1}
		if v.like != nil && v.like[i] >= 0 && v.like[i] != c {
			s.Like, s.LooksLike = v.like[i], name(v.like[i])
		}
		rep.Suspicious = append(rep.Suspicious, s)
		if v.like != nil && v.like[i] >= 0 && v.like[i] != c {
			if likeCount[c] == nil {
				likeCount[c] = map[int]int{}
			}
			likeCount[c][v.like[i]]++
		}
	}
	for c := range d.Classes {
		g := v.gate[c]
		cv := ClassVerdict{
			Class: c, Name: name(c), Rows: counts[c], Poisoned: g.poisoned,
			Score: g.score, Threshold: g.threshold, Flagged: flaggedIn[c],
		}
		if g.poisoned {
			cv.Kind = g.kind
			best, bestN := -1, 0
			for l, n := range likeCount[c] {
				if n > bestN || n == bestN && l < best {
					best, bestN = l, n
				}
			}
			if best >= 0 {
				cv.Source = name(best)
			}
			rep.Summary.PoisonedClasses++
		}
		rep.Classes = append(rep.Classes, cv)
	}
	rep.Summary.Rows = d.Features.Rows
	rep.Summary.Classes = d.Classes
	rep.Summary.Flagged = len(v.flagged)
	rep.Summary.Budget = v.budget
	rep.Summary.Detectors = v.detectors
	if o.ExpectedRate > 0 {
		r := o.ExpectedRate
		rep.Summary.ExpectedRate = &r
	}
	return rep
}

// robustCut returns median + z·1.4826·MAD of values: a threshold that
// clean values rarely pass whatever their spread.
func robustCut(values []float64, z float64) float64 {
	if len(values) == 0 {
		return math.Inf(1)
	}
	med := median(values)
	dev := make([]float64, len(values))
	for i, v := range values {
		dev[i] = math.Abs(v - med)
	}
	return med + z*1.4826*median(dev)
}

func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// rankFlag orders candidate rows by score, highest first (ties by index),
// and keeps at most limit of them (all when limit < 0).
func rankFlag(candidates []int, score []float64, limit int) []int {
	slices.SortStableFunc(candidates, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return a - b
	})
	if limit >= 0 && len(candidates) > limit {
		candidates = candidates[:limit]
	}
	return candidates
}
