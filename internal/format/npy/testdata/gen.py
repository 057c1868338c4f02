#!/usr/bin/python3
"""Generate the .npy fixtures of the npy package tests.

Run from this directory with NumPy installed (Debian's python3-numpy 1.24
made the committed files):

    /usr/bin/python3 gen.py

Every array is 3x4, written once in C order and once in Fortran order.
expected.json maps each file name to its shape and its values as float64 in
C (row-major) order, as NumPy converts them, so the Go tests compare against
NumPy rather than against a second Go implementation.
"""
import gzip
import io
import json

import numpy as np

SCALES = {
    "i1": 1, "i2": 1000, "i4": 100000, "i8": 10**12,
    "u1": 20, "u2": 5000, "u4": 300000000, "u8": 10**18,
    "f2": 0.5, "f4": 0.1, "f8": 0.1,
}


def values(kind_size):
    k = np.arange(12).reshape(3, 4)
    if kind_size == "b1":
        return (k % 3 == 0)
    kind = kind_size[0]
    scale = SCALES[kind_size]
    if kind == "u":
        return (k.astype(np.uint64) * np.uint64(scale))
    if kind == "i":
        return (k - 5) * scale
    return (k - 5) * scale


expected = {}


def save(name, arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=True)
    with open(name, "wb") as f:
        f.write(buf.getvalue())
    if arr.dtype.kind in "biuf" and np.isfinite(arr.astype("<f8")).all():
        expected[name] = {
            "shape": list(arr.shape),
            "values": [float(v) for v in arr.astype("<f8").ravel(order="C")],
        }


for order in "<>":
    for ks in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]:
        if ks in ("i1", "u1", "b1") and order == ">":
            continue
        dt = np.dtype(order + ks)
        arr = values(ks).astype(dt)
        tag = {"<": "le", ">": "be"}[order]
        save(f"{ks}_{tag}_c.npy", np.ascontiguousarray(arr))
        save(f"{ks}_{tag}_f.npy", np.asfortranarray(arr))

base = np.arange(12, dtype="<f4").reshape(3, 4) - 5
save("v2.npy", base, version=(2, 0))
save("v3.npy", base, version=(3, 0))
save("images.npy", np.arange(2 * 3 * 2, dtype="|u1").reshape(2, 3, 2))
save("images_f.npy", np.asfortranarray(np.arange(2 * 3 * 2, dtype="<i2").reshape(2, 3, 2)))
save("single_f.npy", np.asfortranarray(np.arange(6, dtype="<f8").reshape(1, 2, 3)))
save("labels_i8.npy", np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype="<i8"))
save("labels_f4.npy", np.array([0, 1, 1, 0, 2], dtype="<f4"))
save("labels_col.npy", np.array([[7], [8], [9]], dtype="|u1"))
save("labels_frac.npy", np.array([0, 1.5], dtype="<f8"))
save("empty.npy", np.zeros((0, 3), dtype="<f8"))
save("scalar.npy", np.array(2.5))
save("special.npy", np.array([[np.nan, np.inf], [-np.inf, -0.0]], dtype="<f4"))
save("object.npy", np.array([{"a": 1}, None], dtype=object))
save("structured.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
save("unicode.npy", np.array(["ab", "c"]))
save("complex.npy", np.zeros((2, 2), dtype="<c8"))

with open("f4_le_c.npy", "rb") as f:
    raw = f.read()
with gzip.GzipFile("f4_le_c.npy.gz", "wb", mtime=0) as f:
    f.write(raw)
with open("f4_le_f.npy", "rb") as f:
    raw = f.read()
with gzip.GzipFile("f4_le_f.npy.gz", "wb", mtime=0) as f:
    f.write(raw)
expected["f4_le_c.npy.gz"] = expected["f4_le_c.npy"]
expected["f4_le_f.npy.gz"] = expected["f4_le_f.npy"]

with open("expected.json", "w") as f:
    f.write("{\n")
    f.write(",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(expected.items())))
    f.write("\n}\n")
