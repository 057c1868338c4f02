package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset/mnist"
	"github.com/poisonguard/poisonguard/detect"
)

// knnRef is testdata/knn_ref.json, written by testdata/gen_knn.py with
// scikit-learn's brute-force cosine NearestNeighbors.
type knnRef struct {
	K        int         `json:"k"`
	X        [][]float64 `json:"x"`
	Index    [][]int     `json:"index"`
	Distance [][]float64 `json:"distance"`
}

func knnMatrix(rows [][]float64) detect.Matrix {
	m := detect.Matrix{Rows: len(rows)}
	if len(rows) > 0 {
		m.Cols = len(rows[0])
	}
	for _, r := range rows {
		for _, v := range r {
			m.Data = append(m.Data, float32(v))
		}
	}
	return m
}

func knnCosine(a, b []float64) float64 {
	var dot, na, nb float64
	for p := range a {
		dot += a[p] * b[p]
		na += a[p] * a[p]
		nb += b[p] * b[p]
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// TestNeighboursMatchSklearn checks Neighbours against scikit-learn's
// exact cosine neighbours: the same similarity at every rank within 1e-6,
// and the same row unless the two break an exact tie differently.
func TestNeighboursMatchSklearn(t *testing.T) {
	b, err := os.ReadFile("testdata/knn_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref knnRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	m := knnMatrix(ref.X)
	list, err := detect.Neighbours(context.Background(), m, ref.K)
	if err != nil {
		t.Fatal(err)
	}
	if list.K != ref.K {
		t.Fatalf("K = %d, want %d", list.K, ref.K)
	}
	// The fixture's exact ties: the copies of a row, and row 17, which is
	// zeros and as similar to every row, of which scikit-learn picks 10
	// in its own order.
	copies := map[int]int{3: 1, 40: 1, 41: 1, 100: 2, 250: 2, 7: 3, 120: 3}
	ties := 0
	for i := range m.Rows {
		idx, sim := list.Row(i)
		for p, j := range idx {
			want := 1 - ref.Distance[i][p]
			if math.Abs(float64(sim[p])-want) > 1e-6 {
				t.Errorf("row %d rank %d: similarity %v, scikit-learn %v", i, p, sim[p], want)
			}
			r := ref.Index[i][p]
			if int(j) == r {
				continue
			}
			ties++
			got := knnCosine(ref.X[i], ref.X[j])
			if math.Abs(got-want) > 1e-6 || i != 17 && (copies[int(j)] == 0 || copies[int(j)] != copies[r]) {
				t.Errorf("row %d rank %d: neighbour %d (similarity %v), scikit-learn %d (%v)", i, p, j, got, r, want)
			}
		}
	}
	if ties == 0 {
		t.Error("no tie ordered differently: the fixture does not test ties")
	}
}

// TestNeighboursTies checks a hand-worked case where similarities tie
// exactly: copies, a scaled copy, a row of zeros.
func TestNeighboursTies(t *testing.T) {
	m := knnMatrix([][]float64{
		{1, 0, 0}, // 0
		{0, 0, 0}, // 1: zeros, similarity 0 to all
		{1, 0, 0}, // 2: a copy of 0
		{2, 0, 0}, // 3: 0 scaled
		{0, 1, 0}, // 4
		{1, 1, 0}, // 5: at 45° to 0, 2, 3 and 4
	})
	h := float32(1 / math.Sqrt2)
	want := []struct {
		idx []int32
		sim []float32
	}{
		{[]int32{2, 3, 5}, []float32{1, 1, h}},
		{[]int32{0, 2, 3}, []float32{0, 0, 0}},
		{[]int32{0, 3, 5}, []float32{1, 1, h}},
		{[]int32{0, 2, 5}, []float32{1, 1, h}},
		{[]int32{5, 0, 1}, []float32{h, 0, 0}},
		{[]int32{0, 2, 3}, []float32{h, h, h}},
	}
	list, err := detect.Neighbours(context.Background(), m, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		idx, sim := list.Row(i)
		if !slices.Equal(idx, w.idx) || !slices.Equal(sim, w.sim) {
			t.Errorf("row %d: %v %v, want %v %v", i, idx, sim, w.idx, w.sim)
		}
	}
}

func TestNeighboursErrors(t *testing.T) {
	ctx := context.Background()
	ok := detect.Matrix{Data: make([]float32, 6), Rows: 3, Cols: 2}
	nan := detect.Matrix{Data: []float32{1, 2, 3, float32(math.NaN())}, Rows: 2, Cols: 2}
	inf := detect.Matrix{Data: []float32{1, 2, float32(math.Inf(1)), 4}, Rows: 2, Cols: 2}
	for _, c := range []struct {
		name string
		m    detect.Matrix
		k    int
	}{
		{"k0", ok, 0},
		{"negative k", ok, -3},
		{"short data", detect.Matrix{Data: make([]float32, 5), Rows: 3, Cols: 2}, 2},
		{"NaN", nan, 1},
		{"Inf", inf, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := detect.Neighbours(ctx, c.m, c.k); err == nil {
				t.Error("no error")
			}
		})
	}
	// Of several bad rows, the error names the first.
	many := detect.Matrix{Data: make([]float32, 2*1000), Rows: 1000, Cols: 2}
	many.Data[2*900] = float32(math.Inf(-1))
	many.Data[2*20+1] = float32(math.NaN())
	if _, err := detect.Neighbours(ctx, many, 3); err == nil || !strings.Contains(err.Error(), "row 20 ") {
		t.Errorf("NaN in row 20, -Inf in row 900: %v", err)
	}
	for _, c := range []struct {
		name string
		m    detect.Matrix
		k    int
	}{
		{"no rows", detect.Matrix{}, 10},
		{"one row", detect.Matrix{Data: []float32{1, 2}, Rows: 1, Cols: 2}, 10},
		{"no columns", detect.Matrix{Rows: 4}, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := detect.Neighbours(ctx, c.m, c.k)
			if err != nil {
				t.Fatal(err)
			}
			k := max(0, min(c.k, c.m.Rows-1))
			if list.K != k || len(list.Index) != c.m.Rows*k || len(list.Sim) != c.m.Rows*k {
				t.Errorf("K %d with %d indices, %d similarities; want K %d", list.K, len(list.Index), len(list.Sim), k)
			}
			for i := range c.m.Rows {
				if idx, sim := list.Row(i); k > 0 && (idx[0] == int32(i) || sim[0] != 0) {
					t.Errorf("row %d: %v %v", i, idx, sim)
				}
			}
		})
	}
}

// knnClusters returns n rows of d values around two well-separated
// centres, one per class, with the labels of the rows in flipped changed
// to the other class.
func knnClusters(rng *rand.Rand, n, d int, flipped []int) (*detect.Data, []int) {
	centres := [2][]float64{make([]float64, d), make([]float64, d)}
	for j := range d {
		centres[0][j] = rng.NormFloat64()
		centres[1][j] = rng.NormFloat64()
	}
	data := &detect.Data{
		Features: detect.Matrix{Data: make([]float32, n*d), Rows: n, Cols: d},
		Labels:   make([]int, n),
		Classes:  2,
	}
	truth := make([]int, n)
	for i := range n {
		c := i % 2
		truth[i], data.Labels[i] = c, c
		row := data.Features.Row(i)
		for j := range row {
			row[j] = float32(centres[c][j] + 0.3*rng.NormFloat64())
		}
	}
	for _, i := range flipped {
		data.Labels[i] = 1 - data.Labels[i]
	}
	return data, truth
}

func TestKNNLabelFindsFlippedLabels(t *testing.T) {
	flipped := []int{3, 50, 51, 200, 377, 398}
	d, truth := knnClusters(rand.New(rand.NewPCG(4, 2)), 400, 16, flipped)
	sc, err := detect.KNNLabel(context.Background(), d, d.Features, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Detector != "knn-label" || len(sc.Row) != 400 || len(sc.Like) != 400 {
		t.Fatalf("detector %q with %d scores, %d likes", sc.Detector, len(sc.Row), len(sc.Like))
	}
	// Each flipped row sits among rows of its true class, a few of
	// which may be flipped too: at most 2 of 10 neighbours agree with it.
	order := make([]int, len(sc.Row))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(sc.Row[a], sc.Row[b]) })
	top := slices.Sorted(slices.Values(order[:len(flipped)]))
	if !slices.Equal(top, flipped) {
		t.Errorf("top scores at %v, flipped %v", top, flipped)
	}
	mass := [2]float64{}
	for i := range sc.Row {
		if sc.Like[i] != truth[i] {
			t.Errorf("row %d looks like %d, is %d", i, sc.Like[i], truth[i])
		}
		if slices.Contains(flipped, i) {
			if sc.Row[i] < 0.8 {
				t.Errorf("flipped row %d scores %v", i, sc.Row[i])
			}
		} else if sc.Row[i] > 0.2 {
			t.Errorf("clean row %d scores %v", i, sc.Row[i])
		}
		mass[d.Labels[i]] += sc.Row[i]
	}
	for c, cs := range sc.Class {
		rows := 0
		for _, y := range d.Labels {
			if y == c {
				rows++
			}
		}
		if cs.Class != c || cs.Rows != rows || math.Abs(cs.Statistic-mass[c]/float64(rows)) > 1e-12 || cs.Poisoned {
			t.Errorf("class %d: %+v, want %d rows, statistic %v", c, cs, rows, mass[c]/float64(rows))
		}
	}
}

// TestKNNLabelShares checks scores and plurality on a hand-worked case.
func TestKNNLabelShares(t *testing.T) {
	// Rows on a circle: each row's two nearest are the rows either side.
	var rows [][]float64
	for i := range 8 {
		a := 2 * math.Pi * float64(i) / 8
		rows = append(rows, []float64{math.Cos(a), math.Sin(a)})
	}
	d := &detect.Data{Features: knnMatrix(rows), Labels: []int{0, 0, 0, 1, 1, 2, 2, 2}, Classes: 3}
	sc, err := detect.KNNLabel(context.Background(), d, d.Features, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Row 0's neighbours are 1 and 7 (labels 0, 2); row 3's are 2 and 4
	// (0, 1); row 4's 3 and 5 (1, 2); row 5's 4 and 6 (1, 2).
	wantRow := []float64{0.5, 0, 0.5, 0.5, 0.5, 0.5, 0, 0.5}
	wantLike := []int{-1, 0, -1, -1, -1, -1, 2, -1}
	if !slices.Equal(sc.Row, wantRow) || !slices.Equal(sc.Like, wantLike) {
		t.Errorf("scores %v likes %v, want %v %v", sc.Row, sc.Like, wantRow, wantLike)
	}
	wantStat := []float64{1.0 / 3, 0.5, 1.0 / 3}
	for c, cs := range sc.Class {
		if math.Abs(cs.Statistic-wantStat[c]) > 1e-15 {
			t.Errorf("class %d statistic %v, want %v", c, cs.Statistic, wantStat[c])
		}
	}
}

func TestKNNLabelErrors(t *testing.T) {
	d, _ := knnClusters(rand.New(rand.NewPCG(1, 1)), 20, 3, nil)
	ctx := context.Background()
	short := detect.Matrix{Data: d.Features.Data[:3*19], Rows: 19, Cols: 3}
	if _, err := detect.KNNLabel(ctx, d, short, 5); err == nil {
		t.Error("view of 19 rows for 20 labels: no error")
	}
	bad := *d
	bad.Labels = slices.Clone(d.Labels)
	bad.Labels[4] = 2
	if _, err := detect.KNNLabel(ctx, &bad, d.Features, 5); err == nil {
		t.Error("label outside the classes: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := detect.KNNLabel(cancelled, d, d.Features, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ExampleKNNLabel() {
	// Two tight groups of points, one row labelled with the other group's
	// class.
	d := &detect.Data{
		Features: detect.Matrix{Rows: 6, Cols: 2, Data: []float32{
			1, 0.1, 1, 0.2, 1, 0.15, // class 0
			0.1, 1, 0.2, 1, 0.15, 1, // class 1
		}},
		Labels:  []int{0, 0, 1, 1, 1, 1},
		Classes: 2,
	}
	sc, err := detect.KNNLabel(context.Background(), d, d.Features, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range sc.Row {
		fmt.Printf("row %d label %d: %.1f of neighbours disagree, looks like %d\n", i, d.Labels[i], sc.Row[i], sc.Like[i])
	}
	// Output:
	// row 0 label 0: 0.5 of neighbours disagree, looks like -1
	// row 1 label 0: 0.5 of neighbours disagree, looks like -1
	// row 2 label 1: 1.0 of neighbours disagree, looks like 0
	// row 3 label 1: 0.0 of neighbours disagree, looks like 1
	// row 4 label 1: 0.0 of neighbours disagree, looks like 1
	// row 5 label 1: 0.0 of neighbours disagree, looks like 1
}

// knnBenchRandom returns rows×cols values uniform in [-1, 1), the same as
// bench/scan/knn_sklearn.py makes: splitmix64 of each value's index, top
// 24 bits.
func knnBenchRandom(rows, cols int) detect.Matrix {
	m := detect.Matrix{Data: make([]float32, rows*cols), Rows: rows, Cols: cols}
	for i := range m.Data {
		z := uint64(i) + 0x9e3779b97f4a7c15
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		m.Data[i] = float32(z>>40)/(1<<23) - 1
	}
	return m
}

// knnBenchViews are the benchmarks' inputs: 60,000 random rows of 64
// values, and the 60,000 MNIST training images' raw pixels.
func knnBenchViews(b *testing.B) []struct {
	name string
	m    detect.Matrix
	y    []int
} {
	train, _, err := mnist.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	rnd := knnBenchRandom(60000, 64)
	return []struct {
		name string
		m    detect.Matrix
		y    []int
	}{
		{"random-60000x64", rnd, train.Y},
		{"mnist-60000x784", detect.Matrix{Data: train.X, Rows: train.N, Cols: train.D}, train.Y},
	}
}

func BenchmarkNeighbours(b *testing.B) {
	for _, v := range knnBenchViews(b) {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := detect.Neighbours(context.Background(), v.m, detect.DefaultK); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkKNNLabel(b *testing.B) {
	for _, v := range knnBenchViews(b) {
		d := &detect.Data{Features: v.m, Labels: v.y, Classes: 10}
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := detect.KNNLabel(context.Background(), d, v.m, detect.DefaultK); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
