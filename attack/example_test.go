package attack_test

import (
	"fmt"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
)

// Poison a tenth of a set of tiny grey images with BadNets' default
// trigger, a 3×3 white square in the bottom-right corner, then stamp the
// same trigger on test rows to measure the attack success rate.
func ExampleApply() {
	const n, side = 20, 4
	train := &dataset.Set{
		X: make([]float32, n*side*side), Y: make([]int, n), N: n, D: side * side, Classes: 2,
		Shape: dataset.Shape{Height: side, Width: side, Channels: 1}, Min: 0, Max: 255,
	}
	for i := range n {
		train.Y[i] = i % 2
	}
	res, err := attack.Apply(attack.Spec{Kind: attack.BadNets, Rate: 0.1, Target: 0, Seed: 1}, train)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("poisoned rows:", res.Indices)
	i := res.Indices[0]
	fmt.Printf("row %d: label %d → %d\n", i, train.Y[i], res.Poisoned.Y[i])
	for y := range side {
		fmt.Println(res.Poisoned.X[i*side*side+y*side:][:side])
	}

	triggered, want, idx, err := attack.TriggerTest(res.Spec, train)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d test rows outside the target class, wanted label %d\n", triggered.N, want[0])
	fmt.Println("first:", idx[:3])
	// Output:
	// poisoned rows: [3 5]
	// row 3: label 1 → 0
	// [0 0 0 0]
	// [0 255 255 255]
	// [0 255 255 255]
	// [0 255 255 255]
	// 10 test rows outside the target class, wanted label 0
	// first: [1 3 5]
}
