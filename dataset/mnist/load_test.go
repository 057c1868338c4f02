package mnist_test

import (
	"context"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/mnist"
)

func TestLoad(t *testing.T) {
	train, test, err := mnist.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	img := dataset.Shape{Height: 28, Width: 28, Channels: 1}
	for _, s := range []*dataset.Set{train, test} {
		if s.Shape != img || s.D != 784 || s.Classes != 10 || s.Min != 0 || s.Max != 255 {
			t.Errorf("shape %v, %d features, %d classes, range [%g, %g]", s.Shape, s.D, s.Classes, s.Min, s.Max)
		}
	}
	// The published class counts of the MNIST training set.
	want := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	for c, n := range train.ClassCounts() {
		if n != want[c] {
			t.Errorf("class %d: %d training images, want %d", c, n, want[c])
		}
	}
	if train.N != 60000 || test.N != 10000 {
		t.Errorf("%d training and %d test images", train.N, test.N)
	}
}
