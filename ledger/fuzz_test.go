package ledger_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store/storetest"
)

// FuzzVerifyProof feeds arbitrary proof files and checkpoints to the
// offline verifier: no panic, and nothing but the genuine pair verifies.
func FuzzVerifyProof(f *testing.F) {
	l, _, vkey := openLog(f, storetest.Backends(f)[0])
	ctx := context.Background()
	for i := range 5 {
		l.Append(ctx, deploy(i))
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		f.Fatal(err)
	}
	p, _ := l.Prove(ctx, 3, 0)
	genuine, _ := json.Marshal(p)
	f.Add(genuine, cp.Note)
	f.Add([]byte(`{"format":"poisonguard.ledger-proof/v1","index":-1,"tree_size":0}`), []byte("x\n0\n\n"))
	f.Fuzz(func(t *testing.T, proofData, cpData []byte) {
		c, err := ledger.ParseCheckpoint(cpData, vkey)
		if err != nil {
			return
		}
		p, err := ledger.ParseInclusionProof(proofData)
		if err != nil {
			return
		}
		if ledger.VerifyInclusion(p, c) == nil && c.Root != cp.Root {
			t.Fatal("a proof verified against a root the log never signed")
		}
	})
}

// FuzzValidate feeds arbitrary records to every kind's validator.
func FuzzValidate(f *testing.F) {
	f.Add("deploy", []byte(`{"model":"fraud","version":3,"environment":"production","time":"2026-11-26T12:00:00Z","who":"alice"}`))
	f.Add("training-run", []byte(`{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":[]}}`))
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		ledger.Validate(kind, body)
	})
}
