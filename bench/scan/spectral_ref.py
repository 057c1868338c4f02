#!/usr/bin/python3
"""numpy/scipy baseline for BENCHMARKS.md: seconds for spectral signatures.

Times, on the input detect's BenchmarkSpectral reads, the per-class linear
algebra of spectral signatures two ways:

  svd    what IBM ART's SpectralSignatureDefense runs: per class, centre
         the rows and take np.linalg.svd(M, full_matrices=False) (every
         singular triplet), then score ((x - mean) . v)^2 with v = Vt[0];
  svds1  the cheaper route: scipy.sparse.linalg.svds(M, k=1) per class
         (ARPACK, the top singular triplet only), then the same scores;
  svds2  svds(M, k=2): the top two, as Go's Spectral also finds the second
         singular value for its gap.

Each run covers all classes: gathering a class's rows, centring in
float64 (as the Go code does), the decomposition, and the scores.

The input: 60,000 rows of 256 float32 values uniform in [-1, 1), value i
the top 24 bits of splitmix64(i) (the same as spectralBenchData in
detect/spectral_test.go), row i in class i mod 10. numpy's SVD runs on the
float64 centred rows; svds on the same.

Needs Debian's python3-numpy and python3-scipy. Run from the repository
root on both cores, with the machine otherwise idle (check `uptime`).
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, where this workplace sets them,
slow a current OpenBLAS: unset both for this command alone:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 \\
        /usr/bin/python3 bench/scan/spectral_ref.py --repeat 5

One JSON line is printed per run: {"method", "seconds", "numpy", "scipy"};
report the minimum. Go's side of the comparison:

    go test ./detect/ -run '^$' -bench 'Spectral$' -benchtime 10x -count 5
"""

import argparse
import json
import time

import numpy as np
import scipy
from scipy.sparse.linalg import svds

ROWS, COLS, CLASSES = 60000, 256, 10


def random_rows(rows, cols):
    """splitmix64 of each value's index, top 24 bits scaled to [-1, 1)."""
    with np.errstate(over="ignore"):
        z = np.arange(rows * cols, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    x = (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 23) - np.float32(1)
    return x.reshape(rows, cols)


def top_direction(m, method):
    if method == "svd":
        _, _, vt = np.linalg.svd(m, full_matrices=False)
        return vt[0]
    k = 1 if method == "svds1" else 2
    _, s, vt = svds(m, k=k, random_state=np.random.default_rng(1))
    return vt[np.argmax(s)]


def spectral(x, labels, method):
    scores = np.empty(len(x))
    for c in range(CLASSES):
        rows = np.flatnonzero(labels == c)
        m = x[rows].astype(np.float64)
        m -= m.mean(axis=0)
        v = top_direction(m, method)
        scores[rows] = (m @ v) ** 2
    return scores


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--method", choices=["svd", "svds1", "svds2", "all"], default="all")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    x = random_rows(ROWS, COLS)
    labels = np.arange(ROWS) % CLASSES
    methods = ["svd", "svds1", "svds2"] if args.method == "all" else [args.method]
    for method in methods:
        for _ in range(args.repeat):
            start = time.perf_counter()
            spectral(x, labels, method)
            seconds = time.perf_counter() - start
            print(json.dumps({"method": method, "seconds": round(seconds, 3), "numpy": np.__version__, "scipy": scipy.__version__}), flush=True)


if __name__ == "__main__":
    main()
