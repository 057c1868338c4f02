#!/usr/bin/python3
"""scikit-learn baseline for BENCHMARKS.md: seconds for exact kNN by cosine.

Times NearestNeighbors(n_neighbors=11, metric="cosine", algorithm="brute")
fit and kneighbors on the training rows themselves (11 neighbours: each
row finds itself and its 10 nearest others), the brute-force search
cleanlab's kNN label check runs, on the inputs detect's BenchmarkNeighbours
reads:

  random-60000x64   60,000 rows of 64 float32 values uniform in [-1, 1),
                    value i = top 24 bits of splitmix64(i), the same as
                    knnBenchRandom in detect/knn_test.go;
  mnist-60000x784   the 60,000 MNIST training images' raw pixels (0..255
                    as float32), read from dataset/mnist/data/.

Needs Debian's python3-numpy and python3-sklearn. Run from the repository
root, on both cores:

    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 \\
        /usr/bin/python3 bench/scan/knn_sklearn.py --repeat 3

One JSON line is printed per run: {"input", "seconds", "sklearn", "numpy"}.
Go's side of the comparison:

    go test ./detect/ -run '^$' -bench 'Neighbours|KNNLabel' -benchtime 3x
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import sklearn
from sklearn.neighbors import NearestNeighbors

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "dataset", "mnist", "data", "train-images-idx3-ubyte.gz")


def random_rows(rows, cols):
    """splitmix64 of each value's index, top 24 bits scaled to [-1, 1)."""
    with np.errstate(over="ignore"):
        z = np.arange(rows * cols, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    x = (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 23) - np.float32(1)
    return x.reshape(rows, cols)


def mnist_pixels():
    with gzip.open(MNIST, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--input", choices=["random-60000x64", "mnist-60000x784", "all"], default="all")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    inputs = {"random-60000x64": lambda: random_rows(60000, 64), "mnist-60000x784": mnist_pixels}
    names = list(inputs) if args.input == "all" else [args.input]
    for name in names:
        x = inputs[name]()
        for _ in range(args.repeat):
            start = time.perf_counter()
            nn = NearestNeighbors(n_neighbors=11, metric="cosine", algorithm="brute").fit(x)
            nn.kneighbors(x)
            seconds = time.perf_counter() - start
            print(json.dumps({"input": name, "seconds": round(seconds, 3), "sklearn": sklearn.__version__, "numpy": np.__version__}), flush=True)


if __name__ == "__main__":
    main()
