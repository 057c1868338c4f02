// Package finding is the shared vocabulary of judgements: a Finding names a
// check, its subject, a severity, the measured value and the threshold it
// crossed; a Report gathers the findings of one command with its verdict,
// summary figures and timings, and renders as text, JSON or SARIF.
package finding

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Severity ranks a finding.
type Severity uint8

// Severities in increasing order.
const (
	Info Severity = iota
	Warn
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warn:
		return "warn"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", s)
}

// MarshalText encodes a severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "info":
		*s = Info
	case "warn":
		*s = Warn
	case "error":
		*s = Error
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Verdict is a report's overall judgement.
type Verdict string

// Verdicts. A warn verdict still exits 0.
const (
	Pass        Verdict = "pass"
	WarnVerdict Verdict = "warn"
	Fail        Verdict = "fail"
)

// Finding is one judgement of one check on one subject.
type Finding struct {
	// Check is the stable identifier, such as "drift.psi".
	Check string `json:"check"`
	// Subject is what was judged: a column, a class, a file or a client.
	// SubjectKind names it in JSON ("column", "class", "file"); the
	// subject is encoded under that key, or under "subject" when empty.
	Subject     string `json:"-"`
	SubjectKind string `json:"-"`
	// Severity is info, warn or error.
	Severity Severity `json:"severity"`
	// Value is the measured figure, Threshold the level it was held to;
	// NaN encodes as null.
	Value     Number `json:"value"`
	Threshold Number `json:"threshold"`
	// Message is one line for a person.
	Message string `json:"message"`
}

// Number is a float64 whose NaN and infinities encode as JSON null.
type Number float64

// MarshalJSON writes null for NaN and ±Inf.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null as NaN.
func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Number(f)
	return nil
}

// Timing is how long one named stage of a command took.
type Timing struct {
	Stage   string        `json:"stage"`
	Elapsed time.Duration `json:"-"`
	Seconds float64       `json:"seconds"`
}

// Report is the outcome of one command that judges something.
type Report struct {
	Command  string    `json:"command"`
	Verdict  Verdict   `json:"verdict"`
	Findings []Finding `json:"findings"`
	// Summary holds named figures in a stable order.
	Summary Summary  `json:"summary"`
	Timings []Timing `json:"timings,omitempty"`
}

// Figure is one named summary value for a report's summary block.
type Figure struct {
	Name  string
	Value any
}

// Summary is an ordered list of figures; it encodes as a JSON object whose
// keys keep their order.
type Summary []Figure

// Set appends or replaces the figure called name.
func (s *Summary) Set(name string, v any) {
	for i := range *s {
		if (*s)[i].Name == name {
			(*s)[i].Value = v
			return
		}
	}
	*s = append(*s, Figure{Name: name, Value: v})
}

// MarshalJSON writes the figures as one object in order.
func (s Summary) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range s {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(jsonValue(f.Value))
		if err != nil {
			return nil, fmt.Errorf("summary %s: %w", f.Name, err)
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case float64:
		return Number(x)
	case float32:
		return Number(x)
	}
	return v
}

// MarshalJSON encodes the subject under its kind's key.
func (f Finding) MarshalJSON() ([]byte, error) {
	key := f.SubjectKind
	if key == "" {
		key = "subject"
	}
	type plain Finding
	b, err := json.Marshal(plain(f))
	if err != nil {
		return nil, err
	}
	k, _ := json.Marshal(key)
	v := []byte("null") // no subject: the finding is about the whole input
	if f.Subject != "" {
		v, _ = json.Marshal(f.Subject)
	}
	// Splice "key":"subject" in after the check field.
	head := []byte(`{"check":`)
	c, _ := json.Marshal(f.Check)
	out := append(append(head, c...), ',')
	out = append(append(append(out, k...), ':'), v...)
	return append(out, b[len(head)+len(c):]...), nil
}

// Add appends a finding.
func (r *Report) Add(f Finding) { r.Findings = append(r.Findings, f) }

// Time records the duration of a stage.
func (r *Report) Time(stage string, d time.Duration) {
	r.Timings = append(r.Timings, Timing{Stage: stage, Elapsed: d, Seconds: d.Seconds()})
}

// Judge orders the findings worst first (keeping their order within a
// severity) and sets the verdict: fail on any error finding, warn on any
// warning, pass otherwise. It returns the verdict.
func (r *Report) Judge() Verdict {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) })
	worst := Info
	for _, f := range r.Findings {
		worst = max(worst, f.Severity)
	}
	switch worst {
	case Error:
		r.Verdict = Fail
	case Warn:
		r.Verdict = WarnVerdict
	default:
		r.Verdict = Pass
	}
	return r.Verdict
}

// Count returns how many findings have the given severity.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}
