package detect

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Confident learning (Northcutt, Jiang and Chuang, JAIR 70, 2021) as
// cleanlab's find_label_issues implements it with its defaults
// (filter_by="prune_by_noise_rate", frac_noise=1, min_examples_per_class=1,
// no num_to_remove_per_class):
//
//  1. A threshold per class j: the mean of p_j over the rows labelled j,
//     clipped below at 2e-6 (twice the largest probability for a class no
//     row is labelled with, so that it never fires).
//  2. The confident joint C: a row labelled i counts in C[i][j] when j is
//     the one class whose probability reaches its threshold (less 1e-6),
//     or the most probable class (over all classes) when several do; rows
//     that reach no threshold are not counted. The diagonal is raised to at
//     least 1, then every row is scaled to its class's row count and the
//     whole to N, and rounded keeping each row's total (calibration).
//  3. The prune counts: C transposed, each column's diagonal raised to
//     min_examples_per_class by taking uniformly from its non-zero noise
//     entries, the noise entries scaled by frac_noise, truncated to
//     integers.
//  4. For each class k with more than min_examples_per_class rows and each
//     other class j, the C[k][j] rows labelled k with the largest margin
//     p_j − p_k are flagged.
//  5. A flagged row whose given label is the model's prediction (its
//     probability plus 1e-6 is a maximum) is unflagged.
//
// Where cleanlab sorts with numpy's unstable quicksort, ties here go to the
// lower row index; with continuous probabilities there are no ties.

// Constants of cleanlab's confident learning (cleanlab/internal/constants.py).
const (
	clFloatEps      = 1e-6 // FLOATING_POINT_COMPARISON
	clThresholdLow  = 2 * clFloatEps
	clTiny          = 1e-100
	clDefaultFrac   = 1.0 // frac_noise
	clDefaultMinRow = 1   // min_examples_per_class
)

// ConfidentLearning flags rows whose given label disagrees confidently
// with out-of-sample class probabilities (d.Probs, which it requires), by
// cleanlab's default find_label_issues (prune by noise rate). Detector
// "confident-learning".
//
// A flagged row scores 1 plus its margin, the largest probability of
// another class less the probability of its label, so flagged rows (whose
// margin is positive) rank above all others; any other row scores 1 − p
// of its label, capped just below 1, so that a removal budget larger than
// the flagged set goes on down by self-confidence. Like holds each row's
// most probable class. Each class's Statistic is its estimated noise rate,
// the share of the rows labelled with it that the calibrated confident
// joint assigns to other classes; Poisoned is left false.
func ConfidentLearning(d *Data) (*Scores, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Probs == nil {
		return nil, errors.New("confident learning needs out-of-sample class probabilities")
	}
	if err := clCheckProbs(*d.Probs); err != nil {
		return nil, err
	}
	res := clFind(*d.Probs, d.Labels, d.Classes, clDefaultFrac, clDefaultMinRow)
	s := &Scores{
		Detector: "confident-learning",
		Row:      make([]float64, len(d.Labels)),
		Like:     make([]int, len(d.Labels)),
		Class:    make([]ClassStat, d.Classes),
	}
	below1 := math.Nextafter(1, 0)
	for i, y := range d.Labels {
		p := d.Probs.Row(i)
		s.Like[i] = clArgmax(p)
		if res.flagged[i] {
			other := math.Inf(-1)
			for j, v := range p {
				if j != y {
					other = max(other, float64(v))
				}
			}
			s.Row[i] = 1 + other - float64(p[y])
		} else {
			s.Row[i] = min(1-float64(p[y]), below1)
		}
	}
	for k := range s.Class {
		s.Class[k] = ClassStat{Class: k, Rows: res.counts[k], Statistic: res.noiseRate(k)}
	}
	return s, nil
}

// LabelIssues returns the rows that cleanlab's find_label_issues flags
// with its defaults (filter_by="prune_by_noise_rate"), ranked as cleanlab
// ranks them by default: by the probability of the given label, lowest
// first (ties to the lower row). probs holds out-of-sample class
// probabilities, len(labels)×classes. It returns nil when the shapes
// disagree, a label is outside [0, classes) or a probability is not a
// finite non-negative number.
func LabelIssues(probs Matrix, labels []int, classes int) []int {
	if probs.Validate() != nil || probs.Rows != len(labels) || probs.Cols != classes || clCheckProbs(probs) != nil {
		return nil
	}
	for _, y := range labels {
		if y < 0 || y >= classes {
			return nil
		}
	}
	return clFind(probs, labels, classes, clDefaultFrac, clDefaultMinRow).ranked(probs, labels)
}

// clCheckProbs rejects probabilities that are not finite and non-negative.
func clCheckProbs(probs Matrix) error {
	for i, v := range probs.Data {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return fmt.Errorf("probability %v at row %d, class %d", v, i/max(probs.Cols, 1), i%max(probs.Cols, 1))
		}
	}
	return nil
}

// clResult is what confident learning finds.
type clResult struct {
	flagged []bool
	counts  []int   // rows per given label
	joint   [][]int // calibrated confident joint: [given][true]
}

// noiseRate is the share of class k's row of the calibrated joint off
// its diagonal: the estimated share of the rows labelled k that are not k.
func (r clResult) noiseRate(k int) float64 {
	total := 0
	for _, c := range r.joint[k] {
		total += c
	}
	if total == 0 {
		return 0
	}
	return 1 - float64(r.joint[k][k])/float64(total)
}

// ranked returns the flagged rows by the probability of their label,
// lowest first.
func (r clResult) ranked(probs Matrix, labels []int) []int {
	var rows []int
	for i, f := range r.flagged {
		if f {
			rows = append(rows, i)
		}
	}
	slices.SortStableFunc(rows, func(a, b int) int {
		pa, pb := probs.Data[a*probs.Cols+labels[a]], probs.Data[b*probs.Cols+labels[b]]
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	return rows
}

// clFind runs cleanlab's find_label_issues with filter_by
// "prune_by_noise_rate" and the given frac_noise and
// min_examples_per_class; the inputs must be valid.
func clFind(probs Matrix, labels []int, k int, fracNoise float64, minPerClass int) clResult {
	counts := make([]int, k)
	for _, y := range labels {
		counts[y]++
	}
	thresholds := clThresholds(probs, labels, counts)
	joint := clCalibrate(clConfidentJoint(probs, labels, thresholds), counts)
	prune := clKeepAtLeast(clTranspose(joint), minPerClass, fracNoise)

	flagged := make([]bool, len(labels))
	byClass := make([][]int, k)
	for i, y := range labels {
		byClass[y] = append(byClass[y], i)
	}
	margin := make([]float64, 0, len(labels))
	for c, rows := range byClass {
		if len(rows) <= minPerClass {
			continue
		}
		for j := range k {
			n := prune[j][c]
			if j == c || n <= 0 {
				continue
			}
			// The n rows labelled c with the largest p_j − p_c.
			margin = margin[:0]
			for _, r := range rows {
				p := probs.Row(r)
				margin = append(margin, float64(p[j])-float64(p[c]))
			}
			order := make([]int, len(rows))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int {
				switch {
				case margin[a] > margin[b]:
					return -1
				case margin[a] < margin[b]:
					return 1
				}
				return 0
			})
			for _, o := range order[:min(n, len(order))] {
				flagged[rows[o]] = true
			}
		}
	}
	// cleanlab's _reduce_issues: never flag a row the model predicts as
	// labelled, the label winning near-ties by 1e-6.
	for i, y := range labels {
		if !flagged[i] {
			continue
		}
		p := probs.Row(i)
		best, arg := math.Inf(-1), -1
		for j, v := range p {
			x := float64(v)
			if j == y {
				x += clFloatEps
			}
			if x > best {
				best, arg = x, j
			}
		}
		if arg == y {
			flagged[i] = false
		}
	}
	return clResult{flagged: flagged, counts: counts, joint: joint}
}

// clThresholds returns each class's mean self-confidence, as cleanlab's
// get_confident_thresholds.
func clThresholds(probs Matrix, labels []int, counts []int) []float64 {
	k := len(counts)
	sum := make([]float64, k)
	for i, y := range labels {
		sum[y] += float64(probs.Data[i*probs.Cols+y])
	}
	var top float64
	for _, v := range probs.Data {
		top = max(top, float64(v))
	}
	t := make([]float64, k)
	for c := range t {
		if counts[c] == 0 {
			t[c] = 2 * top
		} else {
			t[c] = sum[c] / float64(counts[c])
		}
		t[c] = max(t[c], clThresholdLow)
	}
	return t
}

// clConfidentJoint counts the confident joint, [given][true], with its
// diagonal raised to at least 1 (cleanlab's compute_confident_joint
// before calibration).
func clConfidentJoint(probs Matrix, labels []int, thresholds []float64) [][]int {
	k := len(thresholds)
	cj := clIntMatrix(k)
	for i, y := range labels {
		p := probs.Row(i)
		confident, first := 0, -1
		for j, v := range p {
			if float64(v) >= thresholds[j]-clFloatEps {
				confident++
				if first < 0 {
					first = j
				}
			}
		}
		switch {
		case confident == 1:
			cj[y][first]++
		case confident > 1:
			cj[y][clArgmax(p)]++
		}
	}
	for c := range k {
		cj[c][c] = max(cj[c][c], 1)
	}
	return cj
}

// clCalibrate scales each row of the confident joint to its class's row
// count and the whole to the number of rows, then rounds keeping the row
// totals (cleanlab's calibrate_confident_joint).
func clCalibrate(cj [][]int, counts []int) [][]int {
	k := len(cj)
	cal := make([][]float64, k)
	var total, n float64
	for i, row := range cj {
		var s float64
		for _, c := range row {
			s += float64(c)
		}
		s = max(s, clTiny)
		cal[i] = make([]float64, k)
		for j, c := range row {
			cal[i][j] = float64(c) / s * float64(counts[i])
			total += cal[i][j]
		}
		n += float64(counts[i])
	}
	total = max(total, clTiny)
	out := make([][]int, k)
	for i := range cal {
		for j := range cal[i] {
			cal[i][j] = cal[i][j] / total * n
		}
		out[i] = clRoundPreservingSum(cal[i])
	}
	return out
}

// clKeepAtLeast is cleanlab's _keep_at_least_n_per_class followed by
// _reduce_prune_counts: it raises each column's diagonal of the prune
// count matrix (the transposed joint) to n, taking the increase uniformly
// from the column's non-zero entries, scales the noise entries by
// fracNoise, moving what they lose to the diagonal, and truncates to
// integers.
func clKeepAtLeast(pcm [][]int, n int, fracNoise float64) [][]int {
	k := len(pcm)
	m := make([][]float64, k)
	for i := range m {
		m[i] = make([]float64, k)
	}
	for c := range k {
		diag := pcm[c][c]
		raised := max(diag, n)
		nonzero := 0
		for j := range k {
			if pcm[j][c] != 0 {
				nonzero++
			}
		}
		per := float64(raised-diag) / max(float64(nonzero)-1, 1)
		for j := range k {
			m[j][c] = max(float64(pcm[j][c])-per, 0)
		}
		m[c][c] = float64(raised)
	}
	out := make([][]int, k)
	for c := range k {
		var moved float64
		for j := range k {
			if j != c {
				scaled := m[j][c] * fracNoise
				moved += m[j][c] - scaled
				m[j][c] = scaled
			}
		}
		m[c][c] += moved
	}
	for i := range m {
		for j := range m[i] {
			m[i][j] = math.Trunc(m[i][j])
		}
		out[i] = clRoundPreservingSum(m[i])
	}
	return out
}

// clRoundPreservingSum rounds the values to integers (half to even) so
// that they sum to their rounded sum, moving the values that rounding
// moved furthest (cleanlab's round_preserving_sum, numpy's stable order).
func clRoundPreservingSum(v []float64) []int {
	ints := make([]float64, len(v))
	var want, got float64
	for i, x := range v {
		ints[i] = math.RoundToEven(x)
		want += x
	}
	want = math.RoundToEven(want)
	sum := func() float64 {
		var s float64
		for _, x := range ints {
			s += x
		}
		return math.RoundToEven(s)
	}
	got = sum()
	order := make([]int, len(v))
	for math.Abs(got-want) > clFloatEps {
		diff := math.RoundToEven(want - got)
		inc := 1.0
		if diff < 0 {
			inc = -1
		}
		changes := min(int(math.Abs(diff)), len(v))
		for i := range order {
			order[i] = i
		}
		// numpy: argsort(v − ints) ascending, reversed when adding.
		slices.SortStableFunc(order, func(a, b int) int {
			da, db := v[a]-ints[a], v[b]-ints[b]
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return 0
		})
		if inc > 0 {
			slices.Reverse(order)
		}
		for _, i := range order[:changes] {
			ints[i] += inc
		}
		got = sum()
	}
	out := make([]int, len(v))
	for i, x := range ints {
		out[i] = int(x)
	}
	return out
}

// clTranspose returns the transpose of a square matrix.
func clTranspose(m [][]int) [][]int {
	t := clIntMatrix(len(m))
	for i, row := range m {
		for j, v := range row {
			t[j][i] = v
		}
	}
	return t
}

// clIntMatrix returns a k×k matrix of zeros.
func clIntMatrix(k int) [][]int {
	m := make([][]int, k)
	for i := range m {
		m[i] = make([]int, k)
	}
	return m
}

// clArgmax returns the index of the first largest value.
func clArgmax(p []float32) int {
	arg := 0
	for j, v := range p {
		if v > p[arg] {
			arg = j
		}
	}
	return arg
}
