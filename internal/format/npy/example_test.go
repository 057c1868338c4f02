package npy_test

import (
	"bytes"
	"fmt"

	"github.com/poisonguard/poisonguard/internal/format/npy"
)

func ExampleReadHeader() {
	var file bytes.Buffer
	npy.Write(&file, []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})

	h, err := npy.ReadHeader(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	values := make([]float64, h.Elements())
	h.DType.Decode(values, file.Bytes())
	fmt.Println(h.DType, h.Shape, h.FortranOrder, h.HeaderLen)
	fmt.Println(values)
	// Output:
	// <f4 [2 3] false 128
	// [1 2 3 4 5 6]
}
