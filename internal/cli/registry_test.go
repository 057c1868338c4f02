package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/store/storetest"
)

// TestRegistryOnBothStores runs a push, promotion, deploy check and audit
// from the command line against SQLite and PostgreSQL.
func TestRegistryOnBothStores(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			p := func(name string) string { return filepath.Join(dir, name) }
			os.MkdirAll(p("model"), 0o755)
			os.WriteFile(p("model/w.bin"), []byte("weights"), 0o644)
			st := []string{"--store", b.DSN, "--log-key", p("ledger.key")}
			steps := [][]string{
				append([]string{"ledger", "init"}, st...),
				{"model", "keygen", "-o", p("k")},
				{"model", "sign", p("model"), "--key", p("k.key")},
				append([]string{"registry", "push", "fraud", p("model"), "--key", p("k.pub"), "--blobs", p("blobs")}, st...),
				append([]string{"registry", "promote", "fraud", "1", "--stage", "production", "--blobs", p("blobs")}, st...),
				append([]string{"registry", "verify-deploy", p("model"), "--name", "fraud", "--blobs", p("blobs")}, st...),
			}
			for _, args := range steps {
				if code, out, stderr := run(t, args...); code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
				}
			}
			_, out, _ := run(t, append([]string{"registry", "show", "fraud@1", "--json", "--blobs", p("blobs")}, st...)...)
			var shown struct {
				Version struct {
					RootDigest string `json:"root_digest"`
				} `json:"version"`
			}
			json.Unmarshal([]byte(out), &shown)
			deployed, _ := json.Marshal([]map[string]string{
				{"model": "fraud", "environment": "production", "digest": shown.Version.RootDigest},
				{"model": "fraud", "environment": "staging", "digest": shown.Version.RootDigest},
			})
			os.WriteFile(p("deployed.json"), deployed, 0o644)
			code, out, stderr := run(t, append([]string{"registry", "audit", "--deployed", p("deployed.json"), "--json", "--blobs", p("blobs")}, st...)...)
			var audit struct {
				Mismatches []struct {
					Kind string `json:"kind"`
				} `json:"mismatches"`
			}
			if err := json.Unmarshal([]byte(out), &audit); err != nil || code != 1 || len(audit.Mismatches) != 1 || audit.Mismatches[0].Kind != "wrong_stage" {
				t.Fatalf("audit: exit %d, %v\n%s%s", code, err, out, stderr)
			}
		})
	}
}
