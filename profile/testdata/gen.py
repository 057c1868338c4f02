#!/usr/bin/python3
"""Reference statistics of the shipped diabetes example, computed with numpy,
for profile's tests: per column mean, population variance, min, max and the
quantiles at the profile's probabilities (numpy's default linear method),
and the label entropy in bits of the digits baseline."""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EX = os.path.join(HERE, "..", "..", "dataset", "example")
PROBS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]

d = np.genfromtxt(os.path.join(EX, "diabetes.csv"), delimiter=",", names=True)
cols = {}
for name in d.dtype.names:
    x = d[name].astype(np.float64)
    cols[name] = {
        "mean": float(np.mean(x)),
        "variance": float(np.var(x)),
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        "quantiles": [float(v) for v in np.quantile(x, PROBS)],
    }
digits = np.loadtxt(os.path.join(EX, "digits-train.csv"), delimiter=",", skiprows=1)
_, counts = np.unique(digits[:, -1], return_counts=True)
p = counts / counts.sum()
out = {"diabetes": cols, "digits_train_label_entropy_bits": float(-(p * np.log2(p)).sum()),
       "digits_train_label_counts": [int(c) for c in counts]}
with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
