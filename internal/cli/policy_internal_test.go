package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/drift"
)

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := loadPolicy(write("drift:\n  psi: {warn: 0.2}\n  ks_alpha: 0.01\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := drift.DefaultPolicy()
	want.PSI.Warn, want.KSAlpha = 0.2, 0.01
	if p != want {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	if p, err := loadPolicy(write(`{"drift": {"drift_share": 0.3}}`)); err != nil || p.DriftShare != 0.3 {
		t.Fatalf("JSON policy: %+v, %v", p, err)
	}
	for _, bad := range []string{"drift:\n  ks_alpha: 2\n", "drift:\n  psi: {warn: 0.3, error: 0.1}\n", "nosuch: 1\n", "drift: [1, 2]\n"} {
		if _, err := loadPolicy(write(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzLoadPolicy(f *testing.F) {
	f.Add([]byte("drift:\n  psi: {warn: 0.2, error: 0.3}\n"))
	f.Add([]byte(`{"drift": {"drift_share": 0.3}}`))
	f.Add([]byte("drift: &a [*a]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := loadPolicy(path)
		if err == nil {
			if err := p.Validate(); err != nil {
				t.Fatalf("loadPolicy accepted an invalid policy: %v", err)
			}
		}
	})
}

// TestScanPolicy reads the scan section over its defaults and refuses
// out-of-range thresholds.
func TestScanPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "policy.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	pf, err := loadPolicyFile(write("scan:\n  label_mass_floor: 0.2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := detect.DefaultPolicy()
	want.LabelMassFloor = 0.2
	if pf.Scan != want {
		t.Fatalf("scan policy %+v, want %+v", pf.Scan, want)
	}
	for _, bad := range []string{"scan:\n  disagree_cut: 1.5\n", "scan:\n  cascade_k: 0\n", "scan:\n  nosuch: 1\n", "scan:\n  trigger_z: -1\n"} {
		if _, err := loadPolicyFile(write(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
