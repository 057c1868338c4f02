package ledger_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
	"github.com/poisonguard/poisonguard/store/storetest"
)

const origin = "poisonguard.test/ledger"

// openLog initialises a ledger in a fresh store of the backend.
func openLog(t testing.TB, b storetest.Backend) (*ledger.Log, *store.DB, string) {
	t.Helper()
	db := storetest.Open(t, b)
	skey, vkey, err := ledger.Init(context.Background(), db, origin, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	l, err := ledger.Open(context.Background(), db, ledger.Options{SignerKey: skey, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return l, db, vkey
}

func deploy(i int) ledger.Record {
	body := fmt.Sprintf(`{"model":"fraud","version":%d,"environment":"production","time":"2026-11-26T12:00:00Z","who":"ci"}`, i+1)
	return ledger.Record{Kind: ledger.KindDeploy, Body: []byte(body)}
}

// TestProofs appends entries one at a time, signing a checkpoint after
// each, and checks every inclusion proof at every size and every
// consistency proof between sizes with the transparency-dev verifier; the
// roots also match a compact range built from the same leaves.
func TestProofs(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			l, _, vkey := openLog(t, b)
			const n = 19
			var cps []*ledger.Checkpoint
			rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
			cr := rf.NewEmptyRange(0)
			for i := range n {
				es, err := l.Append(ctx, deploy(i))
				if err != nil {
					t.Fatal(err)
				}
				if es[0].Index != int64(i) {
					t.Fatalf("index %d, want %d", es[0].Index, i)
				}
				_, leaf, err := l.Entry(ctx, int64(i))
				if err != nil {
					t.Fatal(err)
				}
				cr.Append(rfc6962.DefaultHasher.HashLeaf(leaf), nil)
				cp, err := l.Checkpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := cr.GetRootHash(nil)
				if string(cp.Root[:]) != string(want) {
					t.Fatalf("size %d: root differs from the compact range's", i+1)
				}
				if _, err := ledger.ParseCheckpoint(cp.Note, vkey); err != nil {
					t.Fatal(err)
				}
				cps = append(cps, cp)
			}
			for _, cp := range cps {
				for i := range cp.Size {
					p, err := l.Prove(ctx, i, cp.Size)
					if err != nil {
						t.Fatal(err)
					}
					raw, _ := json.Marshal(p)
					p2, err := ledger.ParseInclusionProof(raw)
					if err != nil {
						t.Fatal(err)
					}
					if err := ledger.VerifyInclusion(p2, cp); err != nil {
						t.Fatalf("entry %d at size %d: %v", i, cp.Size, err)
					}
					p2.Leaf[len(p2.Leaf)-2] ^= 1
					if ledger.VerifyInclusion(p2, cp) == nil {
						t.Fatalf("a changed entry %d verified", i)
					}
				}
				for _, newer := range cps {
					if newer.Size < cp.Size {
						continue
					}
					p, err := l.ProveConsistency(ctx, cp.Size, newer.Size)
					if err != nil {
						t.Fatal(err)
					}
					if err := ledger.VerifyConsistency(p, cp, newer); err != nil {
						t.Fatalf("%d→%d: %v", cp.Size, newer.Size, err)
					}
				}
			}
			res, err := l.Audit(ctx)
			if err != nil || !res.OK() || res.Entries != n || res.Checkpoints != n {
				t.Fatalf("audit: %+v %v", res, err)
			}
		})
	}
}

// TestAuditFindsTampering changes the stored log the ways an attacker with
// database access could, and checks that Audit names the first bad index.
func TestAuditFindsTampering(t *testing.T) {
	tamper := []struct {
		name  string
		sql   []string
		first int64
	}{
		{"changed", []string{`UPDATE ledger_entries SET leaf = REPLACE(leaf, 'production', 'productiom') WHERE idx = 4`}, 4},
		{"dropped", []string{`DELETE FROM ledger_entries WHERE idx = 6`}, 6},
		{"dropped at the end", []string{`DELETE FROM ledger_entries WHERE idx = 9`}, 9},
		{"reordered", []string{
			`UPDATE ledger_entries SET idx = -1 WHERE idx = 2`, `UPDATE ledger_entries SET idx = 2 WHERE idx = 3`, `UPDATE ledger_entries SET idx = 3 WHERE idx = -1`}, 2},
		{"inserted", []string{`UPDATE ledger_entries SET idx = idx + 100 WHERE idx >= 5`, `UPDATE ledger_entries SET idx = idx - 99 WHERE idx >= 105`,
			`INSERT INTO ledger_entries (idx, kind, created, leaf) SELECT 5, kind, created, leaf FROM ledger_entries WHERE idx = 0`}, 5},
		{"hash rewritten", []string{`UPDATE ledger_hashes SET hash = (SELECT hash FROM ledger_hashes WHERE id = 0) WHERE id = 1`}, 1},
	}
	for _, tt := range tamper {
		for _, b := range storetest.Backends(t) {
			t.Run(tt.name+"/"+b.Name, func(t *testing.T) {
				ctx := context.Background()
				l, db, _ := openLog(t, b)
				for i := range 10 {
					if _, err := l.Append(ctx, deploy(i)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				for _, q := range tt.sql {
					if db.Dialect() == store.Postgres {
						q = pgText(q)
					}
					if _, err := db.Exec(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				res, err := l.Audit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK() || res.FirstBad != tt.first {
					t.Fatalf("audit %+v, want first bad index %d", res, tt.first)
				}
			})
		}
	}
}

// pgText adapts the byte-level REPLACE to PostgreSQL's BYTEA.
func pgText(q string) string {
	if q == `UPDATE ledger_entries SET leaf = REPLACE(leaf, 'production', 'productiom') WHERE idx = 4` {
		return `UPDATE ledger_entries SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), 'production', 'productiom'), 'UTF8') WHERE idx = 4`
	}
	return q
}

// TestAuditFindsConsistentRewrite rewrites an entry and recomputes every
// stored hash to match, as an attacker who knows the layout would: only
// the signed checkpoint catches it.
func TestAuditFindsConsistentRewrite(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backends(t)[0]
	l, db, _ := openLog(t, b)
	for i := range 8 {
		l.Append(ctx, deploy(i))
	}
	l.Checkpoint(ctx)
	// Rebuild the same log with entry 3 changed in a second store, then
	// copy its entries and hashes over the first.
	l2, db2, _ := openLog(t, storetest.Backends(t)[0])
	for i := range 8 {
		r := deploy(i)
		if i == 3 {
			r = deploy(41)
		}
		l2.Append(ctx, r)
	}
	for _, table := range []string{"ledger_entries", "ledger_hashes"} {
		db.Exec(ctx, "DELETE FROM "+table)
		rows, _ := db2.Query(ctx, "SELECT * FROM "+table)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			q := "INSERT INTO " + table + " VALUES (?" + fmt.Sprint(map[int]string{2: ",?", 4: ",?,?,?"}[len(cols)]) + ")"
			if _, err := db.Exec(ctx, q, vals...); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
	}
	res, err := l.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() {
		t.Fatal("a consistently rewritten log passed the audit")
	}
}

func TestValidate(t *testing.T) {
	ok := map[string]string{
		ledger.KindDataset: `{"name":"mnist","source":"s3://bucket/mnist","profile_digest":"sha256:` + h64 + `","files":[{"name":"train.csv","digest":"sha256:` + h64 + `"}]}`,
		ledger.KindTrainingRun: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"model","digest":{"sha256":"` + h64 + `"}}],
			"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://poisonguard.dev/training-run/v1",
			"externalParameters":{"epochs":5},"resolvedDependencies":[{"name":"mnist","digest":{"sha256":"` + h64 + `"}}]},
			"runDetails":{"builder":{"id":"https://ci.example/runner"},"metadata":{"startedOn":"2026-11-26T10:00:00Z","finishedOn":"2026-11-26T11:00:00Z"}}}}`,
		ledger.KindModel:    `{"name":"fraud","bundle_digest":"sha256:` + h64 + `","subject_digest":"sha256:` + h64 + `"}`,
		ledger.KindDeploy:   `{"model":"fraud","version":3,"environment":"production","time":"2026-11-26T12:00:00Z","who":"alice"}`,
		ledger.KindIncident: `{"title":"backdoor found","severity":"high","time":"2026-11-26T12:00:00Z"}`,
	}
	for kind, body := range ok {
		if err := ledger.Validate(kind, []byte(body)); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
	bad := []struct{ kind, body string }{
		{"nosuch", `{}`},
		{ledger.KindModel, `[]`},
		{ledger.KindModel, `{"name":"fraud","bundle_digest":"sha256:abc","subject_digest":"sha256:` + h64 + `"}`},
		{ledger.KindDeploy, `{"model":"fraud","version":0,"environment":"production","time":"2026-11-26T12:00:00Z","who":"alice"}`},
		{ledger.KindDeploy, `{"model":"fraud","version":1,"environment":"production","time":"yesterday","who":"alice"}`},
		{ledger.KindIncident, `{"title":"x","severity":"apocalyptic","time":"2026-11-26T12:00:00Z"}`},
		{ledger.KindTrainingRun, `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`},
		{ledger.KindDataset, `{"name":"d","source":"s","profile_digest":"sha256:` + h64 + `"} {}`},
	}
	for _, c := range bad {
		if err := ledger.Validate(c.kind, []byte(c.body)); !errors.Is(err, ledger.ErrInvalidEntry) {
			t.Errorf("%s %s: %v", c.kind, c.body, err)
		}
	}
}

const h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
