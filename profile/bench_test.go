package profile_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/poisonguard/poisonguard/profile"
)

// BenchmarkFromSource profiles 200,000 rows × 20 columns from memory:
// continuous values (sketched beyond the exact limit) and codes (counted),
// reporting values per second.
func BenchmarkFromSource(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	tb := table{names: make([]string, 20)}
	for j := range tb.names {
		tb.names[j] = "c" + string(rune('a'+j))
	}
	for range 200_000 {
		row := make([]float64, 20)
		for j := range row {
			if j%2 == 0 {
				row[j] = rng.NormFloat64()
			} else {
				row[j] = float64(rng.IntN(50))
			}
		}
		tb.rows = append(tb.rows, row)
	}
	for b.Loop() {
		if _, err := profile.FromSource(context.Background(), &source{tb: tb, batchRows: 4096}, profile.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tb.rows)*20)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
