package scan_test

import (
	"context"
	"fmt"

	"github.com/poisonguard/poisonguard/scan"
)

func ExampleScan() {
	rep, err := scan.Scan(context.Background(), []string{"testdata/global_os_system.pkl"}, scan.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := rep.Files[0]
	fmt.Println(f.Format, f.Verdict)
	for _, x := range f.Findings {
		fmt.Println(x.Rule, x.Global, x.Offset)
	}
	// Output:
	// pickle dangerous
	// pickle.dangerous_global os.system 2
}
