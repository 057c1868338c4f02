package drift

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/profile"
)

// minExpectedForMissing is the expected count of a baseline class in the
// batch above which its absence is a warning rather than information.
const minExpectedForMissing = 5

func (c *checker) label() {
	nan := math.NaN()
	switch {
	case c.base.Label == nil:
		return
	case c.batch.Label == nil:
		c.add("schema.missing_column", labelSubject(c.base.Label), finding.Error, nan, nan,
			"the baseline has labels and the batch has none: pass --label COLUMN or --labels FILE")
		return
	}
	a, b := c.base.Label.Counts(), c.batch.Label.Counts()
	var bt, nt int64
	for _, k := range a {
		bt += k
	}
	for _, k := range b {
		nt += k
	}
	lr := &LabelResult{
		EntropyBits:         finding.Number(c.batch.Label.EntropyBits),
		BaselineEntropyBits: finding.Number(c.base.Label.EntropyBits),
		NewClasses:          []string{},
		MissingClasses:      []string{},
		Chi2PValue:          finding.Number(nan),
		JSDistance:          finding.Number(nan),
		KSStatistic:         finding.Number(nan),
		KSPValue:            finding.Number(nan),
	}
	c.res.Label = lr
	subject := labelSubject(c.base.Label)
	if bt == 0 || nt == 0 {
		return
	}
	if base, ok := continuousLabel(c.base.Label); ok {
		if batch, ok := numericLabel(c.batch.Label); ok {
			c.continuousLabel(subject, base, batch, lr)
			return
		}
	}
	var newRows int64
	for _, cl := range c.batch.Label.Classes {
		if _, ok := a[cl.Class]; !ok {
			lr.NewClasses = append(lr.NewClasses, cl.Class)
			newRows += cl.Count
		}
	}
	if len(lr.NewClasses) > 0 {
		c.add("label.new_class", subject, finding.Error, float64(newRows), 0,
			"%s the baseline never had (%d rows): %s", pluralClasses(len(lr.NewClasses)), newRows, listSome(lr.NewClasses))
	}
	for _, cl := range c.base.Label.Classes {
		if _, ok := b[cl.Class]; !ok {
			lr.MissingClasses = append(lr.MissingClasses, cl.Class)
			expected := float64(cl.Count) * float64(nt) / float64(bt)
			sev := finding.Info
			if expected >= minExpectedForMissing {
				sev = finding.Warn
			}
			c.add("label.missing_class", subject, sev, 0, expected,
				"class %q is absent; %.1f rows were expected from the baseline's share", cl.Class, expected)
		}
	}

	av, bv := alignCounts(a, b)
	js := JSDistance(av, bv)
	_, p, _ := Chi2Contingency(av, bv)
	lr.Chi2PValue, lr.JSDistance = finding.Number(p), finding.Number(js)
	reject, far := p < c.policy.LabelChi2Alpha, js >= c.policy.LabelJS
	switch {
	case reject && far:
		c.add("label.distribution", subject, finding.Error, js, c.policy.LabelJS,
			"label distribution shifted: JS distance %.3f, chi-square p=%.3g", js, p)
	case reject:
		c.add("label.distribution", subject, finding.Warn, js, c.policy.LabelJS,
			"label distribution differs: chi-square p=%.3g, JS distance %.3f", p, js)
	case far:
		c.add("label.distribution", subject, finding.Info, js, c.policy.LabelJS,
			"label JS distance %.3f, within the noise for %d vs %d labels (chi-square p=%.3g)", js, bt, nt, p)
	}

	change := math.Abs(c.batch.Label.EntropyBits - c.base.Label.EntropyBits)
	if lvl := c.policy.LabelEntropyChange.level(change); lvl > finding.Info {
		c.add("label.entropy", subject, lvl, change, c.threshold(c.policy.LabelEntropyChange, lvl),
			"label entropy moved from %.3f to %.3f bits", c.base.Label.EntropyBits, c.batch.Label.EntropyBits)
	}
}

// minContinuousClasses is how many distinct numeric labels make a label
// continuous (a regression target) rather than a set of classes: class
// checks would call every new value a new class.
const minContinuousClasses = 50

// numericLabel returns the labels as a numeric sample when every class is
// a number.
func numericLabel(l *profile.Labels) (Sample, bool) {
	raw := &profile.Values{}
	for _, cl := range l.Classes {
		x, err := strconv.ParseFloat(cl.Class, 64)
		if err != nil || math.IsNaN(x) {
			return Sample{}, false
		}
		raw.Values = append(raw.Values, x)
		raw.Counts = append(raw.Counts, cl.Count)
	}
	// Numeric classes come in ascending order, each value once (labels are
	// canonical); Validate confirms it.
	return Sample(*raw), Sample(*raw).Validate() == nil
}

// continuousLabel is numericLabel for a label with many values.
func continuousLabel(l *profile.Labels) (Sample, bool) {
	if len(l.Classes) < minContinuousClasses {
		return Sample{}, false
	}
	return numericLabel(l)
}

// continuousLabel compares a regression target's distributions with KS.
func (c *checker) continuousLabel(subject string, base, batch Sample, lr *LabelResult) {
	d, p := KS(base, batch)
	lr.Continuous = true
	lr.KSStatistic, lr.KSPValue = finding.Number(d), finding.Number(p)
	if p < c.policy.LabelChi2Alpha {
		c.add("label.distribution", subject, finding.Error, p, c.policy.LabelChi2Alpha,
			"the continuous label's distribution shifted: KS D=%.4f, p=%.3g", d, p)
	}
}

func pluralClasses(n int) string {
	if n == 1 {
		return "1 class"
	}
	return fmt.Sprintf("%d classes", n)
}

// listSome quotes the first few names and counts the rest.
func listSome(names []string) string {
	const show = 8
	var b strings.Builder
	for i, n := range names {
		if i == show {
			fmt.Fprintf(&b, " and %d more", len(names)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

func labelSubject(l *profile.Labels) string {
	if l.Column != "" {
		return l.Column
	}
	return "(label)"
}

// duplicates checks duplicated rows, rows that repeat the baseline, label
// conflicts and a replayed snapshot.
func (c *checker) duplicates() {
	rows := float64(c.batch.Rows)
	if rows == 0 {
		return
	}
	nan := math.NaN()
	dup, conflicting := c.batch.RowHashes.Duplicates()
	rate := dup / rows
	c.res.Report.Summary.Set("duplicate_rows", dup)
	if lvl := c.policy.DuplicateRate.level(rate); lvl > finding.Info {
		c.add("duplicates.rate", "", lvl, rate, c.threshold(c.policy.DuplicateRate, lvl),
			"%s of %d rows repeat another row of the batch (%.2f%%)", finding.FormatNumber(dup), c.batch.Rows, 100*rate)
	}

	// Rows of the batch that repeat a baseline row, over the hash range
	// both row sets cover.
	limit := min(c.base.RowHashes.Threshold(), c.batch.RowHashes.Threshold())
	coverage := min(c.base.RowHashes.Coverage(), c.batch.RowHashes.Coverage())
	var overlap, crossConflict float64
	c.batch.RowHashes.Each(func(h uint64, count int64, label uint64, conflict bool) {
		if h > limit {
			return
		}
		_, present, baseLabel, baseConflict := c.base.RowHashes.Lookup(h)
		if !present {
			return
		}
		overlap += float64(count)
		if conflict || baseConflict || label != baseLabel {
			crossConflict += float64(count)
		}
	})
	overlap /= coverage
	crossConflict /= coverage
	c.res.Report.Summary.Set("baseline_overlap_rows", overlap)
	if c.base.Label != nil && c.batch.Label != nil {
		conflicts := min(rows, conflicting+crossConflict)
		share := conflicts / rows
		c.res.Report.Summary.Set("label_conflict_rows", conflicts)
		if lvl := c.policy.LabelConflict.level(share); lvl > finding.Info {
			c.add("duplicates.label_conflict", "", lvl, share, c.threshold(c.policy.LabelConflict, lvl),
				"%s rows have the features of a baseline or batch row with a different label — a label-flip signal",
				finding.FormatNumber(math.Round(conflicts)))
		}
	}

	replayed := c.batch.Fingerprint.String() == c.base.Fingerprint.String()
	if replayed {
		c.add("replay", "", finding.Error, nan, nan,
			"the batch's content fingerprint %s equals the baseline's: a replayed snapshot", c.batch.Fingerprint)
		return
	}
	share := overlap / rows
	if lvl := c.policy.BaselineOverlap.level(share); lvl > finding.Info {
		c.add("duplicates.baseline_overlap", "", lvl, share, c.threshold(c.policy.BaselineOverlap, lvl),
			"%.2f%% of the batch's rows repeat baseline rows (a partial replay?)", 100*share)
	}
}

// dataset applies the dataset-level rule.
func (c *checker) dataset() {
	drifted := 0
	for _, r := range c.res.Columns {
		if r.Drifted {
			drifted++
		}
	}
	rep := &c.res.Report
	errs := rep.Count(finding.Error)
	share := 0.0
	if n := len(c.res.Columns); n > 0 {
		share = float64(drifted) / float64(n)
	}
	rep.Summary.Set("baseline_rows", c.base.Rows)
	rep.Summary.Set("batch_rows", c.batch.Rows)
	rep.Summary.Set("columns_compared", len(c.res.Columns))
	rep.Summary.Set("drifted_columns", drifted)
	rep.Summary.Set("drifted_share", share)
	switch {
	case len(c.res.Columns) > 0 && share >= c.policy.DriftShare:
		c.add("dataset.drift", "", finding.Error, share, c.policy.DriftShare,
			"%d of %d columns drifted", drifted, len(c.res.Columns))
	case errs > 0:
		c.add("dataset.drift", "", finding.Error, share, c.policy.DriftShare,
			"%d error-level findings (%d of %d columns drifted)", errs, drifted, len(c.res.Columns))
	}
}
