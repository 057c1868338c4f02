package scan_test

import (
	"slices"
	"testing"

	"github.com/poisonguard/poisonguard/scan"
)

func TestKerasConfigFindings(t *testing.T) {
	layer := func(module, class string) string {
		return `{"module": "` + module + `", "class_name": "` + class + `", "config": {}, "registered_name": null}`
	}
	model := func(layers ...string) string {
		s := `{"module": "keras", "class_name": "Sequential", "config": {"layers": [`
		for i, l := range layers {
			if i > 0 {
				s += ","
			}
			s += l
		}
		return s + `]}}`
	}
	tests := []struct {
		name, config string
		rules        []string
	}{
		{"dense", model(layer("keras.layers", "Dense"), layer("keras.src.layers.core.dense", "Dense")), nil},
		{"lambda", model(layer("keras.layers", "Lambda")), []string{"keras.lambda_layer"}},
		{"os module", model(layer("os", "system")), []string{"keras.unsafe_module"}},
		{"keras.config gadget", model(layer("keras.config", "enable_unsafe_deserialization")), []string{"keras.unsafe_module"}},
		{"bare keras module", model(layer("keras", "utils")), []string{"keras.unsafe_module"}},
		{"custom object", model(`{"module": "keras.layers", "class_name": "Dense", "registered_name": "my>Layer"}`),
			[]string{"keras.custom_object"}},
		{"keras 2 lambda", `{"class_name": "Model", "config": {"layers": [{"class_name": "Dense", "config": {"function_type": "lambda"}}]}}`,
			[]string{"keras.lambda_layer"}},
		{"not JSON", `{"module": `, []string{"keras.invalid_config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, x := range scan.KerasConfigFindings([]byte(tt.config)) {
				if !slices.Contains(got, x.Rule) {
					got = append(got, x.Rule)
				}
			}
			if !slices.Equal(got, tt.rules) {
				t.Errorf("rules %v, want %v", got, tt.rules)
			}
		})
	}
}
