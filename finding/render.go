package finding

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Headline is the one-line verdict that opens a text report, such as
// "FAIL  data check: 2 errors, 1 warning — batch.csv against base.json".
func (r *Report) Headline(about string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s  %s: ", strings.ToUpper(string(r.Verdict)), r.Command)
	errs, warns := r.Count(Error), r.Count(Warn)
	switch {
	case errs == 0 && warns == 0:
		b.WriteString("no findings")
	default:
		fmt.Fprintf(&b, "%s, %s", Plural(errs, "error"), Plural(warns, "warning"))
	}
	if about != "" {
		b.WriteString(" — ")
		b.WriteString(about)
	}
	return b.String()
}

// Plural counts n of a word: "1 epoch", "5 epochs", "2 entries".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if l := len(word); l > 1 && word[l-1] == 'y' && !strings.ContainsRune("aeiou", rune(word[l-2])) {
		return fmt.Sprintf("%d %sies", n, word[:l-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteText writes the headline and an aligned table of the findings at
// or above min, worst first in the order they were added.
func (r *Report) WriteText(w io.Writer, about string, min Severity) error {
	if _, err := fmt.Fprintln(w, r.Headline(about)); err != nil {
		return err
	}
	var shown []Finding
	for _, s := range []Severity{Error, Warn, Info} {
		if s < min {
			continue
		}
		for _, f := range r.Findings {
			if f.Severity == s {
				shown = append(shown, f)
			}
		}
	}
	if len(shown) == 0 {
		return nil
	}
	kind := "SUBJECT"
	if k := shown[0].SubjectKind; k != "" {
		kind = strings.ToUpper(k)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nSEVERITY\tCHECK\t%s\tVALUE\tTHRESHOLD\tMESSAGE\n", kind)
	for _, f := range shown {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.Check, orDash(f.Subject),
			FormatNumber(float64(f.Value)), FormatNumber(float64(f.Threshold)), f.Message)
	}
	return tw.Flush()
}

// WriteSummary writes the summary figures as aligned "name  value" lines.
func (r *Report) WriteSummary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range r.Summary {
		v := fmt.Sprint(f.Value)
		if x, ok := f.Value.(float64); ok {
			v = FormatNumber(x)
		}
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, v)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// FormatNumber renders a figure for a table: four significant digits,
// small p-values in exponent form, "-" for NaN.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprintf("%d", int64(v))
	case math.Abs(v) < 1e-3 || math.Abs(v) >= 1e6:
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4g", v)
}
