package profile_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/example"
	"github.com/poisonguard/poisonguard/internal/format/npy"
	"github.com/poisonguard/poisonguard/profile"
)

// The same data in CSV, float32 .npy with an .npy of labels, JSONL and
// Parquet has one fingerprint and one row set: the fingerprint is stable
// across formats, as docs/profile-format.md promises.
func TestFingerprintStableAcrossFormats(t *testing.T) {
	tb := loadExample(t, example.Diabetes)
	dir := t.TempDir()
	paths := map[string]dataset.Options{}

	csvPath := filepath.Join(dir, "d.csv")
	raw, _ := os.ReadFile(filepath.Join("..", "dataset", "example", example.Diabetes))
	os.WriteFile(csvPath, raw, 0o644)
	paths[csvPath] = dataset.Options{Label: "target"}

	// float32 features: the canonical form rounds numbers to float32.
	x := make([]float32, 0, len(tb.rows)*len(tb.names))
	y := make([]int64, 0, len(tb.rows))
	for i, r := range tb.rows {
		for _, v := range r {
			x = append(x, float32(v))
		}
		var lab int64
		fmt.Sscan(tb.labels[i], &lab)
		y = append(y, lab)
	}
	writeNPY(t, filepath.Join(dir, "x.npy"), []int64{int64(len(tb.rows)), int64(len(tb.names))}, x)
	writeNPY(t, filepath.Join(dir, "y.npy"), []int64{int64(len(y))}, y)
	paths[filepath.Join(dir, "x.npy")] = dataset.Options{LabelsFile: filepath.Join(dir, "y.npy")}

	var jl strings.Builder
	for i, r := range tb.rows {
		jl.WriteString("{")
		for j, v := range r {
			fmt.Fprintf(&jl, "%q: %v, ", tb.names[j], v)
		}
		fmt.Fprintf(&jl, "\"target\": %s}\n", tb.labels[i])
	}
	os.WriteFile(filepath.Join(dir, "d.jsonl"), []byte(jl.String()), 0o644)
	paths[filepath.Join(dir, "d.jsonl")] = dataset.Options{Label: "target"}

	pq := filepath.Join(dir, "d.parquet")
	writeParquet(t, pq, tb)
	paths[pq] = dataset.Options{Label: "target"}

	var want string
	for path, opts := range paths {
		src, err := dataset.Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.FromSource(context.Background(), src, profile.Options{})
		src.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := fmt.Sprintf("%s rows=%d distinct=%d", p.Fingerprint, p.Rows, p.RowHashes.Len())
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("%s: %s, other formats %s", filepath.Base(path), got, want)
		}
	}
}

func writeNPY[T float32 | int64](t *testing.T, path string, shape []int64, data []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	if err := npy.Write(w, shape, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// diabetesRow is the diabetes table as a Parquet schema, in file order.
type diabetesRow struct {
	Age    float64 `parquet:"age"`
	Sex    float64 `parquet:"sex"`
	BMI    float64 `parquet:"bmi"`
	BP     float64 `parquet:"bp"`
	S1     float64 `parquet:"s1"`
	S2     float64 `parquet:"s2"`
	S3     float64 `parquet:"s3"`
	S4     float64 `parquet:"s4"`
	S5     float64 `parquet:"s5"`
	S6     float64 `parquet:"s6"`
	Target int64   `parquet:"target"`
}

// writeParquet writes the diabetes table with double features and an
// int64 target, columns in the CSV's order.
func writeParquet(t *testing.T, path string, tb table) {
	t.Helper()
	rows := make([]diabetesRow, len(tb.rows))
	for i, r := range tb.rows {
		rows[i] = diabetesRow{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], 0}
		fmt.Sscan(tb.labels[i], &rows[i].Target)
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
}

// A source that declares more rows than the exact limit (.npy, Parquet,
// IDX) has its continuous columns sketched from the start, even one whose
// finite values would have fitted: "sparse" has 5,000 distinct finite
// values in 10,000 rows, against a limit of 6,000. A few-valued column
// stays exact all the same, and a CSV of the same data, whose row count is
// unknown up front, keeps "sparse" exact.
func TestDeclaredRowsSkipTheExactStore(t *testing.T) {
	const rows = 10_000
	x := make([]float32, 0, rows*2)
	var csv strings.Builder
	csv.WriteString("sparse,code\n")
	for i := range rows {
		sparse := float32(math.NaN())
		if i%2 == 0 {
			sparse = float32(i) * 1.5
		}
		x = append(x, sparse, float32(i%7))
		if sparse == sparse {
			fmt.Fprintf(&csv, "%v,%d\n", sparse, i%7)
		} else {
			fmt.Fprintf(&csv, "NaN,%d\n", i%7)
		}
	}
	dir := t.TempDir()
	npyPath, csvPath := filepath.Join(dir, "x.npy"), filepath.Join(dir, "x.csv")
	writeNPY(t, npyPath, []int64{rows, 2}, x)
	os.WriteFile(csvPath, []byte(csv.String()), 0o644)
	for path, wantExact := range map[string]bool{npyPath: false, csvPath: true} {
		src, err := dataset.Open(path, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.FromSource(context.Background(), src, profile.Options{ExactLimit: 6_000})
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		sparse, code := p.Columns[0], p.Columns[1]
		if sparse.Exact() != wantExact || sparse.Moments.N != rows/2 {
			t.Errorf("%s: sparse exact=%v (want %v), %d values", filepath.Base(path), sparse.Exact(), wantExact, sparse.Moments.N)
		}
		if !code.Exact() || code.Values.N() != rows {
			t.Errorf("%s: the few-valued column is not exact", filepath.Base(path))
		}
	}
}
