package safetensors_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/safetensors"
)

// BenchmarkReadHeader parses the header of a file of 10,000 small
// tensors, about the count of a large language model's checkpoint shard.
func BenchmarkReadHeader(b *testing.B) {
	f := &safetensors.File{Metadata: map[string]string{"format": "pt"}}
	for i := range 10_000 {
		f.Tensors = append(f.Tensors, safetensors.FromFloat32s(fmt.Sprintf("model.layers.%d.weight", i), []int{2, 2}, make([]float32, 4)))
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, f); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, err := safetensors.ReadHeader(bytes.NewReader(file), int64(len(file)), safetensors.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
