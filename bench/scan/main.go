// Command scan measures poisonguard's poisoned-row detection on MNIST
// drills and prints the table behind BENCHMARKS.md: for each scenario, a
// poisoned MLP is trained (5 epochs, step schedule), the training set is
// scanned with the model's embeddings and the raw pixels as second view,
// the flagged rows are removed, the model retrained, and detection
// (precision, recall, FPR, AUROC) and the defended model (CA, ASR) are
// reported. A clean scenario checks that clean data flags no class.
//
//	go run ./bench/scan                     # every scenario, detector auto
//	go run ./bench/scan -scenarios bn10,lf10 -detector knn-label
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/drill"
	"github.com/poisonguard/poisonguard/learn"
)

type scenario struct {
	name string
	spec attack.Spec
}

var scenarios = []scenario{
	{"bn10", attack.Spec{Kind: attack.BadNets, Rate: 0.10}},
	{"bn5", attack.Spec{Kind: attack.BadNets, Rate: 0.05}},
	{"bn1", attack.Spec{Kind: attack.BadNets, Rate: 0.01}},
	{"bl5", attack.Spec{Kind: attack.Blended, Rate: 0.05}},
	{"sig5", attack.Spec{Kind: attack.SIG, Rate: 0.05}},
	{"bn5-t3-cb", attack.Spec{Kind: attack.BadNets, Rate: 0.05, Target: 3, Trigger: attack.Trigger{Pattern: "checkerboard", Position: "top-left", Size: 4}}},
	{"lf10", attack.Spec{Kind: attack.LabelFlip, Rate: 0.10}},
	{"tf35", attack.Spec{Kind: attack.TargetedFlip, Rate: 0.35, Source: 7, Target: 1}},
}

func main() {
	names := flag.String("scenarios", "clean,bn10,bn5,bn1,bl5,sig5,bn5-t3-cb,lf10,tf35", "scenarios to run")
	detector := flag.String("detector", detect.Auto, "detector")
	known := flag.Bool("known-rate", false, "give the defence the true poison rate (budget 1.5×)")
	epochs := flag.Int("epochs", 5, "training epochs")
	action := flag.String("action", drill.Remove, "what the defence does with flagged rows: remove or relabel")
	art := flag.Bool("art", false, "also score IBM ART's spectral-signature defaults on the same embeddings")
	flag.Parse()
	ctx := context.Background()
	data, err := drill.LoadData(ctx, drill.DataOptions{Dataset: "mnist"})
	if err != nil {
		log.Fatal(err)
	}
	base := drill.Options{
		Model:  learn.Config{Arch: learn.MLP},
		Train:  learn.TrainOptions{Epochs: *epochs, Schedule: learn.Step, Seed: 1},
		Defend: *detector,
		Action: *action,
	}
	clean, err := drill.TrainClean(ctx, data, base)
	if err != nil {
		log.Fatal(err)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\tpoisoned\tjudged poisoned\tflagged\tprecision\trecall\tFPR\tAUROC\tCA\tCA after\tASR\tASR after\tleft\tdetect s\t\n")
	for _, name := range strings.Split(*names, ",") {
		if name == "clean" {
			cleanRow(ctx, tw, data, clean, *detector)
			continue
		}
		var sc *scenario
		for i := range scenarios {
			if scenarios[i].name == name {
				sc = &scenarios[i]
			}
		}
		if sc == nil {
			log.Fatalf("unknown scenario %q", name)
		}
		o := base
		o.Attack = sc.spec
		o.Attack.Seed = 1
		if *known {
			o.ExpectedRate = sc.spec.Rate
		}
		out, err := drill.RunAgainst(ctx, data, o, clean)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		r := out.Report
		d, a := r.Detection, r.After
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.1f\t\n", name, r.PoisonedRows,
			strings.Join(d.PoisonedClasses, " "), d.TP+d.FP, pct(d.Precision), pct(d.Recall), pct(d.FPR), num(d.AUROC),
			pct(&r.CleanAccuracy), pct(&a.CleanAccuracy), pct(r.AttackSuccessRate), pct(a.AttackSuccessRate), a.PoisonsLeft, r.Timings[drill.StageDetect])
		tw.Flush()
		if *art {
			artSpectral(ctx, name, out)
		}
	}
}

// artSpectral scores IBM ART's SpectralSignatureDefense defaults on the
// drill's poisoned embeddings: in every class, the rows whose score is
// above the (1 − 1.5 × 0.33) quantile are removed (eps_multiplier 1.5,
// expected_pp_poison 0.33), clean classes included.
func artSpectral(ctx context.Context, name string, out *drill.Outcome) {
	set, m := out.Attack.Poisoned, out.Poisoned
	d := &detect.Data{
		Features: detect.Matrix{Data: m.Embed(set.X, set.N), Rows: set.N, Cols: m.EmbeddingSize()},
		Labels:   set.Y, Classes: set.Classes,
	}
	sc, err := detect.Spectral(ctx, d)
	if err != nil {
		log.Fatal(err)
	}
	var flagged []int
	for _, rows := range d.ClassIndex() {
		ranked := slices.Clone(rows)
		slices.SortFunc(ranked, func(a, b int) int { return cmp.Compare(sc.Row[b], sc.Row[a]) })
		flagged = append(flagged, ranked[:int(1.5*0.33*float64(len(rows)))]...)
	}
	c := detect.Compare(flagged, out.Attack.Indices, set.N)
	fmt.Printf("  %s, IBM ART spectral defaults: flagged %d, precision %.2f%%, recall %.2f%%, FPR %.2f%%, AUROC %.4f\n",
		name, len(flagged), 100*c.Precision(), 100*c.Recall(), 100*c.FPR(), detect.AUROC(sc.Row, out.Attack.Indices))
}

// cleanRow scans the clean training set with the clean model's embeddings.
func cleanRow(ctx context.Context, tw *tabwriter.Writer, data *drill.Data, clean *drill.Baseline, detector string) {
	set := data.Train
	m := clean.Model
	d := &detect.Data{
		Features: detect.Matrix{Data: m.Embed(set.X, set.N), Rows: set.N, Cols: m.EmbeddingSize()},
		Labels:   set.Y, Classes: set.Classes,
		Inputs: &detect.Matrix{Data: set.X, Rows: set.N, Cols: set.D}, InputShape: set.Shape,
	}
	rep, err := detect.Scan(ctx, d, detect.Options{Detector: detector, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var judged []string
	for _, c := range rep.Classes {
		if c.Poisoned {
			judged = append(judged, c.Name)
		}
	}
	acc := m.Evaluate(data.Test).Accuracy
	fmt.Fprintf(tw, "clean\t0\t%s\t%d\t–\t–\t%s\t–\t%s\t–\t–\t–\t0\t%.1f\t\n", strings.Join(judged, " "), len(rep.Suspicious),
		pct(ptr(float64(len(rep.Suspicious))/float64(set.N))), pct(&acc), rep.Summary.Seconds)
	tw.Flush()
}

func ptr(v float64) *float64 { return &v }

func pct(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f%%", 100**v)
}

func num(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.4f", *v)
}
