package registry_test

import (
	"testing"

	"github.com/poisonguard/poisonguard/registry"
)

// FuzzParseDeployments feeds arbitrary DEPLOYED.json files to the parser:
// no panic, and every accepted deployment has its three fields.
func FuzzParseDeployments(f *testing.F) {
	f.Add([]byte(`[{"model":"fraud","environment":"production","digest":"sha256:00"}]`))
	f.Add([]byte(`{"deployments":[{"model":"a","environment":"staging","digest":"x"}]}`))
	f.Add([]byte(`[{}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := registry.ParseDeployments(data)
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.Model == "" || d.Environment == "" || d.Digest == "" {
				t.Fatalf("accepted an incomplete deployment %+v", d)
			}
		}
	})
}
