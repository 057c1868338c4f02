package attack_test

import (
	"encoding/json"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
)

// FuzzSpecJSON feeds attack.json documents, which users pass back with
// attack apply --spec, to Apply and TriggerTest: any spec must be refused
// with an error or applied without a panic, and a spec that applies must
// poison within the set.
func FuzzSpecJSON(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"badnets","rate":0.1,"target":0,"source":-1,"mode":"all-to-one","trigger":{"kind":"patch","size":3,"position":"bottom-right","pattern":"white"},"seed":1}`,
		`{"kind":"blended","rate":0.2,"target":1,"source":-1,"trigger":{"kind":"blend","alpha":0.2,"pattern":"noise"},"seed":3}`,
		`{"kind":"sig","rate":0.1,"target":0,"source":-1,"trigger":{"kind":"sig","delta":40,"freq":6},"seed":1}`,
		`{"kind":"badnets","rate":0.1,"trigger":{"kind":"patch","size":2,"image":{"width":2,"height":2,"channels":1,"pixels":"AP8A/w=="}}}`,
		`{"kind":"label-flip","rate":0.5,"seed":9}`,
		`{"kind":"targeted-flip","rate":1,"source":1,"target":2}`,
		`{"kind":"clean-label","rate":1,"target":1,"trigger":{"with":"sig"}}`,
	} {
		f.Add([]byte(seed))
	}
	set := imageSet(40, 6, 6, 1, 3, 1)
	f.Fuzz(func(t *testing.T, doc []byte) {
		var spec attack.Spec
		if json.Unmarshal(doc, &spec) != nil {
			return
		}
		switch spec.Trigger.Pattern {
		case "", "white", "checkerboard", "noise":
		default:
			spec.Trigger.Pattern = "white" // never read files named by fuzzed input
		}
		res, err := attack.Apply(spec, set)
		if err != nil {
			return
		}
		for _, i := range res.Indices {
			if i < 0 || i >= set.N {
				t.Fatalf("poisoned row %d of %d", i, set.N)
			}
		}
		attack.TriggerTest(res.Spec, set)
	})
}
