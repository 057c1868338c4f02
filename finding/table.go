package finding

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Table is a table of figures: the first column (names) is left-aligned,
// the others (figures) right-aligned unless Text marks them as text.
// Text tables upper-case the header, as the findings table does; Markdown
// tables keep it.
type Table struct {
	Header []string
	Rows   [][]string
	// Text marks columns, by index, that hold text and align left.
	Text []int
}

func (t Table) left(j int) bool { return j == 0 || slices.Contains(t.Text, j) }

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
			if j > 0 {
				b.WriteString("  ")
			}
			switch {
			case t.left(j) && j == len(row)-1:
				b.WriteString(cell)
			case t.left(j):
				b.WriteString(cell)
				b.WriteString(pad)
			default:
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
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for j := range t.Header {
		if t.left(j) {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
