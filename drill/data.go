package drill

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/mnist"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// the Fashion-MNIST files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// Data is a drill's training and test sets.
type Data struct {
	Name        string
	Train, Test *dataset.Set
}

// DataOptions say where a drill's data comes from.
type DataOptions struct {
	// Dataset is "mnist" (shipped), "fashion-mnist" (Debian's package),
	// a folder of IDX files in the MNIST layout, or a labelled file.
	Dataset string
	// Read tells how to read a labelled file (label column or labels file).
	Read dataset.Options
	// TestShare is the share of a single file's rows held out for testing
	// (default 0.2), split per class.
	TestShare float64
	Seed      uint64
}

// idxNames are the file names of the MNIST layout, tried raw and gzipped.
var idxNames = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// LoadData reads the drill's data.
func LoadData(ctx context.Context, o DataOptions) (*Data, error) {
	switch o.Dataset {
	case "", "mnist":
		train, test, err := mnist.Load(ctx)
		if err != nil {
			return nil, err
		}
		return &Data{Name: "mnist", Train: train, Test: test}, nil
	case "fashion-mnist":
		d, err := loadIDXDir(ctx, FashionMNISTDir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("fashion-mnist: %s not found: install Debian's dataset-fashion-mnist or pass its folder as --dataset", FashionMNISTDir)
		}
		if err != nil {
			return nil, err
		}
		d.Name = "fashion-mnist"
		return d, nil
	}
	info, err := os.Stat(o.Dataset)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return loadIDXDir(ctx, o.Dataset)
	}
	set, err := dataset.LoadFile(ctx, o.Dataset, o.Read)
	if err != nil {
		return nil, err
	}
	share := o.TestShare
	if share == 0 {
		share = 0.2
	}
	train, test, err := Split(set, share, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Dataset, err)
	}
	return &Data{Name: filepath.Base(o.Dataset), Train: train, Test: test}, nil
}

// loadIDXDir reads the four MNIST-layout files of a folder.
func loadIDXDir(ctx context.Context, dir string) (*Data, error) {
	var paths [4]string
	for i, name := range idxNames {
		for _, cand := range []string{name + ".gz", name} {
			p := filepath.Join(dir, cand)
			if _, err := os.Stat(p); err == nil {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			return nil, fmt.Errorf("%s: no %s[.gz] (a dataset folder holds the four MNIST-layout IDX files): %w", dir, name, os.ErrNotExist)
		}
	}
	train, test, err := mnist.LoadDir(ctx, paths[0], paths[1], paths[2], paths[3])
	if err != nil {
		return nil, err
	}
	return &Data{Name: filepath.Base(dir), Train: train, Test: test}, nil
}

// Split holds out a share of each class's rows (seeded) as a test set.
func Split(s *dataset.Set, testShare float64, seed uint64) (train, test *dataset.Set, err error) {
	if !(testShare > 0 && testShare < 1) {
		return nil, nil, fmt.Errorf("test share %g out of range (0, 1)", testShare)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5b1d))
	byClass := make([][]int, s.Classes)
	for i, y := range s.Y {
		byClass[y] = append(byClass[y], i)
	}
	var tr, te []int
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		cut := int(float64(len(rows))*testShare + 0.5)
		te, tr = append(te, rows[:cut]...), append(tr, rows[cut:]...)
	}
	if len(tr) == 0 || len(te) == 0 {
		return nil, nil, fmt.Errorf("%d rows are too few to split into training and test sets", s.N)
	}
	slices.Sort(tr)
	slices.Sort(te)
	return s.Subset(tr), s.Subset(te), nil
}
