#!/usr/bin/python3
"""Generate the IDX fixtures of the idx package tests (standard library only).

    /usr/bin/python3 gen.py

Record k of every file holds the values k*100 + i for i = 0, 1, ...
(modulo 256 for unsigned bytes, k*10 + i for signed bytes), negated for odd
k in the signed types; the tests compute the same values.
"""
import gzip
import struct

TYPES = {0x08: ">B", 0x09: ">b", 0x0B: ">h", 0x0C: ">i", 0x0D: ">f", 0x0E: ">d"}
NAMES = {0x08: "ubyte", 0x09: "sbyte", 0x0B: "short", 0x0C: "int", 0x0D: "float", 0x0E: "double"}


def value(t, k, i):
    if t == 0x08:
        return (k * 100 + i) % 256
    v = k * 10 + i if t == 0x09 else k * 100 + i
    return -v if k % 2 else v


def idx(t, dims):
    out = bytes([0, 0, t, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    per = 1
    for d in dims[1:]:
        per *= d
    for k in range(dims[0]):
        for i in range(per):
            out += struct.pack(TYPES[t], value(t, k, i))
    return out


for t, name in NAMES.items():
    with open(f"{name}-idx3", "wb") as f:
        f.write(idx(t, [3, 2, 2]))
with open("labels-idx1-ubyte", "wb") as f:
    f.write(idx(0x08, [5]))
with gzip.GzipFile("ubyte-idx3.gz", "wb", mtime=0) as f:
    f.write(idx(0x08, [3, 2, 2]))
