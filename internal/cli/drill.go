package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/drill"
	"github.com/poisonguard/poisonguard/internal/gemm"
	"github.com/poisonguard/poisonguard/learn"
)

func (a *app) drillCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Run poisoning drills: attack a staging copy, train, measure",
	}
	cmd.AddCommand(a.drillRunCommand(), a.drillSweepCommand())
	return cmd
}

// modelFlags choose the reference model and how it trains.
type modelFlags struct {
	arch      string
	hidden    []int
	epochs    int
	batch     int
	optimizer string
	lr        float64
	schedule  string
	threads   int
}

func (f *modelFlags) register(fs *pflag.FlagSet, epochs int) {
	fs.StringVar(&f.arch, "model", "mlp", "reference model: logreg, mlp or cnn")
	fs.IntSliceVar(&f.hidden, "hidden", nil, "hidden layer widths (mlp default 256,128; cnn dense default 128)")
	fs.IntVar(&f.epochs, "epochs", epochs, "training epochs")
	fs.IntVar(&f.batch, "batch-size", learn.DefaultBatchSize, "minibatch size")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "optimizer: adam or sgd")
	fs.Float64Var(&f.lr, "lr", 0, "learning rate (default 1e-3 for adam, 0.01 for sgd)")
	fs.StringVar(&f.schedule, "schedule", "step", "learning-rate schedule: constant, cosine or step (÷10 after half the epochs, ÷100 after three quarters)")
	fs.IntVar(&f.threads, "threads", 0, "threads for the matrix products (default: all cores)")
}

func (f *modelFlags) config() learn.Config {
	return learn.Config{Arch: learn.Arch(f.arch), Hidden: f.hidden}
}

func (f *modelFlags) train(seed uint64) learn.TrainOptions {
	gemm.SetThreads(f.threads)
	return learn.TrainOptions{
		Epochs: f.epochs, BatchSize: f.batch, Optimizer: learn.Optimizer(f.optimizer),
		LR: f.lr, Schedule: learn.Schedule(f.schedule), Seed: seed,
	}
}

// dataFlags say which data a drill runs on.
type dataFlags struct {
	dataset   string
	in        inputFlags
	testShare float64
}

func (f *dataFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.dataset, "dataset", "mnist", "mnist (shipped), fashion-mnist, a folder of MNIST-layout IDX files, or a labelled file")
	fs.StringVar(&f.in.label, "label", "", "label column of a CSV, Parquet or JSONL dataset")
	fs.StringVar(&f.in.labels, "labels", "", "labels file of an .npy dataset")
	fs.Float64Var(&f.testShare, "test-share", 0.2, "share of a single file's rows held out for testing")
}

func (f *dataFlags) load(ctx context.Context, seed uint64) (*drill.Data, error) {
	return drill.LoadData(ctx, drill.DataOptions{Dataset: f.dataset, Read: f.in.options(), TestShare: f.testShare, Seed: seed})
}

func (a *app) drillRunCommand() *cobra.Command {
	var (
		data       dataFlags
		atk        attackFlags
		model      modelFlags
		seed       uint64
		out        string
		defend     string
		policyPath string
		action     string
		rate       float64
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Poison a training set, train clean and poisoned models, report CA and ASR",
		Long: `Run poisons a copy of the training set with a known attack, trains a clean
and a poisoned reference model on the same split with the same seed, and
reports clean accuracy (the poisoned model on the clean test set), the
clean model's accuracy, the attack success rate (the share of triggered
test rows of other classes that the poisoned model gives the attacker's
class; label attacks report the accuracy drop instead), and per-class
accuracy.

The default drill is BadNets (a 3×3 white patch in the bottom-right
corner, all-to-one, target 0) on 10% of the shipped MNIST with an MLP
784-256-128-10. With --out DIR the poisoned data, the ground truth, both
models, the poisoned model's embeddings of the training rows and the
report (JSON and Markdown) are kept.

With --defend DETECTOR (auto, or one detector of data scan) the drill
then scans the poisoned training set — the poisoned model's embeddings,
with the raw rows as a second view — removes the rows it flags, retrains,
and reports the detection against the ground truth (TP, FP, FN, TN,
precision, recall, FPR, F1, AUROC, per class) and the model after the
defence (clean accuracy, attack success rate, poisons left). With
--defend-action relabel, flagged rows that look like another class are
relabelled as that class instead of removed: the retrained model then
sees the trigger on rows of every class, and unlearns it.`,
		Example: `  # The default drill on shipped MNIST
  poisonguard drill run

  # A blended-noise backdoor in 5% of Fashion-MNIST, kept for inspection
  poisonguard drill run --dataset fashion-mnist --attack blended --poison-rate 0.05 --out drill-blended

  # Defend: scan, remove what is flagged, retrain, re-measure
  poisonguard drill run --defend auto

  # Flip 20% of the labels of a tabular dataset and train logistic regression
  poisonguard drill run --dataset train.csv --label target --attack label-flip --poison-rate 0.2 --model logreg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			pf, err := loadPolicyFile(policyPath)
			if err != nil {
				return err
			}
			d, err := data.load(ctx, seed)
			if err != nil {
				return err
			}
			prog := a.newProgress("drill")
			defer prog.done()
			o, err := drill.Run(ctx, d, drill.Options{
				Attack:       atk.build(seed),
				Model:        model.config(),
				Train:        model.train(seed),
				Progress:     prog.steps,
				Defend:       defend,
				Action:       action,
				ExpectedRate: rate,
				Policy:       pf.Scan,
			})
			prog.done()
			if err != nil {
				return err
			}
			if out != "" {
				if err := drill.WriteDir(out, o); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(o.Report)
			}
			return o.Report.WriteText(a.stdout)
		},
	}
	fs := cmd.Flags()
	data.register(fs)
	atk.register(fs, "badnets")
	model.register(fs, 5)
	fs.Uint64Var(&seed, "seed", 1, "seed of the attack, the split and the training")
	fs.StringVarP(&out, "out", "o", "", "folder to keep the poisoned data, models, embeddings and report in")
	fs.StringVar(&defend, "defend", "", "scan with this detector (auto, spectral, ...), remove what it flags, retrain, re-measure")
	fs.StringVar(&action, "defend-action", drill.Remove, "what the defence does with a flagged row: remove, or relabel it as the class it looks like")
	fs.Float64Var(&rate, "expected-poison-rate", 0, "poison rate the defence may assume (sets its removal budget); 0: estimate")
	fs.StringVar(&policyPath, "policy", "", "policy file whose scan section sets the defence's thresholds")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// stageNames are the progress bar's descriptions of a drill's stages.
var stageNames = map[string]string{
	drill.StageTrainClean:    "training the clean model",
	drill.StageTrainPoisoned: "training the poisoned model",
	drill.StageRetrain:       "retraining without flagged rows",
}

func stageName(s string) string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return strings.ReplaceAll(s, "_", " ")
}

func (a *app) drillSweepCommand() *cobra.Command {
	var (
		data    dataFlags
		atk     attackFlags
		model   modelFlags
		attacks []string
		rates   []float64
		seed    uint64
		plotTo  string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run a grid of attacks × poison rates; print a table and draw a plot",
		Long: `Sweep trains the clean reference model once, then runs a drill for every
attack and poison rate, and prints clean accuracy, accuracy drop and attack
success rate of each. With --plot FILE.png or FILE.svg it draws both
against the poison rate. Trigger flags (--patch-size, --alpha, ...) apply
to every attack that uses them.`,
		Example: `  # The default grid on MNIST, with a plot
  poisonguard drill sweep --plot sweep.svg

  # BadNets and SIG at low rates on Fashion-MNIST with the CNN
  poisonguard drill sweep --dataset fashion-mnist --attacks badnets,sig --rates 0.001,0.005,0.01 --model cnn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if plotTo != "" {
				if _, err := drill.PlotFormat(plotTo); err != nil {
					return usageError{err}
				}
			}
			ctx := cmd.Context()
			d, err := data.load(ctx, seed)
			if err != nil {
				return err
			}
			kinds := make([]attack.Kind, len(attacks))
			for i, k := range attacks {
				kinds[i] = attack.Kind(k)
			}
			prog := a.newProgress("sweep")
			defer prog.done()
			res, err := drill.Sweep(ctx, d, drill.SweepOptions{
				Options: drill.Options{
					Attack:   atk.build(seed),
					Model:    model.config(),
					Train:    model.train(seed),
					Progress: prog.steps,
				},
				Attacks: kinds,
				Rates:   rates,
			})
			prog.done()
			if err != nil {
				return err
			}
			if plotTo != "" {
				if err := res.WritePlot(plotTo); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			if err := res.WriteText(a.stdout); err != nil {
				return err
			}
			if plotTo != "" {
				fmt.Fprintf(a.stdout, "plot: %s\n", plotTo)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	data.register(fs)
	atk.register(fs, "")
	fs.MarkHidden("attack")
	fs.MarkHidden("poison-rate")
	model.register(fs, 3)
	defaultAttacks := make([]string, len(drill.DefaultSweepAttacks))
	for i, k := range drill.DefaultSweepAttacks {
		defaultAttacks[i] = string(k)
	}
	fs.StringSliceVar(&attacks, "attacks", defaultAttacks, "attacks to try")
	fs.Float64SliceVar(&rates, "rates", drill.DefaultSweepRates, "poison rates to try")
	fs.Uint64Var(&seed, "seed", 1, "seed of the attacks, the split and the training")
	fs.StringVar(&plotTo, "plot", "", "draw CA and ASR against the poison rate to this .png or .svg file")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
