#!/usr/bin/python3
"""Write the large inputs of bench/modelscan/run.sh into DIR.

    /usr/bin/python3 bench/modelscan/gen_big.py DIR [MB]

big.pkl          pickle.dump (protocol 4) of a dict of float32 NumPy arrays
                 of about MB megabytes in all (default 800), 8 MB each, with
                 a few small entries between them, as a state dict has
big.pt           torch.save (ZIP format) of the same arrays as tensors
big.safetensors  a safetensors file of the same size: a real header, the
                 data region left sparse (the scan reads the header only)

Needs Debian's python3-numpy and python3-torch. Deterministic.
"""
import json
import os
import pickle
import struct
import sys

import numpy as np


def main():
    out = sys.argv[1]
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 800
    os.makedirs(out, exist_ok=True)
    n = mb // 8
    rng = np.random.default_rng(0)
    arrays = {}
    for i in range(n):
        arrays["layers.%d.weight" % i] = rng.standard_normal(2 * 1024 * 1024, dtype=np.float32)
        arrays["layers.%d.step" % i] = i
        arrays["layers.%d.shape" % i] = (1024, 2048)
    with open(os.path.join(out, "big.pkl"), "wb") as f:
        pickle.dump(arrays, f, protocol=4)

    import torch
    tensors = {k: torch.from_numpy(v) for k, v in arrays.items() if isinstance(v, np.ndarray)}
    torch.save(tensors, os.path.join(out, "big.pt"))

    header, off = {}, 0
    for k in sorted(tensors):
        size = tensors[k].numel() * 4
        header[k] = {"dtype": "F32", "shape": [tensors[k].numel()], "data_offsets": [off, off + size]}
        off += size
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "big.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        f.truncate(8 + len(h) + off)


if __name__ == "__main__":
    main()
