package drill

import (
	"fmt"
	"io"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
)

// Verdict is a one-line judgement of the drill.
func (r *Report) Verdict() string {
	if r.After != nil {
		return r.defenceVerdict()
	}
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
		r.Attack.Kind, r.Dataset, r.PoisonedRows, r.TrainRows, pct(r.PoisonRate), r.Model, finding.Plural(r.Epochs, "epoch"))
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
	if r.After != nil {
		metrics.Header = append(metrics.Header, "after defence")
		metrics.Rows[0] = append(metrics.Rows[0], pct(r.After.CleanAccuracy))
		if r.AttackSuccessRate != nil && r.After.AttackSuccessRate != nil {
			metrics.Rows[1] = append(metrics.Rows[1], pct(*r.After.AttackSuccessRate))
		}
	}
	classes := finding.Table{Header: []string{"class", "test rows", "clean model", "poisoned model", "change (points)"}}
	for _, c := range r.PerClass {
		change := "–"
		if c.Accuracy != nil && c.BaselineAccuracy != nil {
			change = fmt.Sprintf("%+.2f", 100*(*c.Accuracy-*c.BaselineAccuracy))
		}
		classes.Rows = append(classes.Rows, []string{c.Class, fmt.Sprint(c.Rows), pctp(c.BaselineAccuracy), pctp(c.Accuracy), change})
	}
	tables := []finding.Table{metrics}
	if d := r.Detection; d != nil {
		det := finding.Table{Header: []string{"detection (" + d.Detector + ")", "tp", "fp", "fn", "tn", "precision", "recall", "fpr", "f1", "auroc"}}
		det.Rows = append(det.Rows, []string{"all rows", fmt.Sprint(d.TP), fmt.Sprint(d.FP), fmt.Sprint(d.FN), fmt.Sprint(d.TN),
			pctp(d.Precision), pctp(d.Recall), pctp(d.FPR), pctp(d.F1), ratiop(d.AUROC)})
		for _, c := range d.PerClass {
			if !c.Poisoned && c.TP+c.FP+c.FN == 0 {
				continue
			}
			name := "class " + c.Class
			if c.Poisoned {
				name += " (judged poisoned)"
			}
			det.Rows = append(det.Rows, []string{name, fmt.Sprint(c.TP), fmt.Sprint(c.FP), fmt.Sprint(c.FN), fmt.Sprint(c.TN),
				"", pctp(c.Recall), pctp(c.FPR), "", ""})
		}
		tables = append(tables, det)
	}
	return append(tables, classes)
}

func ratiop(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.4f", *v)
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

// defenceVerdict judges a defended drill by the retrained model.
func (r *Report) defenceVerdict() string {
	a := r.After
	base := fmt.Sprintf("removed %d rows, relabelled %d, %d of %d poisons untouched; clean accuracy %s after (clean model %s)",
		a.Removed, a.Relabelled, a.PoisonsLeft, r.PoisonedRows, pct(a.CleanAccuracy), pct(r.BaselineCleanAccuracy))
	switch {
	case r.AttackSuccessRate == nil:
		return "defence " + r.Detection.Detector + ": " + base
	case *a.AttackSuccessRate < 0.05:
		return fmt.Sprintf("the defence held: attack success %s → %s; %s", pct(*r.AttackSuccessRate), pct(*a.AttackSuccessRate), base)
	}
	return fmt.Sprintf("the backdoor survived the defence: attack success %s → %s; %s", pct(*r.AttackSuccessRate), pct(*a.AttackSuccessRate), base)
}
