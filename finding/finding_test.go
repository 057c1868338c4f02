package finding_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/finding"
)

func sample() *finding.Report {
	r := &finding.Report{Command: "data check"}
	r.Add(finding.Finding{Check: "drift.psi", Subject: "age", SubjectKind: "column", Severity: finding.Warn,
		Value: 0.12, Threshold: 0.1, Message: "PSI 0.120 over 10 bins"})
	r.Add(finding.Finding{Check: "replay", Severity: finding.Error, Value: finding.Number(math.NaN()),
		Threshold: finding.Number(math.Inf(1)), Message: "replayed"})
	r.Summary.Set("rows", 10)
	r.Summary.Set("share", 0.5)
	r.Judge()
	return r
}

func TestJudgeAndJSON(t *testing.T) {
	r := sample()
	if r.Verdict != finding.Fail {
		t.Fatalf("verdict %s", r.Verdict)
	}
	var buf bytes.Buffer
	if err := finding.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	fs := got["findings"].([]any)
	// Judge ordered them worst first.
	second, first := fs[0].(map[string]any), fs[1].(map[string]any)
	if first["column"] != "age" || first["check"] != "drift.psi" || first["severity"] != "warn" {
		t.Errorf("first finding %v", first)
	}
	if second["value"] != nil || second["threshold"] != nil || second["subject"] != nil {
		t.Errorf("NaN and Inf must encode as null: %v", second)
	}
	if !strings.Contains(buf.String(), `"summary": {`) || !strings.Contains(buf.String(), `"rows": 10,`) {
		t.Errorf("summary not an ordered object: %s", buf.String())
	}
}

func TestTextTableWorstFirst(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteText(&buf, "b.csv against a.json", finding.Warn); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if lines[0] != "FAIL  data check: 1 error, 1 warning — b.csv against a.json" {
		t.Fatalf("headline %q", lines[0])
	}
	if !strings.HasPrefix(lines[3], "error ") || !strings.HasPrefix(lines[4], "warn ") {
		t.Fatalf("not worst first:\n%s", buf.String())
	}
}

func TestSARIF(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteSARIF(&buf, "v1", "batch.csv"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID, Level string
				Locations     []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
					LogicalLocations []struct{ Name string }
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if log.Version != "2.1.0" || len(res) != 2 || len(log.Runs[0].Tool.Driver.Rules) != 2 {
		t.Fatalf("log %+v", log)
	}
	if res[0].Level != "error" || res[1].Level != "warning" || res[1].Locations[0].LogicalLocations[0].Name != "age" ||
		res[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "batch.csv" {
		t.Fatalf("results %+v", res)
	}
}
