package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/cli"
	"github.com/poisonguard/poisonguard/internal/format/idx"
)

// writeGzipIDX writes an IDX file, gzipped.
func writeGzipIDX(t *testing.T, path string, dims []int, data []uint8) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := idx.Write(zw, dims, data); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAttackApplyIDX poisons gzipped MNIST-layout files with BadNets and
// checks the copy: same names, gzipped, the 3×3 bottom-right patch white
// and the label the target on exactly the rows poisoned.npy names, every
// other row untouched.
func TestAttackApplyIDX(t *testing.T) {
	dir := t.TempDir()
	const n, side = 200, 10
	rng := rand.New(rand.NewPCG(1, 2))
	pix, labels := make([]uint8, n*side*side), make([]uint8, n)
	for i := range pix {
		pix[i] = uint8(rng.IntN(200))
	}
	for i := range labels {
		labels[i] = uint8(i % 4)
	}
	images, lab := filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz")
	writeGzipIDX(t, images, []int{n, side, side}, pix)
	writeGzipIDX(t, lab, []int{n}, labels)

	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"attack", "apply", images, "--labels", lab, "--target", "2", "-o", out, "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var summary struct {
		Poisoned int `json:"poisoned_rows"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &summary); err != nil || summary.Poisoned != 20 {
		t.Fatalf("summary %s: %v", stdout.String(), err)
	}
	got, err := dataset.LoadFile(context.Background(), filepath.Join(out, "train-images-idx3-ubyte.gz"),
		dataset.Options{LabelsFile: filepath.Join(out, "train-labels-idx1-ubyte.gz")})
	if err != nil {
		t.Fatal(err)
	}
	idxSet, err := dataset.LoadFile(context.Background(), filepath.Join(out, "poisoned.npy"), dataset.Options{})
	if err == nil || idxSet != nil {
		// poisoned.npy is a 1-D array of indices, not a feature table.
		t.Fatal("poisoned.npy read as a feature table")
	}
	poisoned := readIndices(t, filepath.Join(out, "poisoned.npy"))
	if len(poisoned) != 20 {
		t.Fatalf("%d indices", len(poisoned))
	}
	isPoisoned := map[int]bool{}
	for _, i := range poisoned {
		isPoisoned[i] = true
	}
	for i := range n {
		row := got.Row(i)
		orig := pix[i*side*side : (i+1)*side*side]
		if !isPoisoned[i] {
			for j, v := range row {
				if v != float32(orig[j]) {
					t.Fatalf("untouched row %d changed at %d", i, j)
				}
			}
			if got.Names[got.Y[i]] != string(rune('0'+labels[i])) {
				t.Fatalf("untouched row %d relabelled", i)
			}
			continue
		}
		if labels[i] == 2 || got.Names[got.Y[i]] != "2" {
			t.Errorf("poisoned row %d: label %d → %s", i, labels[i], got.Names[got.Y[i]])
		}
		for y := side - 3; y < side; y++ {
			for x := side - 3; x < side; x++ {
				if row[y*side+x] != 255 {
					t.Fatalf("poisoned row %d: pixel (%d, %d) = %g, want 255", i, x, y, row[y*side+x])
				}
			}
		}
	}
	var spec attack.Spec
	raw, _ := os.ReadFile(filepath.Join(out, "attack.json"))
	if err := json.Unmarshal(raw, &spec); err != nil || spec.Kind != attack.BadNets || spec.Target != 2 || spec.Trigger.Size != 3 {
		t.Errorf("attack.json %s: %v", raw, err)
	}
}

// readIndices reads poisoned.npy through the labels reader, which takes
// 1-D integer arrays.
func readIndices(t *testing.T, path string) []int {
	t.Helper()
	r, err := dataset.OpenLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int
	for {
		vals, err := r.Read(1024)
		for _, v := range vals {
			var i int
			if err := json.Unmarshal([]byte(v), &i); err != nil {
				t.Fatal(err)
			}
			out = append(out, i)
		}
		if err != nil {
			return out
		}
	}
}
