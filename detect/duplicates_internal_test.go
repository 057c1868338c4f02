package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDupGroupsCollisions checks that rows whose hashes collide are
// still told apart: with every hash equal, the groups must be those the
// real hashes give.
func TestDupGroupsCollisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, cols = 500, 3
	d := &Data{Features: Matrix{Data: make([]float32, n*cols), Rows: n, Cols: cols}, Labels: make([]int, n), Classes: 3}
	for i := range n {
		for j := range cols {
			d.Features.Data[i*cols+j] = float32(rng.IntN(3))
		}
		d.Labels[i] = rng.IntN(3)
	}
	want := Duplicates(d, d.Features)
	got := &Scores{Row: make([]float64, n), Like: make([]int, n)}
	for i := range got.Like {
		got.Like[i] = -1
	}
	dupGroups(got, d, d.Features, make([]uint64, n))
	if !slices.Equal(got.Row, want.Row) || !slices.Equal(got.Like, want.Like) {
		t.Error("groups differ when every hash collides")
	}
	if slices.Max(want.Row) == 0 {
		t.Error("no conflicts in the test data")
	}
}
