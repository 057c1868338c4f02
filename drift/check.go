package drift

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/profile"
	"gonum.org/v1/gonum/mathext"
)

// Result is the outcome of checking a batch against a baseline: the report
// of findings, each column's statistics and the label's.
type Result struct {
	Report  finding.Report
	Columns []ColumnResult
	// Label is nil when the baseline or the batch has no labels.
	Label *LabelResult
}

// ColumnResult holds one column's statistics; a statistic that does not
// apply to the column's type is NaN (null in JSON).
type ColumnResult struct {
	Name            string         `json:"name"`
	Type            string         `json:"type"`
	PSI             finding.Number `json:"psi"`
	KSStatistic     finding.Number `json:"ks_statistic"`
	KSPValue        finding.Number `json:"ks_pvalue"`
	WassersteinNorm finding.Number `json:"wasserstein_norm"`
	JSDistance      finding.Number `json:"js_distance"`
	Chi2PValue      finding.Number `json:"chi2_pvalue"`
	// Exact is false when a statistic came from a quantile sketch;
	// KSErrorBound then bounds the error of the KS statistic.
	Exact        bool           `json:"exact"`
	KSErrorBound finding.Number `json:"ks_error_bound"`
	Drifted      bool           `json:"drifted"`
}

// LabelResult holds the label distribution's statistics. A label with at
// least 50 distinct numeric values is continuous (a regression target):
// it is compared by KS instead of class by class.
type LabelResult struct {
	Chi2PValue          finding.Number `json:"chi2_pvalue"`
	JSDistance          finding.Number `json:"js_distance"`
	Continuous          bool           `json:"continuous"`
	KSStatistic         finding.Number `json:"ks_statistic"`
	KSPValue            finding.Number `json:"ks_pvalue"`
	EntropyBits         finding.Number `json:"entropy_bits"`
	BaselineEntropyBits finding.Number `json:"baseline_entropy_bits"`
	NewClasses          []string       `json:"new_classes"`
	MissingClasses      []string       `json:"missing_classes"`
}

// maxCategories is how many categories a chi-square or JS comparison keeps
// before pooling the rarest into one "other" cell.
const maxCategories = 1000

// checker carries the state of one Check.
type checker struct {
	base, batch *profile.Profile
	policy      Policy
	res         *Result
	tests       int // columns with a p-value test, for Bonferroni
}

// Check compares a batch's profile with a baseline's under a policy.
func Check(baseline, batch *profile.Profile, policy Policy) (*Result, error) {
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	c := &checker{base: baseline, batch: batch, policy: policy, res: &Result{Report: finding.Report{Command: "data check"}}}
	c.schema()
	c.columns()
	c.label()
	c.duplicates()
	c.dataset()
	c.res.Report.Judge()
	return c.res, nil
}

func (c *checker) add(check, column string, sev finding.Severity, value, threshold float64, format string, args ...any) {
	c.res.Report.Add(finding.Finding{
		Check: check, Subject: column, SubjectKind: "column", Severity: sev,
		Value: finding.Number(value), Threshold: finding.Number(threshold),
		Message: fmt.Sprintf(format, args...),
	})
}

func (c *checker) schema() {
	nan := math.NaN()
	for _, bc := range c.base.Columns {
		nc := c.batch.Column(bc.Name)
		switch {
		case nc == nil:
			c.add("schema.missing_column", bc.Name, finding.Error, nan, nan, "the batch has no column %q", bc.Name)
		case nc.Kind != bc.Kind:
			c.add("schema.type_change", bc.Name, finding.Error, nan, nan, "type changed from %s to %s", bc.Kind, nc.Kind)
		}
	}
	for _, nc := range c.batch.Columns {
		if c.base.Column(nc.Name) == nil {
			c.add("schema.unexpected_column", nc.Name, finding.Warn, nan, nan, "column %q is not in the baseline", nc.Name)
		}
	}
}

// pairs returns the columns present with the same type on both sides.
func (c *checker) pairs() [][2]*profile.Column {
	var out [][2]*profile.Column
	for _, bc := range c.base.Columns {
		if nc := c.batch.Column(bc.Name); nc != nil && nc.Kind == bc.Kind {
			out = append(out, [2]*profile.Column{bc, nc})
		}
	}
	return out
}

func (c *checker) columns() {
	pairs := c.pairs()
	for _, p := range pairs {
		if p[0].Kind == dataset.Numeric && p[0].Moments.N > 0 && p[1].Moments.N > 0 {
			c.tests++
		} else if p[0].Kind != dataset.Numeric && p[0].Categories.Total() > 0 && p[1].Categories.Total() > 0 {
			c.tests++
		}
	}
	for _, p := range pairs {
		r := ColumnResult{Name: p[0].Name, Type: p[0].Kind.String(), Exact: true}
		nan := finding.Number(math.NaN())
		r.PSI, r.KSStatistic, r.KSPValue, r.WassersteinNorm, r.JSDistance, r.Chi2PValue, r.KSErrorBound = nan, nan, nan, nan, nan, nan, 0
		c.rates(p[0], p[1])
		if p[0].Kind == dataset.Numeric {
			r.Drifted = c.numeric(p[0], p[1], &r)
		} else {
			r.Drifted = c.categorical(p[0], p[1], &r)
		}
		c.res.Columns = append(c.res.Columns, r)
	}
}

// rates checks the rise of the NaN and missing shares.
func (c *checker) rates(base, batch *profile.Column) {
	if batch.Count == 0 {
		return
	}
	share := func(n, of int64) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	if base.Kind == dataset.Numeric {
		b, n := share(base.NaN, base.Count), share(batch.NaN, batch.Count)
		if n-b > c.policy.NaNRateIncrease {
			c.add("schema.nan_rate", base.Name, finding.Error, n, b+c.policy.NaNRateIncrease,
				"NaN share rose from %.2f%% to %.2f%%", 100*b, 100*n)
		}
	}
	b, n := share(base.Missing, base.Count), share(batch.Missing, batch.Count)
	if n-b > c.policy.MissingRateIncrease {
		c.add("schema.missing_rate", base.Name, finding.Error, n, b+c.policy.MissingRateIncrease,
			"missing share rose from %.2f%% to %.2f%%", 100*b, 100*n)
	}
}

// sampleOf returns a numeric column's distribution as a sample: exact, or
// the sketch's weighted items with the sketch's rank error.
func sampleOf(col *profile.Column) (s Sample, rankErr float64) {
	if col.Values != nil {
		return Sample(*col.Values), 0
	}
	values, weights := col.Sketch.Sorted()
	for i, v := range values {
		if k := len(s.Values); k > 0 && s.Values[k-1] == v {
			s.Counts[k-1] += weights[i]
			continue
		}
		s.Values = append(s.Values, v)
		s.Counts = append(s.Counts, weights[i])
	}
	return s, col.Sketch.NormalizedRankError()
}

// numeric runs the numeric tests and returns whether the column drifted.
func (c *checker) numeric(base, batch *profile.Column, r *ColumnResult) bool {
	a, errA := sampleOf(base)
	b, errB := sampleOf(batch)
	n, m := a.N(), b.N()
	if n == 0 || m == 0 {
		return false
	}
	r.Exact = errA == 0 && errB == 0
	drifted := false

	// Out of range.
	// Out of range. Were both samples drawn from one distribution, each
	// batch value would fall outside the baseline's range with chance
	// 2/(n+1); counts that such sampling explains are within the noise.
	outside := countBelow(b, base.Moments.Min) + countAbove(b, base.Moments.Max)
	share := float64(outside) / float64(m)
	if lvl := c.policy.OutOfRange.level(share); lvl > finding.Info {
		p := binomialSF(outside, m, 2/float64(n+1))
		noisy := min(1, p*float64(c.tests)) >= c.policy.KSAlpha
		c.add("schema.out_of_range", base.Name, demote(lvl, noisy), share, c.threshold(c.policy.OutOfRange, lvl),
			"%.2f%% of values lie outside the baseline's range [%s, %s]%s", 100*share,
			finding.FormatNumber(base.Moments.Min), finding.FormatNumber(base.Moments.Max),
			noiseNote(noisy, "binomial", min(1, p*float64(c.tests)), n, m))
	}

	// KS, exact when both sides are exact; it also judges whether the
	// distances below are within the noise of these sample sizes. From
	// sketches, D is known within the sum of their rank errors, so the
	// p-value is taken at the smallest D consistent with the sketches.
	d, p := KS(a, b)
	if !r.Exact {
		r.KSErrorBound = finding.Number(errA + errB)
		p = KSPValue(max(0, d-(errA+errB)), n, m)
	}
	r.KSStatistic, r.KSPValue = finding.Number(d), finding.Number(p)
	corrected := min(1, p*float64(c.tests))
	noisy := corrected >= c.policy.KSAlpha
	if !noisy {
		note := ""
		if !r.Exact {
			note = fmt.Sprintf(" (from sketches: D within ±%.4f, p taken at D−%.4f)", errA+errB, errA+errB)
		}
		c.add("drift.ks", base.Name, finding.Error, corrected, c.policy.KSAlpha,
			"KS D=%.4f, p=%.3g, Bonferroni-corrected p=%.3g over %d tests%s", d, p, corrected, c.tests, note)
		drifted = true
	}
	noise := noiseNote(noisy, "KS", corrected, n, m)

	// PSI at the baseline's deciles.
	edges := Deciles(a)
	psi := PSI(BinCounts(edges, a), BinCounts(edges, b))
	r.PSI = finding.Number(psi)
	if lvl := c.policy.PSI.level(psi); lvl > finding.Info {
		c.add("drift.psi", base.Name, demote(lvl, noisy), psi, c.threshold(c.policy.PSI, lvl),
			"PSI %.3f over %d bins%s", psi, len(edges)+1, noise)
		drifted = drifted || (lvl == finding.Error && !noisy)
	}

	// Wasserstein-1 over the baseline's standard deviation; undefined for
	// a constant baseline column, where out_of_range speaks instead.
	if std := base.Moments.Std(); std > 0 {
		w := Wasserstein(a, b) / std
		r.WassersteinNorm = finding.Number(w)
		if lvl := c.policy.Wasserstein.level(w); lvl > finding.Info {
			c.add("drift.wasserstein", base.Name, demote(lvl, noisy), w, c.threshold(c.policy.Wasserstein, lvl),
				"Wasserstein distance is %.3f baseline standard deviations%s", w, noise)
			drifted = drifted || (lvl == finding.Error && !noisy)
		}
	}
	return drifted
}

func (c *checker) threshold(b Band, level finding.Severity) float64 {
	if level == finding.Error {
		return b.Error
	}
	return b.Warn
}

// noiseNote says that a distance is within the sampling noise: the
// test of the same column does not reject at these sample sizes.
func noiseNote(noisy bool, test string, corrected float64, n, m int64) string {
	if !noisy {
		return ""
	}
	return fmt.Sprintf("; within the noise for %d vs %d values (%s corrected p=%.3g)", n, m, test, corrected)
}

// demote lowers a level by one when the distance is within the noise: an
// error becomes a warning, a warning information.
func demote(level finding.Severity, noisy bool) finding.Severity {
	if noisy {
		level--
	}
	return level
}

// binomialSF returns P(X ≥ k) for X ~ Binomial(n, p).
func binomialSF(k, n int64, p float64) float64 {
	if k <= 0 {
		return 1
	}
	return mathext.RegIncBeta(float64(k), float64(n-k+1), p)
}

func countBelow(s Sample, x float64) int64 {
	var k int64
	for i, v := range s.Values {
		if v >= x {
			break
		}
		k += s.count(i)
	}
	return k
}

func countAbove(s Sample, x float64) int64 {
	var k int64
	for i := len(s.Values) - 1; i >= 0 && s.Values[i] > x; i-- {
		k += s.count(i)
	}
	return k
}

// categorical runs the categorical tests and returns whether the column
// drifted.
func (c *checker) categorical(base, batch *profile.Column, r *ColumnResult) bool {
	bt, nt := base.Categories.Total(), batch.Categories.Total()
	if bt == 0 || nt == 0 {
		return false
	}
	r.Exact = base.Categories.Exact() && batch.Categories.Exact()
	a, b := counts(base.Categories), counts(batch.Categories)
	drifted := false

	if base.Categories.Exact() {
		var unseen int64
		for v, k := range b {
			if _, ok := a[v]; !ok {
				unseen += k
			}
		}
		share := float64(unseen) / float64(nt)
		if lvl := c.policy.UnseenCategory.level(share); lvl > finding.Info {
			c.add("schema.unseen_category", base.Name, lvl, share, c.threshold(c.policy.UnseenCategory, lvl),
				"%.2f%% of values are categories the baseline never had", 100*share)
		}
	}

	av, bv := alignCounts(a, b)
	js := JSDistance(av, bv)
	_, p, _ := Chi2Contingency(av, bv)
	r.JSDistance, r.Chi2PValue = finding.Number(js), finding.Number(p)
	corrected := min(1, p*float64(c.tests))
	noisy := corrected >= c.policy.Chi2Alpha
	if !noisy {
		c.add("drift.chi2", base.Name, finding.Error, corrected, c.policy.Chi2Alpha,
			"chi-square p=%.3g, Bonferroni-corrected p=%.3g over %d tests", p, corrected, c.tests)
		drifted = true
	}
	if lvl := c.policy.JS.level(js); lvl > finding.Info {
		c.add("drift.js", base.Name, demote(lvl, noisy), js, c.threshold(c.policy.JS, lvl),
			"Jensen–Shannon distance %.3f over %d categories%s", js, len(av), noiseNote(noisy, "chi-square", corrected, bt, nt))
		drifted = drifted || (lvl == finding.Error && !noisy)
	}
	return drifted
}

// counts returns a summary's counts: exact, or its heavy hitters.
func counts(t *profile.TopK) map[string]int64 {
	if t.Exact() {
		return t.Counts()
	}
	out := make(map[string]int64)
	for _, it := range t.Top(maxCategories) {
		out[it.Value] = it.Count
	}
	return out
}

// alignCounts returns the two count vectors over the union of categories
// in a stable order, pooling all but the maxCategories-1 most frequent
// categories into one cell.
func alignCounts(a, b map[string]int64) ([]float64, []float64) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y string) int {
		if d := (a[y] + b[y]) - (a[x] + b[x]); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(x, y)
	})
	n := min(len(keys), maxCategories)
	av, bv := make([]float64, n), make([]float64, n)
	for i, k := range keys {
		j := min(i, n-1)
		av[j] += float64(a[k])
		bv[j] += float64(b[k])
	}
	return av, bv
}
