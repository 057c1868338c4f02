#!/usr/bin/python3
"""Writes knn_ref.json, scikit-learn's exact cosine neighbours for knn_test.go.

300 rows of 8 float32 values drawn around three centres (seeded), with a
few rows repeated exactly, one scaled copy (cosine 1 to its original) and
one row of zeros. scikit-learn's NearestNeighbors(metric="cosine",
algorithm="brute").kneighbors() without a query leaves each row out of its
own neighbours, as detect.Neighbours does. The data go in as float64 so the
reference is not rounded to float32.

Needs Debian's python3-numpy and python3-sklearn. Run from detect/:

    /usr/bin/python3 testdata/gen_knn.py > testdata/knn_ref.json
"""

import json
import sys

import numpy as np
import sklearn
from sklearn.neighbors import NearestNeighbors

ROWS, COLS, K = 300, 8, 10

rng = np.random.default_rng(20261126)
centres = rng.normal(0, 2, size=(3, COLS))
x = centres[rng.integers(0, 3, size=ROWS)] + rng.normal(0, 1, size=(ROWS, COLS))
x = x.astype(np.float32)
x[17] = 0  # zeros: similarity 0 to everything
x[40] = x[3]  # exact duplicates
x[41] = x[3]
x[250] = x[100]
x[120] = 2 * x[7]  # the same direction, other bytes

nn = NearestNeighbors(n_neighbors=K, metric="cosine", algorithm="brute")
nn.fit(x.astype(np.float64))
dist, idx = nn.kneighbors()

json.dump(
    {
        "generator": "detect/testdata/gen_knn.py",
        "sklearn": sklearn.__version__,
        "k": K,
        "x": x.tolist(),
        "index": idx.tolist(),
        "distance": dist.tolist(),
    },
    sys.stdout,
)
sys.stdout.write("\n")
