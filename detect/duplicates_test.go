package detect_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/detect"
)

// TestDuplicatesPlanted checks a hand-worked case: a conflicting pair
// (one copy holding −0 where the other holds 0), a group of three with
// one dissenter, a consistent pair, and rows without copies.
func TestDuplicatesPlanted(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	m := detect.Matrix{Rows: 9, Cols: 3, Data: []float32{
		1, 0, 2, // 0: pair A
		5, 5, 5, // 1: group B
		1, negZero, 2, // 2: pair A, −0 for 0
		5, 5, 5, // 3: group B
		1, 0, 2.0000002, // 4: close to A, not identical
		5, 5, 5, // 5: group B
		7, nan, 7, // 6: pair C, the same NaN
		7, nan, 7, // 7: pair C
		0, 0, 0, // 8: alone
	}}
	d := &detect.Data{Features: m, Labels: []int{0, 1, 2, 1, 0, 2, 1, 1, 0}, Classes: 3}
	sc := detect.Duplicates(d, m)
	if sc.Detector != "duplicates" {
		t.Errorf("detector %q", sc.Detector)
	}
	wantRow := []float64{1, 0.5, 1, 0.5, 0, 1, 0, 0, 0}
	wantLike := []int{-1, 1, -1, 1, -1, 1, 1, 1, -1}
	if !slices.Equal(sc.Row, wantRow) || !slices.Equal(sc.Like, wantLike) {
		t.Errorf("scores %v likes %v, want %v %v", sc.Row, sc.Like, wantRow, wantLike)
	}
	want := []detect.ClassStat{
		{Class: 0, Rows: 3, Statistic: 1.0 / 3},
		{Class: 1, Rows: 4, Statistic: 0.25},
		{Class: 2, Rows: 2, Statistic: 1},
	}
	if !slices.Equal(sc.Class, want) {
		t.Errorf("classes %+v, want %+v", sc.Class, want)
	}
}

// TestDuplicatesRandom compares Duplicates with a quadratic reference on
// rows drawn from few patterns, so that most rows have copies.
func TestDuplicatesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, cols, classes = 2000, 5, 4
	patterns := make([][]float32, 300)
	for p := range patterns {
		patterns[p] = make([]float32, cols)
		for j := range patterns[p] {
			patterns[p][j] = float32(rng.IntN(3)) // few values: near-misses
		}
	}
	d := &detect.Data{Features: detect.Matrix{Rows: n, Cols: cols}, Labels: make([]int, n), Classes: classes}
	for i := range n {
		p := rng.IntN(len(patterns))
		d.Features.Data = append(d.Features.Data, patterns[p]...)
		d.Labels[i] = p % classes
		if rng.IntN(10) == 0 {
			d.Labels[i] = rng.IntN(classes)
		}
	}
	sc := detect.Duplicates(d, d.Features)
	conflicts := 0
	for i := range n {
		var same, other int
		votes := make([]int, classes)
		for j := range n {
			if slices.Equal(d.Features.Row(i), d.Features.Row(j)) {
				votes[d.Labels[j]]++
				if j != i {
					same++
					if d.Labels[j] != d.Labels[i] {
						other++
					}
				}
			}
		}
		want, like := 0.0, -1
		if same > 0 {
			want = float64(other) / float64(same)
			top, tops := slices.Max(votes), 0
			for y, v := range votes {
				if v == top {
					like, tops = y, tops+1
				}
			}
			if tops > 1 {
				like = -1
			}
		}
		if other > 0 {
			conflicts++
		}
		if sc.Row[i] != want || sc.Like[i] != like {
			t.Fatalf("row %d: score %v like %d, want %v %d", i, sc.Row[i], sc.Like[i], want, like)
		}
	}
	if conflicts < 100 {
		t.Errorf("only %d rows conflict: the test data are too tame", conflicts)
	}
}

func BenchmarkDuplicates(b *testing.B) {
	m := knnBenchRandom(60000, 784)
	y := make([]int, m.Rows)
	d := &detect.Data{Features: m, Labels: y, Classes: 1}
	for b.Loop() {
		detect.Duplicates(d, m)
	}
}
