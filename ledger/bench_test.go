package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store/storetest"
)

// BenchmarkAppend appends batches of 100 deploy records to a SQLite
// ledger (WAL, synchronous=NORMAL); entries/s is the figure that counts.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			l, _, _ := openLog(b, storetest.Backends(b)[0])
			ctx := context.Background()
			recs := make([]ledger.Record, batch)
			for i := range recs {
				recs[i] = deploy(i)
			}
			n := 0
			for b.Loop() {
				if _, err := l.Append(ctx, recs...); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkProve builds a SQLite ledger of 1,000,000 entries (in batches
// of 10,000; about a minute) and times inclusion proofs at that size.
func BenchmarkProve(b *testing.B) {
	const size = 1_000_000
	l, _, _ := openLog(b, storetest.Backends(b)[0])
	ctx := context.Background()
	recs := make([]ledger.Record, 10_000)
	for i := range recs {
		recs[i] = deploy(i)
	}
	for done := 0; done < size; done += len(recs) {
		if _, err := l.Append(ctx, recs...); err != nil {
			b.Fatal(err)
		}
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	i := int64(0)
	b.ResetTimer()
	for b.Loop() {
		p, err := l.Prove(ctx, (i*7919)%size, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := ledger.VerifyInclusion(p, cp); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
