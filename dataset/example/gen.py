#!/usr/bin/python3
"""Builds the example datasets shipped in this folder from the copies that
Debian's python3-sklearn carries (sklearn/datasets/data). Deterministic:
rerunning it rewrites the same bytes.

  digits-train.csv     1200 rows of the 8x8 digits, the baseline
  digits-batch.csv     the other 597 rows, a clean new batch
  digits-tampered.csv  the same 597 rows, poisoned (see below)
  diabetes.csv         the 442-row diabetes data, raw units, with its target
"""
import gzip
import os

import numpy as np

SRC = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
HERE = os.path.dirname(os.path.abspath(__file__))


def write_csv(name, header, rows, fmt):
    with open(os.path.join(HERE, name), "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(fmt(v) for v in r) + "\n")


def as_int(v):
    return str(int(v))


def main():
    digits = np.loadtxt(gzip.open(os.path.join(SRC, "digits.csv.gz")), delimiter=",")
    x, y = digits[:, :64].astype(int), digits[:, 64].astype(int)
    rng = np.random.default_rng(20261125)
    order = rng.permutation(len(y))
    train, batch = order[:1200], order[1200:]
    header = [f"px{i}" for i in range(64)] + ["label"]
    write_csv("digits-train.csv", header, np.column_stack([x[train], y[train]]), as_int)
    write_csv("digits-batch.csv", header, np.column_stack([x[batch], y[batch]]), as_int)

    # The tampered batch: the clean batch with three kinds of poison.
    tx, ty = x[batch].copy(), y[batch].copy()
    # 1. 60 rows replaced by copies of baseline rows with flipped labels
    #    (a replayed slice relabelled: the label-conflict signal).
    copied = rng.choice(train, 60, replace=False)
    tx[:60] = x[copied]
    ty[:60] = (y[copied] + 1 + rng.integers(0, 9, 60)) % 10
    # 2. A BadNets-style trigger: a 2x2 bright patch in the bottom-right
    #    corner on 120 rows relabelled as the target class 0.
    trig = np.arange(60, 180)
    for px in (54, 55, 62, 63):
        tx[trig, px] = 16
    ty[trig] = 0
    write_csv("digits-tampered.csv", header, np.column_stack([tx, ty]), as_int)

    raw = np.loadtxt(gzip.open(os.path.join(SRC, "diabetes_data_raw.csv.gz")))
    target = np.loadtxt(gzip.open(os.path.join(SRC, "diabetes_target.csv.gz")))
    header = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"]
    write_csv("diabetes.csv", header, np.column_stack([raw, target]), lambda v: np.format_float_positional(v, trim="-"))


if __name__ == "__main__":
    main()
