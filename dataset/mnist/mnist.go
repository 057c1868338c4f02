// Package mnist ships the MNIST handwritten digit database (60000 training
// and 10000 test images of 28x28 grey pixels, with their labels) inside
// the binary, so that drills and demos run without a download.
//
// The files are the original gzipped IDX files; Extract writes them to a
// folder where every command reads them like any other IDX file.
package mnist

import (
	"context"

	"embed"
	"fmt"
	"github.com/poisonguard/poisonguard/dataset"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The names of the four files in FS and in the folder Extract fills.
const (
	TrainImages = "train-images-idx3-ubyte.gz"
	TrainLabels = "train-labels-idx1-ubyte.gz"
	TestImages  = "t10k-images-idx3-ubyte.gz"
	TestLabels  = "t10k-labels-idx1-ubyte.gz"
)

//go:embed data/*.gz
var data embed.FS

// FS returns the four files, by the names above.
func FS() fs.FS {
	sub, err := fs.Sub(data, "data")
	if err != nil {
		// "data" is a valid path, so fs.Sub cannot fail.
		return data
	}
	return sub
}

// Extract writes the four files to dir, creating it if needed, and
// returns their paths. Each file is written to a temporary file in dir and
// renamed into place, so a reader never sees a partial file.
func Extract(dir string) (trainImages, trainLabels, testImages, testLabels string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", "", "", fmt.Errorf("extract mnist: %w", err)
	}
	names := []string{TrainImages, TrainLabels, TestImages, TestLabels}
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		if err := extract(FS(), name, paths[i]); err != nil {
			return "", "", "", "", fmt.Errorf("extract mnist: %w", err)
		}
	}
	return paths[0], paths[1], paths[2], paths[3], nil
}

// extract copies name from fsys to path atomically.
func extract(fsys fs.FS, name, path string) (err error) {
	src, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+name+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, src); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Load reads the shipped training and test sets into memory: 28×28×1
// images with pixel values 0..255 and labels 0..9.
func Load(ctx context.Context) (train, test *dataset.Set, err error) {
	dir, err := os.MkdirTemp("", "poisonguard-mnist-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	trImg, trLab, teImg, teLab, err := Extract(dir)
	if err != nil {
		return nil, nil, err
	}
	return LoadDir(ctx, trImg, trLab, teImg, teLab)
}

// LoadDir reads a training and a test set of IDX image and label files
// (raw or gzipped), the layout MNIST and Fashion-MNIST share.
func LoadDir(ctx context.Context, trainImages, trainLabels, testImages, testLabels string) (train, test *dataset.Set, err error) {
	if train, err = dataset.LoadFile(ctx, trainImages, dataset.Options{LabelsFile: trainLabels}); err != nil {
		return nil, nil, err
	}
	if test, err = dataset.LoadFile(ctx, testImages, dataset.Options{LabelsFile: testLabels}); err != nil {
		return nil, nil, err
	}
	if train.Shape != test.Shape || train.D != test.D {
		return nil, nil, fmt.Errorf("training images of %v and test images of %v differ", train.Shape, test.Shape)
	}
	return train, test, nil
}
