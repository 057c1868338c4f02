package finding_test

import (
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/finding"
)

func TestTable(t *testing.T) {
	tb := finding.Table{Header: []string{"class", "accuracy"}, Rows: [][]string{{"0", "99.1%"}, {"ünïcode", "5%"}}}
	var b strings.Builder
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "CLASS    ACCURACY\n0           99.1%\nünïcode        5%\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	tb.WriteMarkdown(&b)
	if want := "| class | accuracy |\n|---|---:|\n| 0 | 99.1% |\n| ünïcode | 5% |\n"; b.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", b.String(), want)
	}
}
