package finding

import (
	"fmt"
	"io"
	"slices"
)

// SARIF 2.1.0, the static-analysis results format that CI systems (GitHub
// code scanning, GitLab, Azure DevOps) show next to a change. Each finding
// becomes a result whose rule is its check, located in the artifact that
// was judged and, logically, at its subject.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
}

type sarifLogical struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// WriteSARIF writes the report as a SARIF 2.1.0 log whose results point
// at artifact (the file that was judged, as a relative path or URI).
func (r *Report) WriteSARIF(w io.Writer, toolVersion, artifact string) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "poisonguard", Version: toolVersion}}, Results: []sarifResult{}}
	var rules []string
	for _, f := range r.Findings {
		if !slices.Contains(rules, f.Check) {
			rules = append(rules, f.Check)
		}
		res := sarifResult{RuleID: f.Check, Level: sarifLevel(f.Severity), Message: sarifMessage{Text: f.Message}}
		loc := sarifLocation{}
		loc.PhysicalLocation.ArtifactLocation.URI = artifact
		if f.Subject != "" {
			kind := f.SubjectKind
			if kind == "" {
				kind = "subject"
			}
			loc.LogicalLocations = []sarifLogical{{Name: f.Subject, Kind: kind}}
		}
		res.Locations = []sarifLocation{loc}
		run.Results = append(run.Results, res)
	}
	for _, id := range rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id, ShortDescription: sarifMessage{Text: fmt.Sprintf("poisonguard check %s", id)}})
	}
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []sarifRule{}
	}
	return WriteJSON(w, sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warn:
		return "warning"
	}
	return "note"
}
