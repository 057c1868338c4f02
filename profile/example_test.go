package profile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/profile"
)

// Profile two shards of a dataset and merge them into the profile of the
// whole.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	shards := map[string]string{
		"a.csv": "age,city,label\n31,Lyon,1\n45,Paris,0\n",
		"b.csv": "age,city,label\n52,Paris,0\nNA,Nice,1\n45,Paris,0\n",
	}
	var parts []*profile.Profile
	for _, name := range []string{"a.csv", "b.csv"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(shards[name]), 0o644)
		src, err := dataset.Open(path, dataset.Options{Label: "label"})
		if err != nil {
			panic(err)
		}
		p, err := profile.FromSource(context.Background(), src, profile.Options{}, name)
		src.Close()
		if err != nil {
			panic(err)
		}
		parts = append(parts, p)
	}
	whole, err := profile.Merge(parts...)
	if err != nil {
		panic(err)
	}
	age := whole.Column("age")
	dup, _ := whole.RowHashes.Duplicates()
	fmt.Printf("rows %d, age: mean %.2f, median %.0f, missing %d\n", whole.Rows, age.Moments.Mean, age.Quantile(0.5), age.Missing)
	fmt.Printf("city: %s, %.0f distinct\n", whole.Column("city").Kind, whole.Column("city").Cardinality)
	fmt.Printf("labels %v, entropy %.3f bits, duplicate rows %.0f\n", whole.Label.Classes, whole.Label.EntropyBits, dup)
	// Output:
	// rows 5, age: mean 43.25, median 45, missing 1
	// city: categorical, 3 distinct
	// labels [{0 3} {1 2}], entropy 0.971 bits, duplicate rows 1
}
