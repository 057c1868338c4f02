package drift_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/profile"
)

// Gate a new batch against the profile of a trusted dataset.
func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	profileOf := func(name, header string, rows []string) *profile.Profile {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644)
		src, err := dataset.Open(path, dataset.Options{Label: "label"})
		if err != nil {
			panic(err)
		}
		defer src.Close()
		p, err := profile.FromSource(context.Background(), src, profile.Options{LabelColumn: "label"}, name)
		if err != nil {
			panic(err)
		}
		return p
	}
	var trusted, batch []string
	for i := range 200 {
		trusted = append(trusted, fmt.Sprintf("%d,%d,%d", i%17, i%5, i%2))
	}
	for i := range 100 {
		// Every batch row repeats a trusted row with the other label.
		j := 2 * i
		batch = append(batch, fmt.Sprintf("%d,%d,%d", j%17, j%5, 1-j%2))
	}
	base := profileOf("trusted.csv", "a,b,label", trusted)
	res, err := drift.Check(base, profileOf("batch.csv", "a,b,label", batch), drift.DefaultPolicy())
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Report.Verdict)
	for _, f := range res.Report.Findings {
		fmt.Println(f.Severity, f.Check)
	}
	// Output:
	// fail
	// error label.distribution
	// error duplicates.rate
	// error duplicates.label_conflict
	// error duplicates.baseline_overlap
	// error dataset.drift
	// warn label.missing_class
	// warn label.entropy
}
