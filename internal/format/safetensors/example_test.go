package safetensors_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/poisonguard/poisonguard/internal/format/safetensors"
)

func ExampleRead() {
	var file bytes.Buffer
	err := safetensors.Write(&file, &safetensors.File{
		Metadata: map[string]string{"format": "pt"},
		Tensors: []safetensors.Tensor{
			safetensors.FromFloat32s("w", []int{2, 2}, []float32{1, 2, 3, 4}),
			safetensors.FromFloat32s("b", []int{2}, []float32{0.5, -0.5}),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Read(&file, int64(file.Len()), safetensors.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Metadata)
	for _, t := range f.Tensors {
		values, err := t.Float32s()
		fmt.Println(t.Name, t.DType, t.Shape, values, err)
	}
	// Output:
	// map[format:pt]
	// b F32 [2] [0.5 -0.5] <nil>
	// w F32 [2 2] [1 2 3 4] <nil>
}

func ExampleReadHeader() {
	header := `{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`
	file := append([]byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}, header...)
	file = append(file, make([]byte, 12)...)

	_, err := safetensors.ReadHeader(bytes.NewReader(file), int64(len(file)), safetensors.Limits{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, safetensors.ErrFormat))
	// Output:
	// safetensors: tensor "w": data_offsets [0, 12] hold 12 bytes, shape [2 2] of F32 needs 16
	// true
}
