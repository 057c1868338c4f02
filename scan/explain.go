package scan

import "strings"

// Explain returns one sentence on what a rule means and why it matters,
// or "" for an unknown rule.
func Explain(rule string) string {
	switch rule {
	case "pickle.dangerous_global":
		return "loading the pickle imports a function or class that runs commands, reads or writes files, opens connections or evaluates code"
	case "pickle.unknown_global":
		return "loading the pickle imports a global outside the allowlist; review it, or load with a restricted unpickler"
	case "pickle.unresolved_operand":
		return "a global's module or name is computed while loading, so no scanner can tell what is imported"
	case "pickle.global_mutation":
		return "the pickle writes attributes of (or calls methods on) a module-level object, a known way to smuggle a dangerous import past scanners"
	case "pickle.indirect_call":
		return "the pickle calls the result of an earlier call, a gadget chain no allowlist can vouch for"
	case "pickle.extension":
		return "the pickle names a global through the copyreg extension registry, which the scanner cannot see"
	case "pickle.expansion":
		return "the pickle repeats references far beyond what Python writes: a memory-exhaustion (billion laughs) attack"
	case "pickle.invalid", "pickle.limit":
		return "the pickle is malformed or beyond the scanner's limits, so it cannot be vouched for"
	case "pickle.trailing_data":
		return "bytes after the last pickle are not read by pickle.load"
	case "npy.object_array":
		return "an object array stores its values as a pickle, run by numpy.load(allow_pickle=True)"
	case "zip.local_central_mismatch":
		return "a member's local and central names differ: the loader and a strict scanner see different files"
	case "zip.flags", "zip.bad_crc":
		return "strict ZIP readers refuse this member but PyTorch loads it: a trick to make scanners skip it"
	case "zip.no_central_directory", "zip.local_only", "zip.central_only":
		return "the archive's two member lists disagree: some reader may see a member another misses"
	case "keras.lambda_layer":
		return "a Lambda layer holds marshalled Python bytecode that loading the model runs"
	case "keras.unsafe_module", "keras.unsafe_layer":
		return "the config names a module outside Keras' layers, which loading imports and calls, even in safe mode"
	case "keras.custom_object":
		return "the config needs a custom registered object, code that must come from elsewhere"
	case "fs.symlink_outside_root":
		return "a symbolic link leads out of the model folder; a loader would follow it"
	}
	switch {
	case strings.HasPrefix(rule, "safetensors."):
		return "the safetensors header is malformed: offsets, sizes or JSON a strict reader refuses"
	case strings.HasPrefix(rule, "zip."):
		return "the archive is damaged or beyond the scanner's limits"
	case strings.HasPrefix(rule, "keras."):
		return "the Keras config cannot be vouched for"
	}
	return ""
}
