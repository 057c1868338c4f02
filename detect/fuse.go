package detect

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/poisonguard/poisonguard/dataset"
)

// runDetector runs one named detector.
func runDetector(ctx context.Context, d *Data, o Options, name string) (*Scores, error) {
	switch name {
	case SpectralName:
		return Spectral(ctx, d)
	case ActivationClustName:
		return ActivationClustering(ctx, d)
	case SpectreName:
		return Spectre(ctx, d)
	case KNNLabelName:
		if !o.Reuse {
			return KNNLabel(ctx, d, firstView(d), o.K)
		}
		list, err := neighboursInPlace(ctx, firstView(d), o.K)
		if err != nil {
			return nil, fmt.Errorf("nearest neighbours: %w", err)
		}
		return knnLabelScores(d.Labels, d.Classes, list), nil
	case ConfidentLearningName:
		dd, err := withProbs(ctx, d, o)
		if err != nil {
			return nil, err
		}
		return ConfidentLearning(dd)
	case DuplicatesName:
		return Duplicates(d, firstView(d)), nil
	}
	return nil, fmt.Errorf("unknown detector %q", name)
}

// firstView is the view label detectors read: the raw inputs when given,
// where a flipped label disagrees with what the row looks like, else the
// features.
func firstView(d *Data) Matrix {
	if d.Inputs != nil {
		return *d.Inputs
	}
	return d.Features
}

// withProbs returns d with out-of-sample probabilities, computing them by
// k-fold logistic regression on the first view when none were given.
func withProbs(ctx context.Context, d *Data, o Options) (*Data, error) {
	if d.Probs != nil {
		return d, nil
	}
	shape := dataset.Shape{}
	if d.Inputs != nil {
		shape = d.InputShape
	}
	p, err := OutOfSampleProbs(ctx, firstView(d), d.Labels, d.Classes, ProbsOptions{Folds: o.Folds, Seed: o.Seed, Shape: shape})
	if err != nil {
		return nil, fmt.Errorf("out-of-sample probabilities: %w", err)
	}
	dd := *d
	dd.Probs = &p
	return &dd, nil
}

// isTrigger reports whether a detector looks for trigger rows (by the
// shape of a class's features) rather than for labels that disagree.
func isTrigger(name string) bool {
	return name == SpectralName || name == ActivationClustName || name == SpectreName
}

// scanOne runs a single detector, gates classes on its statistic and
// flags the rows that stand out in poisoned classes.
func scanOne(ctx context.Context, d *Data, o Options) (*verdicts, error) {
	sc, err := runDetector(ctx, d, o, o.Detector)
	if err != nil {
		return nil, err
	}
	return judge(sc, d.ClassIndex(), o), nil
}

// judge gates each class on a detector's statistic and flags, in the
// poisoned classes, the rows whose score stands out, within the budget.
func judge(sc *Scores, byClass [][]int, o Options) *verdicts {
	n := len(sc.Row)
	v := &verdicts{detectors: []string{o.Detector}, score: sc.Row, like: sc.Like, gate: make([]gateResult, len(byClass))}
	stats := make([]float64, len(byClass))
	for _, cs := range sc.Class {
		stats[cs.Class] = cs.Statistic
	}
	if o.Detector == KNNLabelName {
		// Gate on the share of rows most of whose neighbours disagree,
		// not on the mean disagreement, which hard clean classes raise.
		for c, rows := range byClass {
			stats[c] = shareAbove(rows, sc.Row, o.Policy.DisagreeCut)
		}
	}
	var cut float64
	kind := "label"
	switch {
	case isTrigger(o.Detector):
		cut, kind = robustCut(stats, o.Policy.TriggerZ), "trigger"
	case o.Detector == DuplicatesName:
		cut = 0
	case o.Detector == KNNLabelName:
		cut = o.Policy.KNNMassFloor
	default:
		cut = o.Policy.LabelMassFloor
	}
	var candidates []int
	for c, rows := range byClass {
		g := gateResult{score: stats[c], threshold: cut, kind: kind}
		g.poisoned = stats[c] > cut && len(rows) > 0
		v.gate[c] = g
		if !g.poisoned {
			continue
		}
		candidates = append(candidates, rowsAbove(rows, sc.Row, rowCut(o, rows, sc.Row))...)
	}
	v.budget = budget(o, n, len(candidates))
	v.flagged = rankFlag(candidates, sc.Row, v.budget)
	for _, i := range v.flagged {
		v.detector = append(v.detector, o.Detector)
		v.reason = append(v.reason, reasonFor(o.Detector, sc, i, o))
	}
	return v
}

// rowCut is the score a row of a poisoned class must exceed to be flagged.
func rowCut(o Options, rows []int, score []float64) float64 {
	detector := o.Detector
	switch {
	case isTrigger(detector):
		vals := make([]float64, len(rows))
		for k, i := range rows {
			vals[k] = score[i]
		}
		return robustCut(vals, o.Policy.RowZ)
	case detector == ConfidentLearningName:
		// Confident learning's own issues score 1 and above.
		return math.Nextafter(1, 0)
	case detector == DuplicatesName:
		return 0
	}
	return o.Policy.DisagreeCut
}

func rowsAbove(rows []int, score []float64, cut float64) []int {
	var out []int
	for _, i := range rows {
		if score[i] > cut {
			out = append(out, i)
		}
	}
	return out
}

// reasonFor explains in a few words why a detector flagged a row.
func reasonFor(detector string, sc *Scores, i int, o Options) string {
	like := ""
	if sc.Like != nil && sc.Like[i] >= 0 {
		like = className(o, sc.Like[i])
	}
	switch detector {
	case KNNLabelName:
		return fmt.Sprintf("%.0f%% of its %d nearest neighbours carry another label; most look like class %s", 100*sc.Row[i], o.K, like)
	case ConfidentLearningName:
		return fmt.Sprintf("out-of-sample model confidently predicts class %s", like)
	case DuplicatesName:
		return fmt.Sprintf("an identical row carries another label (class %s)", like)
	case SpectralName:
		return "large projection on its class's top singular direction"
	case ActivationClustName:
		return "in a small, well-separated cluster of its class"
	case SpectreName:
		return "outlier of its class after robust whitening (QUE score)"
	}
	return ""
}

func className(o Options, c int) string {
	if c >= 0 && c < len(o.Names) {
		return o.Names[c]
	}
	return fmt.Sprint(c)
}

// scanAuto runs the trigger and the label detectors over two views of
// the rows: the raw inputs and the features (a model's embeddings).
//
// Triggers. A dirty-label backdoor row looks like its source class in
// the inputs but sits with its (target) label in the embeddings. A class
// is gated on the share of its rows with that signature in a plain
// k-neighbour vote. Inside a gated class the input-view vote becomes a
// cascade over a wider neighbourhood: each round's flagged rows vote, in
// the next, for the class they look like rather than for their label,
// which exposes the poisoned rows whose neighbours were all poisoned too.
// Then 2-means in the embeddings, seeded by the flagged rows and by the
// rows whose inputs agree with their label, adds the backdoor rows the
// vote could not reach.
//
// Labels. Confident learning on out-of-sample probabilities of the
// inputs gates each class on its estimated noise rate; it flags a row
// when the inputs' neighbours disagree with the label too. Flips
// concentrated in a few classes (a targeted flip) are partly learned, so
// there a row the model merely doubts is flagged when its inputs
// disagree.
//
// Without a second view, auto runs kNN label consistency on the features.
func scanAuto(ctx context.Context, d *Data, o Options) (*verdicts, error) {
	if d.Inputs == nil {
		one := o
		one.Detector = KNNLabelName
		v, err := scanOne(ctx, d, one)
		if v != nil {
			v.detectors = []string{Auto + "(" + KNNLabelName + ")"}
		}
		return v, err
	}
	// Confident learning's out-of-sample probabilities come first: they
	// train on the raw inputs, which the neighbour search below may
	// overwrite.
	dp, err := withProbs(ctx, d, o)
	if err != nil {
		return nil, err
	}
	raw := keepRaw(d, o)
	inList, view, err := inputNeighbours(ctx, d, o)
	if err != nil {
		return nil, fmt.Errorf("nearest neighbours in the inputs: %w", err)
	}
	if raw == nil {
		raw = floatRows(view)
	}
	emb, err := KNNLabel(ctx, d, d.Features, o.K)
	if err != nil {
		return nil, err
	}
	n, labels := d.Features.Rows, d.Labels
	byClass := d.ClassIndex()
	// A row flagged in an earlier round votes for the class it looks like
	// (the source of a backdoor row, the true class of a flipped one)
	// rather than for its label: that is what exposes the poisoned rows
	// whose neighbours are all poisoned too.
	out := make([]bool, n)
	eff := slices.Clone(labels) // the label each row votes with
	like := make([]int, n)
	in := make([]float64, n)
	trig := make([]float64, n)
	// vote recomputes the input-view signatures from each row's first
	// k neighbours that still vote.
	vote := func(k int) {
		votes := make([]int, d.Classes)
		for i := range n {
			idx, _ := inList.Row(i)
			kept := make([]int32, 0, k)
			for _, j := range idx {
				if eff[j] >= 0 && len(kept) < k {
					kept = append(kept, j)
				}
			}
			like[i] = knnPlurality(votes, eff, kept)
			if len(kept) == 0 {
				continue
			}
			other := 0
			for _, j := range kept {
				if eff[j] != labels[i] {
					other++
				}
			}
			in[i] = float64(other) / float64(len(kept))
			trig[i] = in[i] * (1 - emb.Row[i])
		}
	}
	// Gate on a plain k-neighbour vote, before any row stops voting.
	vote(o.K)
	v := &verdicts{detectors: []string{Auto}, like: like, gate: make([]gateResult, d.Classes)}
	tmass := make([]float64, d.Classes)
	for c, rows := range byClass {
		tmass[c] = shareAbove(rows, trig, o.Policy.DisagreeCut)
	}
	tcut := math.Max(o.Policy.TriggerMassFloor, o.Policy.TriggerMassRatio*median(tmass))
	// Flipped labels: confident learning on out-of-sample probabilities
	// of the inputs gates each class on its estimated noise rate.
	cl, err := ConfidentLearning(dp)
	if err != nil {
		return nil, err
	}
	noise := make([]float64, d.Classes)
	for _, cs := range cl.Class {
		noise[cs.Class] = cs.Statistic
	}
	isTrig, isLab := make([]bool, d.Classes), make([]bool, d.Classes)
	// Flips concentrated in a few classes (a targeted flip) are learned
	// by the model, which then trusts many of them: there, a row the
	// model doubts (p of its label ≤ ½) and whose inputs disagree is
	// flagged too. Diffuse noise gets only confident learning's flags.
	concentrated := make([]bool, d.Classes)
	noiseCut := o.Policy.ConcentrationRatio * median(noise)
	for c := range byClass {
		concentrated[c] = noise[c] > o.Policy.LabelMassFloor && noise[c] > noiseCut
	}
	for c := range byClass {
		g := gateResult{score: tmass[c], threshold: tcut, kind: "trigger"}
		if tmass[c] > tcut {
			g.poisoned, isTrig[c] = true, true
		}
		if noise[c] > o.Policy.LabelMassFloor {
			if !g.poisoned {
				g = gateResult{score: noise[c], threshold: o.Policy.LabelMassFloor, kind: "label"}
			}
			g.poisoned, isLab[c] = true, true
		}
		v.gate[c] = g
	}
	kindOf := make([]string, n)
	vote(inList.K)
	for round := 0; round < o.Policy.MaxCascadeRounds; round++ {
		added := 0
		for i := range n {
			c := labels[i]
			switch {
			case out[i]:
			case isTrig[c] && trig[i] > o.Policy.DisagreeCut:
				out[i], kindOf[i] = true, "trigger"
			case isLab[c] && cl.Row[i] >= 1 && in[i] > o.Policy.CLInputCut && emb.Row[i] > o.Policy.DisagreeCut,
				concentrated[c] && cl.Row[i] >= 0.5 && in[i] > o.Policy.DisagreeCut:
				out[i], kindOf[i] = true, "label"
			default:
				continue
			}
			added++
			eff[i] = like[i] // -1 (a tie) stops it voting
		}
		if added == 0 {
			break
		}
		vote(inList.K)
	}
	for c, rows := range byClass {
		if isTrig[c] {
			refineTrigger(d.Features, rows, out, kindOf, in, trig, o.Policy.RefineMargin)
			sweepTrigger(raw, rows, c, labels, out, kindOf, trig, o.Policy.RowZ)
		}
	}
	v.score = make([]float64, n)
	var candidates []int
	for i := range n {
		v.score[i] = math.Max(trig[i], cl.Row[i]/2)
		if out[i] {
			candidates = append(candidates, i)
		}
	}
	v.budget = budget(o, n, len(candidates))
	v.flagged = rankFlag(candidates, v.score, v.budget)
	for _, i := range v.flagged {
		v.detector = append(v.detector, Auto)
		likeName := className(o, like[i])
		if kindOf[i] == "trigger" {
			v.reason = append(v.reason, fmt.Sprintf("looks like class %s in the inputs, but the model embeds it with its label: a backdoor trigger", likeName))
		} else {
			v.reason = append(v.reason, fmt.Sprintf("looks like class %s in the inputs and in the embeddings: a flipped label", likeName))
		}
	}
	return v, nil
}

// shareAbove is the share of rows whose score exceeds cut.
func shareAbove(rows []int, score []float64, cut float64) float64 {
	if len(rows) == 0 {
		return 0
	}
	n := 0
	for _, i := range rows {
		if score[i] > cut {
			n++
		}
	}
	return float64(n) / float64(len(rows))
}

// refineTrigger extends a trigger class's flagged rows through the
// poisoned model's embeddings: a backdoor row the input-view vote missed
// (its neighbours were poisoned too) is still embedded with the other
// backdoor rows, where the trigger put them. Two centroids are seeded,
// one by the flagged rows and one by the rows whose inputs agree with
// their label, and refined as 2-means over the class; the rows nearer the
// poison centroid by a margin are flagged, scored by their share of the
// way from the clean centroid.
func refineTrigger(emb Matrix, rows []int, out []bool, kindOf []string, in, trig []float64, margin float64) {
	const minSeed, rounds = 10, 5
	var poison, clean []int
	for _, i := range rows {
		switch {
		case out[i] && kindOf[i] == "trigger":
			poison = append(poison, i)
		case !out[i] && in[i] <= 0.2:
			clean = append(clean, i)
		}
	}
	if len(poison) < minSeed || len(clean) < minSeed {
		return
	}
	cp, cc := centroid(emb, poison), centroid(emb, clean)
	near := make([]bool, len(rows))
	for range rounds {
		var p, q []int
		for k, i := range rows {
			near[k] = sqDist(emb.Row(i), cp) < sqDist(emb.Row(i), cc)
			if near[k] {
				p = append(p, i)
			} else {
				q = append(q, i)
			}
		}
		if len(p) == 0 || len(q) == 0 {
			return
		}
		cp, cc = centroid(emb, p), centroid(emb, q)
	}
	for k, i := range rows {
		if !near[k] || out[i] {
			continue
		}
		dp, dc := sqDist(emb.Row(i), cp), sqDist(emb.Row(i), cc)
		if share := dc / (dp + dc); share > margin {
			out[i], kindOf[i] = true, "trigger"
			trig[i] = math.Max(trig[i], share)
		}
	}
}

// sweepTrigger finds the backdoor rows of a trigger-poisoned class that
// every vote missed, by the trigger itself. The rows flagged so far carry
// it; the unflagged rows of the other classes do not: the difference of
// their mean raw input rows, each pixel (or column) weighed by the inverse
// of its variance, is the trigger's direction — a patch's pixels, a
// blend's pattern where digits seldom draw. Each row of the class is
// scored by its projection on that direction; a row the cascade left
// scores like the class's clean rows unless it carries the trigger, so
// rows beyond z robust deviations of the unflagged rows' scores are
// flagged — when the flagged rows stand well clear of that cut, which says
// the direction is the trigger's.
func sweepTrigger(raw inputRows, rows []int, class int, labels []int, out []bool, kindOf []string, trig []float64, z float64) {
	const minSeed = 10
	var poison, rest []int
	for _, i := range rows {
		if out[i] && kindOf[i] == "trigger" {
			poison = append(poison, i)
		} else if !out[i] {
			rest = append(rest, i)
		}
	}
	var others []int
	for i, y := range labels {
		if y != class && !out[i] {
			others = append(others, i)
		}
	}
	if len(poison) < minSeed || len(rest) < minSeed || len(others) < minSeed {
		return
	}
	base, baseVar := moments(raw, others)
	dir, dirVar := moments(raw, poison)
	var total float64
	for j := range baseVar {
		total += baseVar[j]
	}
	floor := 1e-3 * total / float64(len(baseVar)) // keeps constant pixels finite
	for j := range dir {
		dir[j] = (dir[j] - base[j]) / (baseVar[j] + dirVar[j] + floor)
	}
	buf := make([]float64, raw.cols())
	score := func(i int) float64 {
		var s float64
		for j, v := range raw.row(i, buf) {
			s += (v - base[j]) * dir[j]
		}
		return s
	}
	restScores := make([]float64, len(rest))
	for k, i := range rest {
		restScores[k] = score(i)
	}
	cut := robustCut(restScores, z)
	poisonScores := make([]float64, len(poison))
	for k, i := range poison {
		poisonScores[k] = score(i)
	}
	typical := median(poisonScores)
	if !(cut > 0 && typical > 2*cut) {
		return // the direction does not separate: not a trigger's
	}
	for k, i := range rest {
		if s := restScores[k]; s > cut {
			out[i], kindOf[i] = true, "trigger"
			trig[i] = math.Max(trig[i], math.Min(1, s/typical))
		}
	}
}

// moments returns the column means and variances of the given rows.
func moments(m inputRows, rows []int) (mean, variance []float64) {
	d := m.cols()
	mean, variance = make([]float64, d), make([]float64, d)
	buf := make([]float64, d)
	for _, i := range rows {
		for j, v := range m.row(i, buf) {
			mean[j] += v
			variance[j] += v * v
		}
	}
	n := float64(len(rows))
	for j := range mean {
		mean[j] /= n
		variance[j] = math.Max(variance[j]/n-mean[j]*mean[j], 0)
	}
	return mean, variance
}

// inputRows reads rows of the raw input view as float64.
type inputRows interface {
	cols() int
	row(i int, dst []float64) []float64
}

// floatRows reads a Matrix.
type floatRows Matrix

func (m floatRows) cols() int { return m.Cols }

func (m floatRows) row(i int, dst []float64) []float64 {
	for j, v := range Matrix(m).Row(i) {
		dst[j] = float64(v)
	}
	return dst[:m.Cols]
}

// byteRows is a compact copy of image inputs, quantised to 8 bits over the
// matrix's range: a quarter of their float32 size, exact for images of
// whole numbers 0..255, within half a step (1/510 of the range) for
// others — far below any trigger worth the name.
type byteRows struct {
	data   []uint8
	d      int
	lo, to float64 // value = lo + q·to
}

func (m byteRows) cols() int { return m.d }

func (m byteRows) row(i int, dst []float64) []float64 {
	for j, q := range m.data[i*m.d : (i+1)*m.d] {
		dst[j] = m.lo + float64(q)*m.to
	}
	return dst[:m.d]
}

// keepRaw keeps what sweepTrigger needs of the raw inputs before the
// neighbour search may overwrite them (Options.Reuse): the inputs
// themselves when they survive, an 8-bit copy of image inputs, else nil
// (the sweep then reads the searched view).
func keepRaw(d *Data, o Options) inputRows {
	m := *d.Inputs
	if !o.Reuse {
		return floatRows(m)
	}
	if !d.InputShape.IsImage() {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m.Data {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	b := byteRows{data: make([]uint8, len(m.Data)), d: m.Cols, lo: lo, to: 1}
	if hi > lo {
		b.to = (hi - lo) / 255
	}
	for i, v := range m.Data {
		b.data[i] = uint8(math.Round((float64(v) - lo) / b.to))
	}
	return b
}

func centroid(m Matrix, rows []int) []float64 {
	c := make([]float64, m.Cols)
	for _, i := range rows {
		for j, v := range m.Row(i) {
			c[j] += float64(v)
		}
	}
	for j := range c {
		c[j] /= float64(len(rows))
	}
	return c
}

func sqDist(x []float32, c []float64) float64 {
	s := 0.0
	for j, v := range x {
		d := float64(v) - c[j]
		s += d * d
	}
	return s
}

// inputNeighbours finds each row's neighbours in the input view, images
// binarised first (see binarize), and returns the view it searched (rows
// scaled to unit length, unless the inputs were searched through a copy).
// When the scan owns the inputs (Options.Reuse) the search works on them
// in place, saving a copy; they are not read again as they were.
func inputNeighbours(ctx context.Context, d *Data, o Options) (*NeighbourList, Matrix, error) {
	k := max(o.Policy.CascadeK, o.K)
	m := *d.Inputs
	switch {
	case d.InputShape.IsImage() && o.Reuse:
		binarize(m, m)
	case d.InputShape.IsImage():
		bin := Matrix{Data: make([]float32, len(m.Data)), Rows: m.Rows, Cols: m.Cols}
		binarize(bin, m)
		m = bin
	case !o.Reuse:
		list, err := Neighbours(ctx, m, k)
		return list, m, err
	}
	list, err := neighboursInPlace(ctx, m, k)
	return list, m, err
}

// binarize writes to dst (which may be m) 1 where m's value is above the
// middle of the matrix's range and 0 elsewhere: a trigger patch, dark or
// bright, then weighs like any other stroke of the digit it sits on.
func binarize(dst, m Matrix) {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range m.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	mid := lo + (hi-lo)/2
	for i, v := range m.Data {
		if v > mid {
			dst.Data[i] = 1
		} else {
			dst.Data[i] = 0
		}
	}
}
