package dataset_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	pq "github.com/parquet-go/parquet-go"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// Reading ahead with NextInto — two batches the caller owns, filled in
// turn, the older one kept while the next is decoded — gives exactly the
// batches Next gives, for every source that decodes in place (.npy, with
// and without a labels file, IDX, Parquet with labels and ids), and a
// batch stays intact while the next one is filled.
func TestNextIntoMatchesNext(t *testing.T) {
	dir := t.TempDir()
	x := make([]float64, 1000*3)
	for i := range x {
		x[i] = math.Sin(float64(i)) * 100
	}
	x[7] = math.NaN()
	npyPath := filepath.Join(dir, "x.npy")
	writeBody(t, npyPath, func(w io.Writer) error { return npy.Write(w, []int64{1000, 3}, x) })
	y := make([]int64, 1000)
	for i := range y {
		y[i] = int64(i % 5)
	}
	labelsPath := filepath.Join(dir, "y.npy")
	writeBody(t, labelsPath, func(w io.Writer) error { return npy.Write(w, []int64{1000}, y) })

	idxPath := filepath.Join(dir, "x.idx")
	writeBody(t, idxPath, func(w io.Writer) error {
		head := []byte{0, 0, 8, 3}
		for _, d := range []uint32{500, 2, 2} {
			head = binary.BigEndian.AppendUint32(head, d)
		}
		body := make([]byte, 500*4)
		for i := range body {
			body[i] = byte(i * 7)
		}
		_, err := w.Write(append(head, body...))
		return err
	})

	rows := make([]pqRow, 300)
	for i := range rows {
		rows[i] = makePQRow(i)
	}
	pqPath := writeParquet(t, rows, pq.MaxRowsPerRowGroup(60), pq.PageBufferSize(200))

	for _, c := range []struct {
		name string
		path string
		opts dataset.Options
	}{
		{"npy", npyPath, dataset.Options{BatchRows: 64}},
		{"npy with labels", npyPath, dataset.Options{BatchRows: 100, LabelsFile: labelsPath}},
		{"idx", idxPath, dataset.Options{BatchRows: 33}},
		{"parquet with label and id", pqPath, dataset.Options{BatchRows: 13, Label: "y", ID: "id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := readAll(t, c.path, c.opts, func(ctx context.Context, src dataset.Source, dst *dataset.Batch) error {
				b, err := src.Next(ctx)
				if err == nil {
					b.CopyTo(dst)
				}
				return err
			})
			src, err := dataset.Open(c.path, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if _, ok := src.(dataset.Filler); !ok {
				t.Fatalf("%T does not decode in place", src)
			}
			var pair [2]dataset.Batch
			for k := 0; ; k++ {
				err := dataset.NextInto(context.Background(), src, &pair[k%2])
				if errors.Is(err, io.EOF) {
					if k != len(want) {
						t.Fatalf("%d batches, want %d", k, len(want))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if k >= len(want) || !sameBatch(&pair[k%2], &want[k]) {
					t.Fatalf("batch %d differs from Next's", k)
				}
				if k > 0 && !sameBatch(&pair[(k-1)%2], &want[k-1]) {
					t.Fatalf("filling batch %d changed batch %d", k, k-1)
				}
			}
		})
	}
}

func writeBody(t *testing.T, path string, fill func(io.Writer) error) {
	t.Helper()
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every batch of a file into batches of its own.
func readAll(t *testing.T, path string, opts dataset.Options, next func(context.Context, dataset.Source, *dataset.Batch) error) []dataset.Batch {
	t.Helper()
	src, err := dataset.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []dataset.Batch
	for {
		var b dataset.Batch
		if err := next(context.Background(), src, &b); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func sameBatch(a, b *dataset.Batch) bool {
	if a.Offset != b.Offset || a.Rows != b.Rows || len(a.Cols) != len(b.Cols) ||
		!slices.Equal(a.Labels, b.Labels) || !slices.Equal(a.IDs, b.IDs) {
		return false
	}
	for j := range a.Cols {
		if !slices.Equal(a.Cols[j].Str, b.Cols[j].Str) || len(a.Cols[j].Num) != len(b.Cols[j].Num) {
			return false
		}
		for i, v := range a.Cols[j].Num {
			if math.Float64bits(v) != math.Float64bits(b.Cols[j].Num[i]) {
				return false
			}
		}
	}
	return true
}
