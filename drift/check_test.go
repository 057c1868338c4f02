package drift_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/profile"
)

// profileCSV profiles CSV text through the real reader.
func profileCSV(t *testing.T, text string, label string, opts profile.Options) *profile.Profile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := dataset.Open(path, dataset.Options{Label: label})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	opts.LabelColumn = label
	p, err := profile.FromSource(context.Background(), src, opts, "data.csv")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// table writes rows of a CSV made by row(i) for i in [0, n).
func table(header string, n int, row func(i int) string) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
	return b.String()
}

func check(t *testing.T, base, batch *profile.Profile) *drift.Result {
	t.Helper()
	res, err := drift.Check(base, batch, drift.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// has reports whether the result holds a finding of check on column with
// at least the given severity.
func has(res *drift.Result, check, column string, min finding.Severity) bool {
	return slices.ContainsFunc(res.Report.Findings, func(f finding.Finding) bool {
		return f.Check == check && f.Subject == column && f.Severity >= min
	})
}

func list(res *drift.Result) string {
	var b strings.Builder
	for _, f := range res.Report.Findings {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", f.Severity, f.Check, f.Subject, f.Message)
	}
	return b.String()
}

// A mixed table: a numeric column, a categorical one, a boolean and a label.
func mixed(n int, seed uint64, cities []string, weights []float64, shiftX float64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	return table("x,city,member,label", n, func(i int) string {
		u, c, acc := rng.Float64(), 0, weights[0]
		for u > acc && c < len(cities)-1 {
			c++
			acc += weights[c]
		}
		return fmt.Sprintf("%.9f,%s,%v,%d", rng.NormFloat64()+shiftX, cities[c], rng.IntN(2) == 0, rng.IntN(3))
	})
}

var (
	cities  = []string{"Lyon", "Paris", "Nice", "Lille"}
	even    = []float64{0.25, 0.25, 0.25, 0.25}
	skewed  = []float64{0.55, 0.15, 0.15, 0.15}
	baseOpt = profile.Options{}
)

func TestCleanSamplePasses(t *testing.T) {
	base := profileCSV(t, mixed(4000, 1, cities, even, 0), "label", baseOpt)
	batch := profileCSV(t, mixed(2000, 2, cities, even, 0), "label", baseOpt)
	res := check(t, base, batch)
	if res.Report.Verdict == finding.Fail {
		t.Fatalf("a sample of the same distribution failed:\n%s", list(res))
	}
	if res.Label == nil || res.Label.Chi2PValue < 0.001 {
		t.Fatalf("label result %+v", res.Label)
	}
	for _, c := range res.Columns {
		if c.Drifted {
			t.Errorf("column %s drifted", c.Name)
		}
	}
}

func TestCategoricalShiftFailsOnThatColumn(t *testing.T) {
	base := profileCSV(t, mixed(4000, 1, cities, even, 0), "label", baseOpt)
	batch := profileCSV(t, mixed(2000, 2, cities, skewed, 0), "label", baseOpt)
	res := check(t, base, batch)
	if !has(res, "drift.chi2", "city", finding.Error) || !has(res, "drift.js", "city", finding.Warn) {
		t.Fatalf("no chi-square error and JS warning on city:\n%s", list(res))
	}
	for _, c := range res.Columns {
		if c.Drifted != (c.Name == "city") {
			t.Errorf("column %s drifted=%v", c.Name, c.Drifted)
		}
		if c.Name == "city" && (c.Type != "categorical" || !(c.JSDistance > 0.1) || c.KSPValue == c.KSPValue) {
			t.Errorf("city statistics %+v", c)
		}
	}
}

func TestSchemaFindings(t *testing.T) {
	base := profileCSV(t, table("a,b,c,label", 500, func(i int) string {
		return fmt.Sprintf("%d,%d,x%d,%d", i%50, i%7, i%3, i%2)
	}), "label", baseOpt)
	batch := profileCSV(t, table("a,c,d,label", 500, func(i int) string {
		a := fmt.Sprint(i % 50)
		if i%10 == 0 {
			a = "nan"
		}
		if i%10 == 1 {
			a = ""
		}
		c := fmt.Sprintf("x%d", i%3)
		if i%20 == 0 {
			c = "new"
		}
		return fmt.Sprintf("%s,%s,%d,%d", a, c, i, i%2)
	}), "label", baseOpt)
	res := check(t, base, batch)
	for _, want := range []struct {
		check, column string
		sev           finding.Severity
	}{
		{"schema.missing_column", "b", finding.Error},
		{"schema.unexpected_column", "d", finding.Warn},
		{"schema.nan_rate", "a", finding.Error},
		{"schema.missing_rate", "a", finding.Error},
		{"schema.unseen_category", "c", finding.Error},
		{"dataset.drift", "", finding.Error},
	} {
		if !has(res, want.check, want.column, want.sev) {
			t.Errorf("missing %s on %q:\n%s", want.check, want.column, list(res))
		}
	}
}

func TestTypeChange(t *testing.T) {
	base := profileCSV(t, table("a,label", 100, func(i int) string { return fmt.Sprintf("%d,0", i) }), "label", baseOpt)
	batch := profileCSV(t, table("a,label", 100, func(i int) string { return fmt.Sprintf("v%d,0", i) }), "label", baseOpt)
	if res := check(t, base, batch); !has(res, "schema.type_change", "a", finding.Error) {
		t.Fatalf("no type change:\n%s", list(res))
	}
}

func TestLabelClassesAndShift(t *testing.T) {
	base := profileCSV(t, table("x,label", 3000, func(i int) string { return fmt.Sprintf("%d,%d", i%97, i%3) }), "label", baseOpt)
	batch := profileCSV(t, table("x,label", 1500, func(i int) string {
		l := []int{0, 0, 0, 1, 3}[i%5] // class 2 vanishes, class 3 appears, 0 dominates
		return fmt.Sprintf("%d,%d", (i*7)%97, l)
	}), "label", baseOpt)
	res := check(t, base, batch)
	for _, want := range []string{"label.new_class", "label.missing_class", "label.distribution", "label.entropy"} {
		if !has(res, want, "label", finding.Warn) {
			t.Errorf("missing %s:\n%s", want, list(res))
		}
	}
	if !slices.Equal(res.Label.NewClasses, []string{"3"}) || !slices.Equal(res.Label.MissingClasses, []string{"2"}) {
		t.Errorf("label result %+v", res.Label)
	}
}

func TestDuplicatesConflictsAndReplay(t *testing.T) {
	rows := func(i int) string { return fmt.Sprintf("%d,%d,%d", i, i*i%101, i%2) }
	baseText := table("a,b,label", 1000, rows)
	base := profileCSV(t, baseText, "label", baseOpt)

	if res := check(t, base, profileCSV(t, baseText, "label", baseOpt)); !has(res, "replay", "", finding.Error) {
		t.Fatalf("the baseline's own data is not a replay:\n%s", list(res))
	}

	// 100 new rows, each twice (duplicates), and 50 baseline rows with
	// flipped labels.
	batch := table("a,b,label", 250, func(i int) string {
		switch {
		case i < 200:
			j := 5000 + i/2
			return fmt.Sprintf("%d,%d,%d", j, j*j%101, j%2)
		default:
			j := i - 200
			return fmt.Sprintf("%d,%d,%d", j, j*j%101, 1-j%2)
		}
	})
	res := check(t, base, profileCSV(t, batch, "label", baseOpt))
	if !has(res, "duplicates.rate", "", finding.Error) || !has(res, "duplicates.label_conflict", "", finding.Error) ||
		!has(res, "duplicates.baseline_overlap", "", finding.Warn) || has(res, "replay", "", finding.Info) {
		t.Fatalf("duplicate findings wrong:\n%s", list(res))
	}
	got := map[string]any{}
	for _, f := range res.Report.Summary {
		got[f.Name] = f.Value
	}
	if got["duplicate_rows"] != 100.0 || got["label_conflict_rows"] != 50.0 || got["baseline_overlap_rows"] != 50.0 {
		t.Fatalf("summary %v", got)
	}
}

// With sketched profiles, a sample of the same distribution does not drift
// (the KS p-value is taken at D less the sketches' rank errors) and a
// shift of a fifth of a standard deviation does.
func TestSketchedKS(t *testing.T) {
	gen := func(n int, seed uint64, shift float64) string {
		rng := rand.New(rand.NewPCG(seed, 3))
		return table("x,y", n, func(int) string {
			return fmt.Sprintf("%.6f,%.6f", rng.NormFloat64(), rng.NormFloat64()+shift)
		})
	}
	opts := profile.Options{ExactLimit: 500}
	base := profileCSV(t, gen(60_000, 1, 0), "", opts)
	same := check(t, base, profileCSV(t, gen(40_000, 2, 0), "", opts))
	if same.Report.Verdict == finding.Fail || same.Columns[0].Exact {
		t.Fatalf("same distribution failed from sketches (exact=%v):\n%s", same.Columns[0].Exact, list(same))
	}
	if bound := float64(same.Columns[0].KSErrorBound); !(bound > 0 && bound < 0.01) {
		t.Fatalf("KS error bound %v", bound)
	}
	shifted := check(t, base, profileCSV(t, gen(40_000, 3, 0.2), "", opts))
	if !has(shifted, "drift.ks", "y", finding.Error) || has(shifted, "drift.ks", "x", finding.Info) {
		t.Fatalf("the 0.2σ shift of y was not found, or x was flagged:\n%s", list(shifted))
	}
}

// A regression target is compared by KS, not class by class: a clean
// sample passes and a shifted target fails on the label.
func TestContinuousLabel(t *testing.T) {
	gen := func(n int, seed uint64, shift float64) string {
		rng := rand.New(rand.NewPCG(seed, 4))
		return table("x,target", n, func(int) string {
			return fmt.Sprintf("%.6f,%d", rng.NormFloat64(), int(100+30*rng.NormFloat64()+shift))
		})
	}
	base := profileCSV(t, gen(3000, 1, 0), "target", baseOpt)
	clean := check(t, base, profileCSV(t, gen(1000, 2, 0), "target", baseOpt))
	if clean.Report.Verdict == finding.Fail || !clean.Label.Continuous || has(clean, "label.new_class", "target", finding.Info) {
		t.Fatalf("clean regression target (continuous=%v):\n%s", clean.Label.Continuous, list(clean))
	}
	shifted := check(t, base, profileCSV(t, gen(1000, 3, 15), "target", baseOpt))
	if !has(shifted, "label.distribution", "target", finding.Error) {
		t.Fatalf("a shift of half a standard deviation in the target was missed:\n%s", list(shifted))
	}
}
