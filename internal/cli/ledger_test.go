package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestLedgerForgedProof edits the entry inside a proof and a checkpoint's
// root, and checks that verify-proof exits 1 for the first and 2 for the
// second (an unsigned checkpoint is unusable input).
func TestLedgerForgedProof(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	p := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(p("incident.json"), []byte(`{"title":"x","severity":"low","time":"2026-11-26T10:00:00Z"}`), 0o644)
	for _, args := range [][]string{
		{"ledger", "init"},
		{"ledger", "append", "--kind", "incident", p("incident.json")},
		{"ledger", "append", "--kind", "incident", p("incident.json")},
		{"ledger", "checkpoint", "-o", p("cp.txt")},
		{"ledger", "prove", "--index", "1", "-o", p("proof.json")},
	} {
		if code, _, stderr := run(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	var proof map[string]any
	raw, _ := os.ReadFile(p("proof.json"))
	json.Unmarshal(raw, &proof)
	leaf := proof["leaf"].(string)
	proof["leaf"] = leaf[:10] + string(rune(leaf[10]^1)) + leaf[11:]
	forged, _ := json.Marshal(proof)
	os.WriteFile(p("forged.json"), forged, 0o644)
	pub := filepath.Join(dir, "poisonguard", "ledger.pub")
	if code, out, _ := run(t, "ledger", "verify-proof", p("forged.json"), "--checkpoint", p("cp.txt"), "--public-key", pub); code != 1 {
		t.Fatalf("forged entry: exit %d: %s", code, out)
	}
	cp, _ := os.ReadFile(p("cp.txt"))
	lines := bytes.SplitN(cp, []byte("\n"), 3)
	lines[1] = []byte("5")
	os.WriteFile(p("cp-forged.txt"), bytes.Join(lines, []byte("\n")), 0o644)
	if code, _, stderr := run(t, "ledger", "verify-proof", p("proof.json"), "--checkpoint", p("cp-forged.txt"), "--public-key", pub); code != 2 {
		t.Fatalf("forged checkpoint: exit %d: %s", code, stderr)
	}
	if code, _, _ := run(t, "ledger", "verify-proof", p("proof.json"), "--checkpoint", p("cp.txt"), "--public-key", pub); code != 0 {
		t.Fatal("the genuine proof did not verify")
	}
}
