package finding

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a table of figures: the first column (names) is left-aligned,
// the others (figures) right-aligned. Text tables upper-case the header,
// as the findings table does; Markdown tables keep it.
type Table struct {
	Header []string
	Rows   [][]string
}

// WriteText writes the table with columns padded to align, two spaces
// apart.
func (t Table) WriteText(w io.Writer) error {
	widths := make([]int, len(t.Header))
	all := append([][]string{t.upperHeader()}, t.Rows...)
	for _, row := range all {
		for j, cell := range row {
			widths[j] = max(widths[j], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, row := range all {
		for j, cell := range row {
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(cell))
			switch {
			case j == 0:
				b.WriteString(cell)
				if len(row) > 1 {
					b.WriteString(pad)
				}
			default:
				b.WriteString("  ")
				b.WriteString(pad)
				b.WriteString(cell)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t Table) upperHeader() []string {
	h := make([]string, len(t.Header))
	for i, s := range t.Header {
		h[i] = strings.ToUpper(s)
	}
	return h
}

// WriteMarkdown writes the table in GitHub Markdown, figures
// right-aligned.
func (t Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s |\n|---|%s\n", strings.Join(t.Header, " | "), strings.Repeat("---:|", len(t.Header)-1))
	for _, row := range t.Rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
