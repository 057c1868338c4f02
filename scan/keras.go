package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
)

// scanKerasConfig judges a Keras v3 config.json.
func (s *scanner) scanKerasConfig(f *File, src source) (string, error) {
	r, err := src.reader()
	if err != nil {
		return "", err
	}
	if src.size > s.opts.MaxJSONBytes {
		f.add(Finding{Rule: "keras.config_too_large", Severity: finding.Error, Verdict: Invalid, Member: src.member,
			Message: fmt.Sprintf("config of %d bytes exceeds the limit of %d", src.size, s.opts.MaxJSONBytes)})
		return FormatKerasConfig, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, s.opts.MaxJSONBytes))
	if err != nil {
		return "", err
	}
	for _, x := range KerasConfigFindings(b) {
		x.Member = src.member
		f.add(x)
	}
	return FormatKerasConfig, nil
}

// KerasConfigFindings judges a Keras model config (config.json of a
// .keras archive, or the model_config of an HDF5 file): every Lambda layer
// (marshalled Python bytecode), every object whose "module" is outside the
// Keras layer, model and building-block modules (CVE-2025-1550, and the
// keras.utils/keras.config gadgets of CVE-2025-8747 and CVE-2025-9906),
// and every custom registered object. Offsets are 0: the finding names the
// JSON path instead.
func KerasConfigFindings(config []byte) []Finding {
	var root any
	if err := json.Unmarshal(config, &root); err != nil {
		return []Finding{{Rule: "keras.invalid_config", Severity: finding.Error, Verdict: Invalid,
			Message: "config.json is not valid JSON: " + err.Error()}}
	}
	var out []Finding
	walkJSON(root, "$", func(path string, obj map[string]any) {
		out = append(out, kerasObject(path, obj)...)
	})
	return out
}

// walkJSON calls visit for every object in v, in a stable order.
func walkJSON(v any, path string, visit func(string, map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		visit(path, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(x[k], path+"."+k, visit)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	}
}

// kerasObject judges one serialized Keras object.
func kerasObject(path string, obj map[string]any) []Finding {
	class, _ := obj["class_name"].(string)
	var out []Finding
	bad := func(rule string, v Verdict, msg string) {
		sev := finding.Error
		if v == Suspicious {
			sev = finding.Warn
		}
		out = append(out, Finding{Rule: rule, Severity: sev, Verdict: v, Message: msg + " at " + path})
	}
	switch class {
	case "Lambda", "__lambda__":
		bad("keras.lambda_layer", Dangerous, "Lambda layer: marshalled Python bytecode that loading runs (CVE-2024-3660)")
	case "TFSMLayer":
		bad("keras.unsafe_layer", Dangerous, "TFSMLayer loads and runs a TensorFlow SavedModel named by the config")
	}
	if _, ok := obj["function_type"]; ok {
		bad("keras.lambda_layer", Dangerous, "serialized Python function (function_type)")
	}
	module, hasModule := obj["module"].(string)
	if hasModule && !kerasModuleAllowed(module, class) {
		bad("keras.unsafe_module", Dangerous, fmt.Sprintf("object %q from module %q, outside the Keras layer modules: loading imports it (CVE-2025-1550)", class, module))
	}
	if reg, ok := obj["registered_name"].(string); ok && reg != class && !strings.HasPrefix(reg, "keras") {
		bad("keras.custom_object", Suspicious, fmt.Sprintf("custom registered object %q", reg))
	}
	return out
}

// kerasModuleAllowed is the allowlist of modules a Keras config may name.
func kerasModuleAllowed(module, class string) bool {
	switch module {
	case "keras":
		switch class {
		case "Sequential", "Functional", "Model", "DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy",
			"QuantizedFloat8DTypePolicy", "InputSpec":
			return true
		}
		return false
	case "keras.layers", "keras.models", "keras.initializers", "keras.regularizers", "keras.constraints",
		"keras.optimizers", "keras.optimizers.schedules", "keras.losses", "keras.metrics", "keras.activations",
		"keras.dtype_policies":
		return true
	}
	for _, p := range []string{"keras.src.layers.", "keras.src.models.", "keras.src.initializers.",
		"keras.src.regularizers.", "keras.src.constraints.", "keras.src.optimizers.", "keras.src.losses.",
		"keras.src.metrics.", "keras.src.activations.", "keras.src.dtype_policies.", "keras.src.engine."} {
		if strings.HasPrefix(module+".", p) {
			return true
		}
	}
	return false
}
