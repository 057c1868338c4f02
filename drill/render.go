package drill

import (
	"fmt"
	"io"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
)

// Verdict is a one-line judgement of the drill.
func (r *Report) Verdict() string {
	if r.AttackSuccessRate != nil {
		asr := *r.AttackSuccessRate
		if asr >= 0.5 {
			return fmt.Sprintf("the backdoor took: %s of triggered test rows go to the attacker's class, clean accuracy %s (clean model %s)",
				pct(asr), pct(r.CleanAccuracy), pct(r.BaselineCleanAccuracy))
		}
		return fmt.Sprintf("the backdoor did not take: attack success rate %s, clean accuracy %s (clean model %s)",
			pct(asr), pct(r.CleanAccuracy), pct(r.BaselineCleanAccuracy))
	}
	return fmt.Sprintf("clean accuracy fell by %.2f points: %s against %s for the clean model",
		100*r.AccuracyDrop, pct(r.CleanAccuracy), pct(r.BaselineCleanAccuracy))
}

// Headline names the drill in one line.
func (r *Report) Headline() string {
	return fmt.Sprintf("drill: %s on %s, %d of %d training rows poisoned (%s), %s model, %s",
		r.Attack.Kind, r.Dataset, r.PoisonedRows, r.TrainRows, pct(r.PoisonRate), r.Model, plural(r.Epochs, "epoch"))
}

// tables are the headline figures and the per-class accuracies.
func (r *Report) tables() []finding.Table {
	metrics := finding.Table{
		Header: []string{"metric", "clean model", "poisoned model"},
		Rows:   [][]string{{"clean accuracy", pct(r.BaselineCleanAccuracy), pct(r.CleanAccuracy)}},
	}
	if r.AttackSuccessRate != nil {
		metrics.Rows = append(metrics.Rows, []string{fmt.Sprintf("attack success rate (%d triggered rows)", r.TriggeredRows),
			pct(*r.BaselineAttackSuccessRate), pct(*r.AttackSuccessRate)})
	}
	classes := finding.Table{Header: []string{"class", "test rows", "clean model", "poisoned model", "change (points)"}}
	for _, c := range r.PerClass {
		change := "–"
		if c.Accuracy != nil && c.BaselineAccuracy != nil {
			change = fmt.Sprintf("%+.2f", 100*(*c.Accuracy-*c.BaselineAccuracy))
		}
		classes.Rows = append(classes.Rows, []string{c.Class, fmt.Sprint(c.Rows), pctp(c.BaselineAccuracy), pctp(c.Accuracy), change})
	}
	return []finding.Table{metrics, classes}
}

// timingLine lists the stages' durations.
func (r *Report) timingLine() string {
	var parts []string
	for _, s := range []string{StageAttack, StageTrainClean, StageTrainPoisoned, StageEvaluate, "total"} {
		if v, ok := r.Timings[s]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f s", strings.ReplaceAll(s, "_", " "), v))
		}
	}
	return strings.Join(parts, " · ")
}

// WriteText renders the report as aligned tables, verdict first.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s\n%s\n\n", r.Verdict(), r.Headline())
	for _, t := range r.tables() {
		if err := t.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%s; model %s (%d parameters, %s kernels)\n", r.timingLine(), r.Architecture, r.Parameters, r.Backend)
	return err
}

// WriteMarkdown renders the report as a Markdown document.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# Poisoning drill: %s on %s\n\n**%s**\n\n%s.\n\n", r.Attack.Kind, r.Dataset, r.Verdict(), r.Headline())
	for _, t := range r.tables() {
		if err := t.WriteMarkdown(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "Model: %s, %d parameters (%s kernels). Timings: %s.\n", r.Architecture, r.Parameters, r.Backend, r.timingLine())
	return err
}

func pct(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }

func pctp(v *float64) string {
	if v == nil {
		return "–"
	}
	return pct(*v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
