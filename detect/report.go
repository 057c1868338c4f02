package detect

// ClassVerdict is the scan's judgement of one class.
type ClassVerdict struct {
	Class int    `json:"class"`
	Name  string `json:"name"`
	Rows  int    `json:"rows"`
	// Poisoned is true when the class-level gate found poison in it.
	Poisoned bool `json:"poisoned"`
	// Score is the gate's statistic for the class; Threshold the value
	// it had to reach.
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	// Flagged counts the class's rows among the suspicious ones.
	Flagged int `json:"flagged"`
	// Kind says what the gate found: "trigger" (a backdoor: rows that look
	// like another class but are labelled this one and learned as this
	// one) or "label" (flipped labels).
	Kind string `json:"kind,omitempty"`
	// Source is the class most flagged rows look like, or "" when none.
	Source string `json:"source,omitempty"`
}

// Suspect is one row the scan recommends removing or reviewing.
type Suspect struct {
	Index    int     `json:"index"`
	ID       string  `json:"id"`
	Class    string  `json:"class"`
	Score    float64 `json:"score"`
	Detector string  `json:"detector"`
	Reason   string  `json:"reason"`
	// LooksLike names the class the row resembles (its neighbours' or the
	// model's), "" when the detector cannot tell; Like is its index, -1.
	LooksLike string `json:"looks_like,omitempty"`
	Like      int    `json:"-"`
}

// Summary holds a scan's figures.
type Summary struct {
	Rows            int      `json:"rows"`
	Classes         int      `json:"classes"`
	PoisonedClasses int      `json:"poisoned_classes"`
	Flagged         int      `json:"flagged"`
	Budget          int      `json:"budget"`
	ExpectedRate    *float64 `json:"expected_poison_rate"`
	Detectors       []string `json:"detectors"`
	Seconds         float64  `json:"seconds"`
}

// Report is the result of a scan: class verdicts, then the suspicious rows
// ranked most suspicious first. Its JSON field names are stable.
type Report struct {
	Classes    []ClassVerdict `json:"classes"`
	Suspicious []Suspect      `json:"suspicious"`
	Summary    Summary        `json:"summary"`
	// Scores is the fused suspicion score of every row, for evaluation
	// against a ground truth (AUROC); not part of the JSON report.
	Scores []float64 `json:"-"`
}

// Flagged returns the indices of the suspicious rows.
func (r *Report) Flagged() []int {
	out := make([]int, len(r.Suspicious))
	for i, s := range r.Suspicious {
		out[i] = s.Index
	}
	return out
}

// Poisoned reports whether any class was judged poisoned.
func (r *Report) Poisoned() bool { return r.Summary.PoisonedClasses > 0 }
