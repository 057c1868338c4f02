package scan

import (
	"strings"
	"unicode"
)

// class is the judgement of one global.
type class uint8

const (
	classUnknown   class = iota // not on either list: suspicious
	classSafe                   // on the allowlist
	classDangerous              // on the denylist, or a dunder attribute
)

// classify judges the global module.name allowlist-first: an exact
// allowlisted name is safe; a name under a denylisted module or attribute
// (submodules included), or one that reaches a dunder attribute, is
// dangerous; anything else is unknown. Python 2 module names are judged
// as well under the names Python 3's unpickler maps them to, and the worse
// judgement wins.
func classify(module, name string) (class, string) {
	c, why := classifyOne(module, name)
	if alias := py2Module(module); alias != "" {
		if c2, why2 := classifyOne(alias, name); c2 == classDangerous || (c == classUnknown && c2 == classSafe) {
			return c2, why2
		}
	}
	return c, why
}

func classifyOne(module, name string) (class, string) {
	full := module + "." + name
	if safeGlobal(full) {
		return classSafe, "allowlisted"
	}
	if ok, why := sklearnClass(module, name); ok {
		return classSafe, why
	}
	for i := 0; i <= len(full); i++ {
		if i == len(full) || full[i] == '.' {
			if why := dangerousPrefix(full[:i]); why != "" {
				return classDangerous, why
			}
		}
	}
	for i, part := range strings.Split(full, ".") {
		if len(part) > 4 && strings.HasPrefix(part, "__") && strings.HasSuffix(part, "__") &&
			!(i == 0 && (part == "__main__" || part == "__builtin__")) {
			return classDangerous, "reaches the dunder attribute " + part
		}
	}
	return classUnknown, "not on the allowlist"
}

// safeGlobal is the allowlist: globals that PyTorch, NumPy and plain
// containers need to rebuild tensors, arrays and state dicts, none of
// which runs code chosen by the pickle.
func safeGlobal(full string) bool {
	switch full {
	case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
		"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor",
		"torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_device_tensor_from_numpy",
		"torch._tensor._rebuild_from_type_v2", "torch.serialization._get_layout",
		"torch.Size", "torch.device", "torch.dtype", "torch.Tensor", "torch.nn.parameter.Parameter",
		"torch.storage.TypedStorage", "torch.storage.UntypedStorage",
		"torch.UntypedStorage", "torch.strided", "torch.sparse_coo", "torch.contiguous_format",
		"torch.channels_last", "torch.preserve_format", "torch.per_tensor_affine", "torch.per_channel_affine":
		return true
	case "collections.OrderedDict", "collections.defaultdict", "collections.Counter", "collections.deque",
		"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "_codecs.encode",
		"builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.slice", "builtins.complex",
		"builtins.list", "builtins.dict", "builtins.tuple", "builtins.int", "builtins.float",
		"builtins.str", "builtins.bytes", "builtins.bool", "builtins.object", "builtins.range":
		return true
	case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
		"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
		"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
		"numpy.ndarray", "numpy.dtype", "numpy.ma.core._mareconstruct", "numpy.ma.core.MaskedArray":
		return true
	}
	return torchScalarType(full) || numpyDType(full)
}

// torchScalarType reports torch dtypes and typed storage classes.
func torchScalarType(full string) bool {
	name, ok := strings.CutPrefix(full, "torch.")
	if !ok {
		return false
	}
	switch name {
	case "float32", "float", "float64", "double", "float16", "half", "bfloat16", "complex64", "complex128",
		"cfloat", "cdouble", "uint8", "int8", "int16", "short", "int32", "int", "int64", "long", "bool",
		"quint8", "qint8", "qint32", "quint4x2", "float8_e4m3fn", "float8_e5m2":
		return true
	}
	switch strings.TrimSuffix(name, "Storage") {
	case "Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
		"ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2":
		return strings.HasSuffix(name, "Storage")
	}
	return false
}

// numpyDType reports NumPy 2's dtype classes (numpy.dtypes.Float64DType).
func numpyDType(full string) bool {
	name, ok := strings.CutPrefix(full, "numpy.dtypes.")
	return ok && strings.HasSuffix(name, "DType") && isIdent(name)
}

// sklearnClass admits scikit-learn estimator classes: CamelCase names
// under sklearn's model packages. Unpickling one calls its __new__ (or
// __init__, which scikit-learn's estimator contract limits to storing
// parameters) and its __setstate__, which only restores __dict__. The
// packages that hold functions with side effects (datasets downloads,
// utils, externals, experimental) are left out, and so are functions:
// a lower-case name is never admitted.
func sklearnClass(module, name string) (bool, string) {
	rest, ok := strings.CutPrefix(module, "sklearn.")
	if !ok || name == "" || !unicode.IsUpper(rune(name[0])) || !isIdent(name) || !isIdentPath(module) {
		return false, ""
	}
	switch strings.SplitN(rest, ".", 2)[0] {
	case "datasets", "utils", "externals", "experimental", "_build_utils", "tests", "_config", "_loss":
		return false, ""
	}
	return true, "scikit-learn estimator class"
}

// dangerousPrefix returns why a dotted prefix of a global is on the
// denylist, or "".
func dangerousPrefix(p string) string {
	switch p {
	case "os", "posix", "nt", "subprocess", "sys", "runpy", "pty", "shutil", "socket", "ctypes", "_ctypes",
		"importlib", "marshal", "types", "pickle", "_pickle", "cloudpickle", "dill", "joblib.load",
		"code", "codeop", "pdb", "bdb", "profile", "cProfile", "trace", "timeit", "doctest", "pydoc",
		"pkgutil", "idlelib", "lib2to3", "imaplib", "ftplib", "smtplib", "poplib", "telnetlib", "nntplib",
		"http", "urllib", "urllib2", "httplib", "requests", "aiohttp", "ssl", "uuid", "webbrowser",
		"pip", "ensurepip", "venv", "setuptools", "distutils", "site", "platform", "multiprocessing",
		"threading", "_thread", "signal", "tempfile", "asyncio", "_osx_support", "_aix_support", "_pyrepl",
		"operator", "_operator", "functools", "_functools", "zipimport", "xmlrpc", "socketserver",
		"commands", "popen2", "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open",
		"builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.__import__", "builtins.apply",
		"builtins.breakpoint", "builtins.input", "builtins.execfile", "builtins.file", "builtins.globals",
		"builtins.locals", "builtins.vars", "builtins.help", "builtins.exit", "builtins.quit",
		"io.open", "io.FileIO", "_io.open", "_io.FileIO", "logging.FileHandler", "logging.handlers",
		"logging.config", "copyreg.add_extension", "gc", "test", "ast", "inspect":
		return "denylisted: " + p
	case "torch.load", "torch.save", "torch.serialization", "torch.hub", "torch.jit", "torch._dynamo",
		"torch._inductor", "torch.compile", "torch.ops", "torch.utils.cpp_extension", "torch.package",
		"torch.distributed", "torch.multiprocessing", "torch.fx", "torch._C._load_for_lite_interpreter",
		"torch.storage._load_from_bytes", "torch.utils.data", "torch.testing", "torch.backends",
		"numpy.f2py", "numpy.testing", "numpy.load", "numpy.save", "numpy.savez", "numpy.savez_compressed",
		"numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.lib.npyio", "numpy.lib.format",
		"numpy.distutils", "numpy.ctypeslib", "numpy.lib.utils", "numpy.memmap",
		"sklearn.datasets", "sklearn.utils._testing", "keras.models.load_model", "keras.utils.get_file",
		"tensorflow.io", "tensorflow.keras.models.load_model":
		return "denylisted, loads, writes or runs code: " + p
	}
	return ""
}

// py2Module returns the Python 3 module that Python 3's unpickler maps a
// Python 2 module name to (_compat_pickle.IMPORT_MAPPING), or "".
func py2Module(m string) string {
	switch m {
	case "__builtin__", "exceptions":
		return "builtins"
	case "copy_reg":
		return "copyreg"
	case "cPickle":
		return "pickle"
	case "commands":
		return "subprocess"
	case "urllib2":
		return "urllib.request"
	case "httplib":
		return "http.client"
	case "thread":
		return "_thread"
	case "cStringIO", "StringIO":
		return "io"
	case "xmlrpclib":
		return "xmlrpc.client"
	case "cookielib":
		return "http.cookiejar"
	case "BaseHTTPServer", "SimpleHTTPServer", "CGIHTTPServer":
		return "http.server"
	case "urlparse":
		return "urllib.parse"
	case "SocketServer":
		return "socketserver"
	case "UserDict", "UserList", "UserString":
		return "collections"
	case "Queue":
		return "queue"
	}
	return ""
}

// isIdent reports whether s is a Python identifier.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// isIdentPath reports whether s is a dotted path of identifiers, a name
// an import could resolve.
func isIdentPath(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if !isIdent(part) {
			return false
		}
	}
	return true
}
