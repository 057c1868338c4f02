package mnist_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/mnist"
)

// The known answers below were computed with NumPy from the same files
// (np.bincount of the labels; the sum of all pixel bytes).
var (
	trainCounts = []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	testCounts  = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
)

func TestExtractAndRead(t *testing.T) {
	dir := t.TempDir()
	trainImages, trainLabels, testImages, testLabels, err := mnist.Extract(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		images, labels string
		rows           int
		counts         []int
		pixelSum       float64
		firstLabels    []string
	}{
		{"train", trainImages, trainLabels, 60000, trainCounts, 1567298545, []string{"5", "0", "4", "1", "9"}},
		{"test", testImages, testLabels, 10000, testCounts, 264923200, []string{"7", "2", "1", "0", "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := dataset.Open(tc.images, dataset.Options{LabelsFile: tc.labels})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			cols := src.Schema().Columns
			if len(cols) != 784 || cols[0].Name != "px0" || cols[783].Name != "px783" {
				t.Fatalf("%d columns from %s to %s", len(cols), cols[0].Name, cols[len(cols)-1].Name)
			}
			counts := make([]int, 10)
			var first []string
			rows, sum := 0, 0.0
			for {
				b, err := src.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range b.Labels {
					if len(l) != 1 || l[0] < '0' || l[0] > '9' {
						t.Fatalf("label %q", l)
					}
					counts[l[0]-'0']++
				}
				if first == nil {
					first = b.Labels[:5]
				}
				for _, c := range b.Cols {
					for _, v := range c.Num[:b.Rows] {
						sum += v
					}
				}
				rows += b.Rows
			}
			if rows != tc.rows {
				t.Errorf("%d rows, want %d", rows, tc.rows)
			}
			if !slices.Equal(counts, tc.counts) {
				t.Errorf("label counts %v, want %v", counts, tc.counts)
			}
			if sum != tc.pixelSum {
				t.Errorf("pixel sum %v, want %v", sum, tc.pixelSum)
			}
			if !slices.Equal(first, tc.firstLabels) {
				t.Errorf("first labels %q, want %q", first, tc.firstLabels)
			}
		})
	}
}

func TestExtractReplaces(t *testing.T) {
	dir := t.TempDir()
	_, trainLabels, _, _, err := mnist.Extract(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(trainLabels, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := mnist.Extract(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(trainLabels)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fs.ReadFile(mnist.FS(), mnist.TrainLabels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("Extract left a changed file in place")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("%d entries in the folder, want the 4 files and no temporary ones", len(entries))
	}
}
