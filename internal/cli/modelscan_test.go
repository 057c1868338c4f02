package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/cli"
)

// TestModelScanExitCodes runs model scan on the scan package's fixtures
// and checks the exit code and the JSON shape the issue asks for.
func TestModelScanExitCodes(t *testing.T) {
	fixture := func(name string) string { return filepath.Join("..", "..", "scan", "testdata", name) }
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"safe torch zip", []string{fixture("benign_torch_zip.pt")}, 0},
		{"safe safetensors", []string{fixture("benign.safetensors")}, 0},
		{"suspicious", []string{fixture("unknown_global.pkl")}, 0},
		{"suspicious strict", []string{"--strict", fixture("unknown_global.pkl")}, 1},
		{"dangerous torch zip", []string{fixture("torch_zip_flag_0x01_cve_2025_1945.pt")}, 1},
		{"invalid safetensors", []string{fixture("safetensors_overlapping_offsets.safetensors")}, 1},
		{"missing file", []string{fixture("nosuch.pt")}, 2},
		{"no paths", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"model", "scan", "--json"}, tt.args...)
			if code := cli.Main(context.Background(), args, &out, &errOut); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut.String())
			}
			if tt.code == 2 {
				return
			}
			var doc struct {
				Files []struct {
					Path, Format, Verdict string
					Findings              []struct {
						Rule, Severity, Message string
						Offset                  *int64
					}
				}
				Summary map[string]int
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			if len(doc.Files) != 1 || doc.Files[0].Path == "" || doc.Files[0].Format == "" || doc.Summary["files"] != 1 {
				t.Fatalf("document %s", out.String())
			}
			for _, f := range doc.Files[0].Findings {
				if f.Rule == "" || f.Severity == "" || f.Message == "" || f.Offset == nil {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
