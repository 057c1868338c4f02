// Command learn times poisonguard's reference learner against PyTorch on
// MNIST in the same run and prints a table for BENCHMARKS.md: seconds per
// training epoch (the fastest of -reps epochs), the ratio to PyTorch, and
// test accuracy after each epoch.
//
// Both sides train the same architecture with Adam (lr 1e-3), batch 128,
// pixels scaled to [0, 1], and the same thread count. PyTorch runs
// bench/torch/mnist_epoch.py under /usr/bin/python3 (Debian's
// python3-torch) with OPENBLAS_NUM_THREADS=1, as its measured best setting
// on two cores; it is skipped with a note when torch is missing.
//
//	go run ./bench/learn                      # MLP and CNN, 3 epochs each
//	go run ./bench/learn -models mlp -epochs 10
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/poisonguard/poisonguard/dataset/mnist"
	"github.com/poisonguard/poisonguard/internal/gemm"
	"github.com/poisonguard/poisonguard/learn"
)

func main() {
	models := flag.String("models", "mlp,cnn", "models to time: mlp, cnn")
	epochs := flag.Int("epochs", 3, "epochs to train each model (the fastest is reported)")
	threads := flag.Int("threads", 2, "threads on both sides")
	python := flag.String("python", "/usr/bin/python3", "Python with torch")
	script := flag.String("script", "bench/torch/mnist_epoch.py", "the PyTorch baseline")
	schedule := flag.String("schedule", "constant", "poisonguard's learning-rate schedule (PyTorch keeps a constant rate)")
	flag.Parse()

	train, test, err := mnist.Load(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	gemm.SetThreads(*threads)
	fmt.Printf("MNIST, %d training images, batch 128, Adam; %d threads; %s, %d cores; poisonguard kernels: %s\n\n",
		train.N, *threads, runtime.GOARCH, runtime.NumCPU(), gemm.Backend())
	fmt.Printf("%-5s  %-11s  %9s  %9s  %6s  %s\n", "model", "side", "best s/ep", "median", "ratio", "test accuracy by epoch")
	for _, name := range strings.Split(*models, ",") {
		cfg := learn.Config{Arch: learn.Arch(name), Inputs: train.D, Classes: 10}
		if cfg.Arch == learn.CNN {
			cfg.Shape = train.Shape
		}
		m, err := learn.New(cfg, 1)
		if err != nil {
			log.Fatal(err)
		}
		var secs, accs []float64
		_, err = m.Train(context.Background(), train, learn.TrainOptions{
			Epochs: *epochs, Seed: 1, Validation: test, Schedule: learn.Schedule(*schedule),
			OnEpoch: func(s learn.EpochStats) {
				secs = append(secs, s.Seconds)
				accs = append(accs, *s.ValAccuracy)
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		ours := row(name, "poisonguard", secs, accs, 0)
		torchSecs, torchAccs, version, err := runTorch(*python, *script, name, *epochs, *threads)
		if err != nil {
			fmt.Println(ours)
			fmt.Printf("%-5s  %-11s  skipped: %v\n", name, "pytorch", err)
			continue
		}
		fmt.Println(row(name, "poisonguard", secs, accs, slices.Min(secs)/slices.Min(torchSecs)))
		fmt.Println(row(name, "torch "+version, torchSecs, torchAccs, 1))
	}
}

// row formats one side's figures; ratio 0 leaves the ratio blank.
func row(model, side string, secs, accs []float64, ratio float64) string {
	sorted := slices.Sorted(slices.Values(secs))
	r := ""
	if ratio > 0 {
		r = fmt.Sprintf("%.2f×", ratio)
	}
	acc := make([]string, len(accs))
	for i, a := range accs {
		acc[i] = fmt.Sprintf("%.2f%%", 100*a)
	}
	return fmt.Sprintf("%-5s  %-11s  %9.2f  %9.2f  %6s  %s", model, side, sorted[0], sorted[len(sorted)/2], r, strings.Join(acc, " "))
}

// runTorch runs the PyTorch baseline and returns its per-epoch seconds
// and accuracies.
func runTorch(python, script, model string, epochs, threads int) (secs, accs []float64, version string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, "--model", model, "--epochs", fmt.Sprint(epochs),
		"--threads", fmt.Sprint(threads), "--warmup")
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=1", fmt.Sprintf("OMP_NUM_THREADS=%d", threads))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, "", fmt.Errorf("%v: %s", err, strings.TrimSpace(lastLine(stderr.String())))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e struct {
			Seconds  float64 `json:"train_seconds"`
			Accuracy float64 `json:"test_accuracy"`
			Torch    string  `json:"torch"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue
		}
		secs, accs, version = append(secs, e.Seconds), append(accs, e.Accuracy), e.Torch
	}
	if len(secs) == 0 {
		return nil, nil, "", fmt.Errorf("no epochs in the output of %s", script)
	}
	return secs, accs, version, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
