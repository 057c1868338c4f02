#!/usr/bin/env python3
"""Generate drift/testdata/fixtures.json: reference values from SciPy.

Run from the repository root with Debian's python3-numpy and python3-scipy:

    /usr/bin/python3 drift/testdata/gen.py

The Go tests never run Python; they read the JSON this writes.

Small samples are stored as raw values drawn with a fixed NumPy seed. Large
samples are stored as a generator spec that Go rebuilds bit for bit: a
SplitMix64 stream (integer arithmetic only) turned into floats by one
multiplication and one addition, both exact IEEE operations in NumPy and Go.
  kind "ih":  s = sum of the four 16-bit chunks of z (Irwin-Hall, near
              normal), value = float64(s) * mult + shift
  kind "int": value = float64(z % mod) + shift (heavy ties)
"""

import json
import math
import sys
import warnings
from math import gcd

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance
from scipy.stats._stats_py import _attempt_exact_2kssamp

SEED = 20240601
GOLDEN = 0x9E3779B97F4A7C15


def splitmix(seed, n):
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + i * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def build(spec):
    kind = spec["kind"]
    if kind == "raw":
        return np.array(spec["values"], dtype=np.float64)
    z = splitmix(spec["seed"], spec["n"])
    if kind == "ih":
        m16 = np.uint64(0xFFFF)
        s = sum((z >> np.uint64(16 * c)) & m16 for c in range(4))
        return s.astype(np.float64) * spec["mult"] + spec["shift"]
    if kind == "int":
        return (z % np.uint64(spec["mod"])).astype(np.float64) + spec["shift"]
    raise ValueError(kind)


def ih(seed, n, mult=2.0**-14, shift=-8.0):
    return {"kind": "ih", "seed": seed, "n": n, "mult": mult, "shift": shift}


def ints(seed, n, mod, shift=0.0):
    return {"kind": "int", "seed": seed, "n": n, "mod": mod, "shift": shift}


def raw(x):
    return {"kind": "raw", "values": [float(v) for v in x]}


def clip(p):
    return float(np.clip(p, 0, 1))


def ks_pvalue(d, n1, n2):
    """ks_2samp's p-value for a given D, from SciPy's own pieces."""
    if max(n1, n2) <= 10000:
        ok, d2, prob = _attempt_exact_2kssamp(n1, n2, gcd(n1, n2), d, "two-sided")
        if ok:
            return clip(prob)
        d = d2
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return clip(stats.kstwo.sf(d, np.round(m * n / (m + n))))


QS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def psi_of(ref, cur):
    r = ref / ref.sum()
    c = cur / cur.sum()
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def two_sample_cases(rng):
    cases = []

    def add(name, a, b):
        cases.append((name, a, b))

    def nrm(n, loc=0.0, scale=1.0, dec=None):
        x = rng.normal(loc, scale, n)
        return raw(np.round(x, dec) if dec is not None else x)

    add("one_vs_one", raw([0.5]), raw([1.5]))
    add("one_vs_one_equal", raw([2.0]), raw([2.0]))
    add("one_vs_five", raw([0.3]), nrm(5))
    add("three_identical", raw([1, 2, 3]), raw([3, 2, 1]))
    add("five_vs_seven", nrm(5), nrm(7, 0.5))
    add("disjoint_10", raw(np.arange(10)), raw(np.arange(10) + 100))
    add("shift_20_30", nrm(20), nrm(30, 1.0))
    add("ties_50_50_round1", nrm(50, dec=1), nrm(50, 0.2, dec=1))
    add("n100_vs_80", nrm(100), nrm(80, 0.1, 1.2))
    add("ints_200_150", raw(rng.integers(0, 5, 200)), raw(rng.integers(0, 6, 150)))
    same = nrm(100)
    add("identical_100", same, same)
    add("interleaved_ties", raw([0, 0, 1, 1, 2, 2, 3]), raw([0, 1, 1, 1, 2, 3, 3, 3]))
    add("zeros_heavy", raw(np.concatenate([np.zeros(60), rng.exponential(1, 40)])),
        raw(np.concatenate([np.zeros(20), rng.exponential(1.3, 70)])))
    add("neg_zero", raw([-0.0, 0.0, 1.0]), raw([0.0, 2.0]))
    # Exact mode (max(n1, n2) <= 10000).
    add("exact_1000_1000", ih(1, 1000), ih(2, 1000, shift=-7.9))
    add("exact_1000_1500_g500", ih(3, 1000), ih(4, 1500))
    add("exact_3000_2000", ih(5, 3000), ih(6, 2000, shift=-7.95))
    add("exact_5000_4999", ih(7, 5000), ih(8, 4999, shift=-7.98))
    add("exact_10000_10000", ih(9, 10000), ih(10, 10000, shift=-7.97))
    add("exact_10000_9999", ih(11, 10000), ih(12, 9999))
    add("exact_10000_7000_shift", ih(13, 10000), ih(14, 7000, shift=-7.5))
    add("exact_9999_9999_disjoint", ih(15, 9999), ih(16, 9999, shift=100.0))
    add("exact_ints_8000_6000", ints(17, 8000, 7), ints(18, 6000, 7))
    add("exact_ints_4000_4000_shift", ints(19, 4000, 20), ints(20, 4000, 20, 1.0))
    add("exact_10000_30", ih(21, 10000), ih(22, 30))
    add("exact_7_10000", ih(23, 7), ih(24, 10000, shift=-7.0))
    # Asymptotic mode.
    add("asymp_20000_15000", ih(25, 20000), ih(26, 15000, shift=-7.98))
    add("asymp_20000_15000_same_dist", ih(27, 20000), ih(28, 15000))
    add("asymp_10001_10", ih(29, 10001), ih(30, 10))
    add("asymp_10001_1", ih(31, 10001), ih(32, 1))
    add("asymp_50000_30000_small", ih(33, 50000), ih(34, 30000, shift=-7.995))
    add("asymp_100000_1000", ih(35, 100000), ih(36, 1000, shift=-7.9))
    add("asymp_200000_150000", ih(37, 200000), ih(38, 150000, shift=-7.999))
    add("asymp_identical_20000", ih(39, 20000), ih(39, 20000))
    add("asymp_disjoint_20000_15000", ih(40, 20000), ih(41, 15000, shift=50.0))
    add("asymp_ints_30000_20000", ints(42, 30000, 10), ints(43, 20000, 11))
    add("asymp_12000_11000_tiny_p", ih(44, 12000), ih(45, 11000, shift=-7.0))
    return cases


def kolmogorov_grid():
    out = []
    ns = [1, 2, 3, 5, 10, 20, 50, 100, 139, 140, 141, 200, 500, 1000, 5000,
          8571, 20000, 90909, 100000, 100001, 500000, 2000000]
    cs = [0.2, 0.4, 0.6, 0.8, 0.87, 1.0, 1.2, 1.5, 1.7, 2.0, 2.5, 3.0, 4.0,
          5.0, 8.0, 12.0, 19.0]
    for n in ns:
        xs = {0.45 / n, 0.75 / n, 1.0 / n, 1.5 / n, 3.3 / n, 0.3, 0.49, 0.5,
              0.7, 0.95, 1 - 1.5 / n, 1 - 0.5 / n}
        xs |= {c / math.sqrt(n) for c in cs}
        for x in sorted(xs):
            if 0 < x < 1:
                out.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    return out


def pvalue_grid(rng):
    out = []
    sizes = [(1, 1), (3, 3), (10, 10), (7, 13), (50, 60), (100, 100),
             (300, 200), (1000, 999), (2500, 10000), (10000, 10000),
             (10000, 9998), (10001, 10001), (10001, 5), (20000, 15000),
             (100000, 1000000), (3000000, 2500000)]
    for n1, n2 in sizes:
        en = n1 * n2 / (n1 + n2)
        ds = {0.0, 1.0, 0.5, 0.25}
        ds |= {c / math.sqrt(en) for c in (0.3, 0.6, 0.9, 1.2, 1.36, 1.63, 2.0, 3.0, 5.0)}
        ds |= set(rng.uniform(0, 1, 3).tolist())
        for d in sorted(ds):
            if 0 <= d <= 1:
                out.append({"d": d, "n1": n1, "n2": n2, "p": ks_pvalue(d, n1, n2)})
    return out


def count_vectors(rng):
    out = []

    def add(name, p, q):
        out.append((name, [float(v) for v in p], [float(v) for v in q]))

    add("single", [5], [7])
    add("two_equal", [10, 10], [3, 3])
    add("two_disjoint", [10, 0], [0, 4])
    add("doc_example", [1.0, 0.0], [0.5, 0.5])
    add("with_zero_columns", [0, 5, 0, 7, 3], [0, 2, 0, 9, 1])
    add("one_side_zero_bins", [4, 0, 6, 1], [0, 5, 6, 1])
    add("yates_small", [12, 5], [9, 8])
    add("yates_tiny_diff", [100, 101], [100, 100])
    add("yates_exact_expected", [10, 20], [10, 20])
    add("weights", [0.25, 1.5, 3.125], [2.0, 0.5, 0.75])
    for k in (3, 5, 10, 50, 200):
        p = rng.integers(0, 30, k)
        q = rng.integers(0, 30, k)
        add(f"random_{k}", p, q)
        add(f"random_{k}_large", rng.integers(0, 10**6, k), rng.integers(0, 10**6, k))
    base = rng.integers(100, 1000, 20)
    add("near_identical_20", base, base + rng.integers(0, 2, 20))
    return out


def main():
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(SEED)
    two = []
    for name, sa, sb in two_sample_cases(rng):
        a, b = build(sa), build(sb)
        r = stats.ks_2samp(a, b)
        ua, ca = np.unique(a, return_counts=True)
        ub, cb = np.unique(b, return_counts=True)
        edges = np.unique(np.quantile(a, QS))
        ref = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
        cur = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
        two.append({
            "name": name, "a": sa, "b": sb,
            "ks_d": float(r.statistic), "ks_p": float(r.pvalue),
            "wasserstein": float(stats.wasserstein_distance(a, b)),
            "wasserstein_weighted": float(stats.wasserstein_distance(ua, ub, ca, cb)),
            "deciles": [float(e) for e in edges],
            "ref_bins": [float(c) for c in ref], "cur_bins": [float(c) for c in cur],
            "psi": psi_of(ref, cur),
            "js_bins": float(distance.jensenshannon(ref, cur, base=2)),
        })
    counts = []
    for name, p, q in count_vectors(rng):
        keep = [i for i in range(len(p)) if p[i] != 0 or q[i] != 0]
        table = np.array([[p[i] for i in keep], [q[i] for i in keep]])
        chi = stats.chi2_contingency(table)
        counts.append({
            "name": name, "ref": p, "cur": q,
            "js": float(distance.jensenshannon(p, q, base=2)),
            "chi2_stat": float(chi[0]), "chi2_p": float(chi[1]), "chi2_dof": int(chi[2]),
            "psi": psi_of(np.array(p), np.array(q)),
        })
    doc = {
        "generator": "drift/testdata/gen.py",
        "numpy": np.__version__, "scipy": scipy.__version__, "seed": SEED,
        "two_sample": two,
        "kolmogorov_sf": kolmogorov_grid(),
        "ks_pvalue": pvalue_grid(rng),
        "counts": counts,
    }
    with open(sys.argv[1] if len(sys.argv) > 1 else "drift/testdata/fixtures.json", "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
