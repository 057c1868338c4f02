package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset/example"
	"github.com/poisonguard/poisonguard/internal/cli"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"poisonguard": func() { os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI transcripts in testdata/*.txtar. Each script's
// work directory holds the shipped example CSVs and the diabetes splits
// that writeSplits makes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			if err := fs.WalkDir(example.FS(), ".", func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := fs.ReadFile(example.FS(), path)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(env.WorkDir, path), data, 0o644)
			}); err != nil {
				return err
			}
			return writeSplits(env.WorkDir)
		},
	})
}

// writeSplits splits the diabetes example at random (seeded) into
// diabetes-a.csv (300 rows) and diabetes-b.csv (142 rows), and writes
// diabetes-b-shifted.csv: the same rows with bmi raised by one baseline
// standard deviation (4.4 kg/m²).
func writeSplits(dir string) error {
	raw, err := fs.ReadFile(example.FS(), example.Diabetes)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	header, rows := lines[0], lines[1:]
	rng := rand.New(rand.NewPCG(42, 7))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	write := func(name string, rows []string) error {
		return os.WriteFile(filepath.Join(dir, name), []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644)
	}
	shifted := make([]string, 0, 142)
	for _, r := range rows[300:] {
		f := strings.Split(r, ",")
		bmi, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return err
		}
		f[2] = strconv.FormatFloat(bmi+4.4, 'f', -1, 64)
		shifted = append(shifted, strings.Join(f, ","))
	}
	if err := write("diabetes-a.csv", rows[:300]); err != nil {
		return err
	}
	if err := write("diabetes-b.csv", rows[300:]); err != nil {
		return err
	}
	return write("diabetes-b-shifted.csv", shifted)
}

// run calls the CLI in process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// Profiles of shards of a real dataset merge into the profile of the
// whole: the merged profile's fingerprint, counts and label counts equal
// the whole's, from the command line.
func TestMergeShardsFromCLI(t *testing.T) {
	dir := t.TempDir()
	raw, err := fs.ReadFile(example.FS(), example.DigitsTrain)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	whole := filepath.Join(dir, "whole.csv")
	os.WriteFile(whole, raw, 0o644)
	var shards []string
	for k, cut := range [][2]int{{1, 400}, {400, 401}, {401, 1201}} {
		path := filepath.Join(dir, fmt.Sprintf("shard%d.csv", k))
		os.WriteFile(path, []byte(lines[0]+"\n"+strings.Join(lines[cut[0]:cut[1]], "\n")+"\n"), 0o644)
		prof := path + ".json"
		if code, _, stderr := run(t, "data", "profile", path, "--label", "label", "-o", prof); code != 0 {
			t.Fatalf("profile shard: exit %d: %s", code, stderr)
		}
		shards = append(shards, prof)
	}
	type summary struct {
		Rows        int64
		Fingerprint string
		Label       struct {
			Classes []struct {
				Class string
				Count int64
			}
		}
	}
	decode := func(s string) summary {
		var v summary
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("%v in %s", err, s)
		}
		return v
	}
	code, out, stderr := run(t, "data", "profile", whole, "--label", "label", "-o", filepath.Join(dir, "whole.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := decode(out)
	code, out, stderr = run(t, append(append([]string{"data", "merge"}, shards...), "-o", filepath.Join(dir, "merged.json"), "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decode(out)
	if got.Rows != 1200 || got.Fingerprint != want.Fingerprint || fmt.Sprint(got.Label) != fmt.Sprint(want.Label) {
		t.Fatalf("merged %+v, whole %+v", got, want)
	}
}

// The exit code contract: 0 pass or warn, 1 findings, 2 usage or input
// errors.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	if _, err := example.Extract(dir, example.DigitsTrain, example.DigitsBatch, example.DigitsTampered); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "base.json")
	p := func(name string) string { return filepath.Join(dir, name) }
	if code, _, stderr := run(t, "data", "profile", p(example.DigitsTrain), "--label", "label", "-o", base); code != 0 {
		t.Fatalf("profile: exit %d: %s", code, stderr)
	}
	os.WriteFile(p("garbage.json"), []byte("{]"), 0o644)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean batch", []string{"data", "check", p(example.DigitsBatch), "--baseline", base, "--label", "label"}, 0},
		{"tampered batch", []string{"data", "check", p(example.DigitsTampered), "--baseline", base, "--label", "label"}, 1},
		{"no baseline flag", []string{"data", "check", p(example.DigitsBatch)}, 2},
		{"garbage baseline", []string{"data", "check", p(example.DigitsBatch), "--baseline", p("garbage.json")}, 2},
		{"missing input", []string{"data", "check", p("nosuch.csv"), "--baseline", base}, 2},
		{"bad flag", []string{"data", "profile", "--nosuch"}, 2},
		{"bad policy key", []string{"data", "check", p(example.DigitsBatch), "--baseline", base, "--policy", p("garbage.json")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, stderr := run(t, tt.args...); code != tt.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.want, out, stderr)
			}
		})
	}
}

func TestPolicyOverrides(t *testing.T) {
	dir := t.TempDir()
	if _, err := example.Extract(dir, example.DigitsTrain, example.DigitsTampered); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := run(t, "data", "profile", filepath.Join(dir, example.DigitsTrain), "--label", "label", "-o", base); code != 0 {
		t.Fatalf("profile: exit %d: %s", code, stderr)
	}
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("drift:\n  label_conflict: {warn: 0.5, error: 0.9}\n"), 0o644)
	_, out, _ := run(t, "data", "check", filepath.Join(dir, example.DigitsTampered), "--baseline", base, "--label", "label", "--policy", policy, "--json")
	if strings.Contains(out, `"check": "duplicates.label_conflict"`) {
		t.Fatal("the policy's higher label-conflict levels were ignored")
	}
	os.WriteFile(policy, []byte("drift:\n  no_such_threshold: 1\n"), 0o644)
	if code, _, stderr := run(t, "data", "check", filepath.Join(dir, example.DigitsTampered), "--baseline", base, "--policy", policy); code != 2 || !strings.Contains(stderr, "no_such_threshold") {
		t.Fatalf("unknown policy key: exit %d, %s", code, stderr)
	}
}
