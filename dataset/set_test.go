package dataset_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadNumbersClasses(t *testing.T) {
	// Text labels are numbered in sorted order; integer labels 0..K-1
	// keep their numbers even when a class is absent.
	p := writeFile(t, "a.csv", "x,y,label\n1,2,cat\n3,4,ant\n5,6,cat\n")
	s, err := dataset.LoadFile(context.Background(), p, dataset.Options{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.D != 2 || !slices.Equal(s.Names, []string{"ant", "cat"}) || !slices.Equal(s.Y, []int{1, 0, 1}) {
		t.Fatalf("got N=%d D=%d names %v labels %v", s.N, s.D, s.Names, s.Y)
	}
	if !slices.Equal(s.Columns, []string{"x", "y"}) || s.Min != 1 || s.Max != 6 || s.Shape.IsImage() {
		t.Errorf("columns %v, range [%g, %g], shape %v", s.Columns, s.Min, s.Max, s.Shape)
	}
	p = writeFile(t, "b.csv", "x,label\n1,0\n2,3\n3,10\n")
	s, err = dataset.LoadFile(context.Background(), p, dataset.Options{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 11 || !slices.Equal(s.Y, []int{0, 3, 10}) {
		t.Errorf("integer labels: %d classes, labels %v", s.Classes, s.Y)
	}
}

func TestLoadRefuses(t *testing.T) {
	for name, content := range map[string]string{
		"missing value": "x,label\n1,0\n,1\n",
		"missing label": "x,label\n1,0\n2,\n",
		"text feature":  "x,label\na,0\nb,1\n",
	} {
		p := writeFile(t, "c.csv", content)
		if _, err := dataset.LoadFile(context.Background(), p, dataset.Options{Label: "label"}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	p := writeFile(t, "d.csv", "x,y\n1,2\n")
	if _, err := dataset.LoadFile(context.Background(), p, dataset.Options{}); err == nil || !strings.Contains(err.Error(), "no labels") {
		t.Errorf("unlabelled data: %v", err)
	}
}

// TestWriteReadBack writes a set in every writable format and reads it
// back unchanged.
func TestWriteReadBack(t *testing.T) {
	img := &dataset.Set{
		X: []float32{0, 255, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 9, 9, 9},
		Y: []int{2, 0}, N: 2, D: 9, Classes: 3, Names: []string{"0", "1", "2"},
		Shape: dataset.Shape{Height: 3, Width: 3, Channels: 1},
	}
	tab := &dataset.Set{
		X: []float32{0.5, -2, 1e6, 3.25}, Y: []int{1, 0}, N: 2, D: 2, Classes: 2,
		Names: []string{"bad \"one\"", "good"}, Columns: []string{"a", "b,c"},
	}
	for _, tc := range []struct {
		set    *dataset.Set
		format dataset.Format
		ext    string
	}{
		{img, dataset.FormatNPY, ".npy"}, {img, dataset.FormatIDX, ".idx"},
		{tab, dataset.FormatCSV, ".csv"}, {tab, dataset.FormatJSONL, ".jsonl"}, {tab, dataset.FormatParquet, ".parquet"},
		{img, dataset.FormatParquet, ".parquet"},
	} {
		dir := t.TempDir()
		var feat, lab bytes.Buffer
		if err := dataset.WriteFeatures(&feat, tc.set, tc.format, "label"); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		fp := filepath.Join(dir, "x"+tc.ext)
		os.WriteFile(fp, feat.Bytes(), 0o644)
		opts := dataset.Options{Label: "label", Format: tc.format}
		if tc.format == dataset.FormatNPY || tc.format == dataset.FormatIDX {
			if err := dataset.WriteLabels(&lab, tc.set, tc.format); err != nil {
				t.Fatal(err)
			}
			lp := filepath.Join(dir, "y"+tc.ext)
			os.WriteFile(lp, lab.Bytes(), 0o644)
			opts = dataset.Options{LabelsFile: lp, Format: tc.format}
		}
		got, err := dataset.LoadFile(context.Background(), fp, opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if tc.format == dataset.FormatParquet && !slices.Equal(got.Columns, tc.set.Columns) && tc.set.Columns != nil {
			t.Errorf("parquet: columns %v, want %v", got.Columns, tc.set.Columns)
		}
		if !slices.Equal(got.X, tc.set.X) || (got.Shape != tc.set.Shape && tc.format != dataset.FormatParquet) {
			t.Errorf("%s: features %v shape %v, want %v %v", tc.format, got.X, got.Shape, tc.set.X, tc.set.Shape)
		}
		for i, y := range got.Y {
			if got.Names[y] != tc.set.Names[tc.set.Y[i]] {
				t.Errorf("%s: row %d label %q, want %q", tc.format, i, got.Names[y], tc.set.Names[tc.set.Y[i]])
			}
		}
	}
}

func TestLoadFeaturesAndLabels(t *testing.T) {
	p := writeFile(t, "x.csv", "a,b\n1,2\n3,4\n")
	s, err := dataset.LoadFeaturesFile(context.Background(), p, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.D != 2 || s.Y != nil || !slices.Equal(s.X, []float32{1, 2, 3, 4}) {
		t.Errorf("got %+v", s)
	}
	lp := writeFile(t, "y.csv", "label\nb\na\nb\n")
	y, names, err := dataset.ReadLabels(lp)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y, []int{1, 0, 1}) || !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("labels %v names %v", y, names)
	}
}
