package detect

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
)

// Verdict is the scan's one-line judgement.
func (r *Report) Verdict() string {
	if !r.Poisoned() {
		return fmt.Sprintf("pass: no class looks poisoned (%d rows, %d classes); %d rows flagged for review",
			r.Summary.Rows, r.Summary.Classes, r.Summary.Flagged)
	}
	var names []string
	for _, c := range r.Classes {
		if c.Poisoned {
			s := c.Name + " (" + c.Kind
			if c.Source != "" {
				s += ", rows look like " + c.Source
			}
			names = append(names, s+")")
		}
	}
	return fmt.Sprintf("fail: %d of %d classes look poisoned: %s; %d rows (%.2f%%) to remove or review",
		len(names), r.Summary.Classes, strings.Join(names, ", "), r.Summary.Flagged,
		100*float64(r.Summary.Flagged)/float64(max(r.Summary.Rows, 1)))
}

// WriteText renders the verdict, the class table and the top suspicious
// rows (all of them with top < 0).
func (r *Report) WriteText(w io.Writer, top int) error {
	fmt.Fprintf(w, "%s\n\n", r.Verdict())
	classes := finding.Table{Header: []string{"class", "rows", "poisoned", "kind", "score", "threshold", "flagged", "looks like"}, Text: []int{2, 3, 7}}
	for _, c := range r.Classes {
		p := "no"
		if c.Poisoned {
			p = "YES"
		}
		classes.Rows = append(classes.Rows, []string{c.Name, strconv.Itoa(c.Rows), p, orDash(c.Kind),
			finding.FormatNumber(c.Score), finding.FormatNumber(c.Threshold), strconv.Itoa(c.Flagged), orDash(c.Source)})
	}
	if err := classes.WriteText(w); err != nil {
		return err
	}
	if len(r.Suspicious) == 0 {
		return nil
	}
	shown := r.Suspicious
	if top >= 0 && len(shown) > top {
		shown = shown[:top]
	}
	fmt.Fprintf(w, "\nsuspicious rows, most suspicious first (%d of %d shown):\n", len(shown), len(r.Suspicious))
	rows := finding.Table{Header: []string{"index", "id", "class", "score", "detector", "reason"}, Text: []int{1, 2, 4, 5}}
	for _, s := range shown {
		rows.Rows = append(rows.Rows, []string{strconv.Itoa(s.Index), s.ID, s.Class, finding.FormatNumber(s.Score), s.Detector, s.Reason})
	}
	return rows.WriteText(w)
}

// WriteCSV writes the suspicious rows as CSV: index, id, class, score,
// detector, reason.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"index", "id", "class", "score", "detector", "reason"})
	for _, s := range r.Suspicious {
		cw.Write([]string{strconv.Itoa(s.Index), s.ID, s.Class, strconv.FormatFloat(s.Score, 'g', 6, 64), s.Detector, s.Reason})
	}
	cw.Flush()
	return cw.Error()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
