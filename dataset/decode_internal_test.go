package dataset

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// decodeArrayRowsUntiled is decodeArrayRows without tiles: each column
// read down the whole batch, the baseline of BenchmarkDecodeArrayRows.
func decodeArrayRowsUntiled(b *Batch, dt npy.DType, raw []byte, n int) {
	rowBytes := len(b.Cols) * dt.Size
	for j := range b.Cols {
		b.Cols[j].Num = b.Cols[j].Num[:n]
		dt.DecodeStrided(b.Cols[j].Num, raw[j*dt.Size:], rowBytes)
	}
}

// arrayBytes returns rows×cols random values as a little-endian .npy body
// of the given float type, and its dtype.
func arrayBytes(t testing.TB, rows, cols int, float32s bool) ([]byte, npy.DType) {
	rng := rand.New(rand.NewPCG(1, uint64(cols)))
	var buf bytes.Buffer
	var err error
	if float32s {
		data := make([]float32, rows*cols)
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		err = npy.Write(&buf, []int64{int64(rows), int64(cols)}, data)
	} else {
		data := make([]float64, rows*cols)
		for i := range data {
			data[i] = rng.NormFloat64()
		}
		err = npy.Write(&buf, []int64{int64(rows), int64(cols)}, data)
	}
	if err != nil {
		t.Fatal(err)
	}
	h, err := npy.ReadHeader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	return raw[len(raw)-rows*cols*h.DType.Size:], h.DType
}

// Tiled decoding gives exactly what column-by-column decoding gives, for
// batches that are and are not a whole number of tiles.
func TestDecodeArrayRowsTiled(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		f32        bool
	}{{4096, 50, false}, {1000, 784, true}, {7, 3, false}, {129, 1, true}} {
		raw, dt := arrayBytes(t, c.rows, c.cols, c.f32)
		got, want := newArrayBatch(c.cols, c.rows), newArrayBatch(c.cols, c.rows)
		decodeArrayRows(&got, dt, raw, c.rows)
		decodeArrayRowsUntiled(&want, dt, raw, c.rows)
		for j := range want.Cols {
			for i, x := range want.Cols[j].Num {
				if got.Cols[j].Num[i] != x {
					t.Fatalf("%d×%d: row %d column %d is %v, want %v", c.rows, c.cols, i, j, got.Cols[j].Num[i], x)
				}
			}
		}
	}
}

// BenchmarkDecodeArrayRows decodes one batch of row-major values into
// columns, tiled and untiled: the batches of a 50-column float64 array
// (1.6 MB) and of an MNIST-shaped float32 one (12.8 MB).
func BenchmarkDecodeArrayRows(b *testing.B) {
	for _, c := range []struct {
		name       string
		rows, cols int
		f32        bool
	}{{"4096x50-float64", 4096, 50, false}, {"4096x784-float32", 4096, 784, true}} {
		raw, dt := arrayBytes(b, c.rows, c.cols, c.f32)
		batch := newArrayBatch(c.cols, c.rows)
		for _, d := range []struct {
			name   string
			decode func(*Batch, npy.DType, []byte, int)
		}{{"tiled", decodeArrayRows}, {"untiled", decodeArrayRowsUntiled}} {
			b.Run(c.name+"/"+d.name, func(b *testing.B) {
				for b.Loop() {
					d.decode(&batch, dt, raw, c.rows)
				}
				b.ReportMetric(float64(b.N)*float64(c.rows*c.cols)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
			})
		}
	}
}
