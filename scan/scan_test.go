package scan_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/scan"
)

// expectation is one entry of testdata/expected.json, which
// gen_fixtures.py writes next to the fixtures it makes.
type expectation struct {
	Verdict scan.Verdict `json:"verdict"`
	Rule    string       `json:"rule"`
	Global  string       `json:"global"`
	Format  string       `json:"format"`
}

func readExpected(t testing.TB) map[string]expectation {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]expectation
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestFixtures checks every fixture's verdict, format and key rule, and
// that no fixture in the folder lacks an expectation.
func TestFixtures(t *testing.T) {
	want := readExpected(t)
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		if name == "expected.json" || name == "gen_fixtures.py" || name == "fuzz" {
			continue
		}
		if _, ok := want[name]; !ok {
			t.Errorf("%s has no entry in expected.json", name)
		}
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			rep, err := scan.Scan(context.Background(), []string{filepath.Join("testdata", name)}, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Files) != 1 {
				t.Fatalf("%d files", len(rep.Files))
			}
			f := rep.Files[0]
			if f.Verdict != w.Verdict {
				t.Errorf("verdict %s, want %s; findings %+v", f.Verdict, w.Verdict, f.Findings)
			}
			if w.Format != "" && f.Format != w.Format {
				t.Errorf("format %s, want %s", f.Format, w.Format)
			}
			if w.Rule != "" && !slices.ContainsFunc(f.Findings, func(x scan.Finding) bool {
				return x.Rule == w.Rule && (w.Global == "" || x.Global == w.Global)
			}) {
				t.Errorf("no %s finding about %q in %+v", w.Rule, w.Global, f.Findings)
			}
			if w.Verdict == scan.Safe && f.Verdict == scan.Safe {
				for _, x := range f.Findings {
					if x.Verdict != scan.Safe {
						t.Errorf("safe file with finding %+v", x)
					}
				}
			}
		})
	}
}

// TestDirectory scans the fixture folder as a tree and checks the counts
// add up.
func TestDirectory(t *testing.T) {
	want := readExpected(t)
	rep, err := scan.Scan(context.Background(), []string{"testdata"}, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[scan.Verdict]int{}
	top := 0
	for _, f := range rep.Files {
		if filepath.Dir(f.Path) == "testdata" { // not the fuzz corpus
			got[f.Verdict]++
			top++
		}
	}
	wantCount := map[scan.Verdict]int{scan.Safe: 2} // expected.json and gen_fixtures.py
	for _, w := range want {
		wantCount[w.Verdict]++
	}
	for v, n := range wantCount {
		if got[v] != n {
			t.Errorf("%d %s files, want %d", got[v], v, n)
		}
	}
	if rep.Verdict != scan.Dangerous || top != len(want)+2 || rep.Summary.Dangerous != wantCount[scan.Dangerous] {
		t.Errorf("summary %+v, verdict %s", rep.Summary, rep.Verdict)
	}
}

func TestMissingPath(t *testing.T) {
	_, err := scan.Scan(context.Background(), []string{"testdata/nosuch.pkl"}, scan.Options{})
	if err == nil || !strings.Contains(err.Error(), "nosuch.pkl") {
		t.Fatalf("error %v", err)
	}
}

func TestSymlinkOutsideRoot(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	target := filepath.Join(outside, "evil.pkl")
	if err := os.WriteFile(target, []byte("cos\nsystem\n(S'id'\ntR."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "model.pkl")); err != nil {
		t.Skip("no symlinks:", err)
	}
	rep, err := scan.Scan(context.Background(), []string{dir}, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Format != scan.FormatSymlink || rep.Files[0].Verdict != scan.Suspicious ||
		rep.Files[0].Findings[0].Rule != "fs.symlink_outside_root" {
		t.Fatalf("%+v", rep.Files)
	}
}
