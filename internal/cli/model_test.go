package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelSignVerifyExitCodes runs keygen, sign and verify from the
// command line: 0 verified, 1 tampered or wrong key, 2 bad input.
func TestModelSignVerifyExitCodes(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	p := func(name string) string { return filepath.Join(dir, name) }
	os.MkdirAll(filepath.Join(model, "weights"), 0o755)
	os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"layers": 2}`), 0o644)
	os.WriteFile(filepath.Join(model, "weights", "w.bin"), []byte(strings.Repeat("w", 10000)), 0o644)
	for _, name := range []string{"release", "other"} {
		if code, _, stderr := run(t, "model", "keygen", "-o", p(name), "--curve", "p384"); code != 0 {
			t.Fatalf("keygen: exit %d: %s", code, stderr)
		}
	}
	if st, err := os.Stat(p("release.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", st, err)
	}
	code, out, stderr := run(t, "model", "sign", model, "--key", p("release.key"), "--json")
	if code != 0 {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}
	var signed struct {
		Files      int    `json:"files"`
		Signature  string `json:"signature"`
		RootDigest string `json:"root_digest"`
	}
	if err := json.Unmarshal([]byte(out), &signed); err != nil || signed.Files != 2 || !strings.HasPrefix(signed.RootDigest, "sha256:") {
		t.Fatalf("sign --json: %v %s", err, out)
	}
	if signed.Signature != filepath.Join(model, "model.sig") {
		t.Fatalf("signature written to %s", signed.Signature)
	}
	os.WriteFile(p("garbage.sig"), []byte("{]"), 0o644)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"verified", []string{"model", "verify", model, "--key", p("release.pub")}, 0},
		{"wrong key", []string{"model", "verify", model, "--key", p("other.pub")}, 1},
		{"garbage signature", []string{"model", "verify", model, "--key", p("release.pub"), "--signature", p("garbage.sig")}, 2},
		{"no signature", []string{"model", "verify", model, "--key", p("release.pub"), "--signature", p("nosuch.sig")}, 2},
		{"private key as public", []string{"model", "verify", model, "--key", p("release.key")}, 2},
		{"no trust flag", []string{"model", "verify", model}, 2},
		{"both trust flags", []string{"model", "verify", model, "--key", p("release.pub"), "--certificate-chain", p("release.pub")}, 2},
		{"keygen over a key", []string{"model", "keygen", "-o", p("release")}, 2},
		{"bad curve", []string{"model", "keygen", "-o", p("x"), "--curve", "p224"}, 2},
		{"sign without key", []string{"model", "sign", model}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, stderr := run(t, tt.args...); code != tt.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.want, out, stderr)
			}
		})
	}
	os.WriteFile(filepath.Join(model, "weights", "w.bin"), []byte(strings.Repeat("v", 10000)), 0o644)
	code, out, _ = run(t, "model", "verify", model, "--key", p("release.pub"), "--json")
	var rep struct {
		Verified bool `json:"verified"`
		Problems []struct {
			Kind string `json:"kind"`
			Path string `json:"path"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Verified ||
		len(rep.Problems) != 1 || rep.Problems[0].Path != "weights/w.bin" || rep.Problems[0].Kind != "changed" {
		t.Fatalf("tampered: exit %d, %v, %s", code, err, out)
	}
}
