#!/usr/bin/python3
"""Writes spectral_ref.json, the reference fixture of spectral_internal_test.go.

Three classes of seeded float32 rows in 8 dimensions, each with its own
anisotropic spread (so that its top singular direction is well separated:
the power iteration must converge in fewer than 100 steps); class 1 also
holds 6 of its 60 rows shifted along one direction, the planted
sub-population of spectral signatures. Per class, with numpy alone and in
float64 (the float32 rows widened exactly), following Tran, Li and Madry's
Algorithm 1:

* the rows are centred on the class mean;
* np.linalg.svd of the centred rows gives the singular values s and the
  top right-singular vector v = Vt[0] (its largest-magnitude entry made
  positive, as the Go code orients it);
* a row's score is ((x_i - mean) . v)^2;
* the gap is s[0]^2 / s[1]^2.

It also writes a check of SPECTRE's QUE step (spectre_internal_test.go):
40 seeded float32 rows z in 4 dimensions, centred, 4 of them shifted, and
a covariance sigma (the covariance of the 36 others, as the robust
estimate would find it). Following the authors' rcov_quantum_filter:
x~ = sigma^(-1/2) z (the symmetric inverse square root, from
np.linalg.eigh), S' = the covariance of the x~ (np.cov, divided by n-1),
M = expm(alpha (S' - I) / (||S'||_2 - 1)) with alpha = 4, taken by
scipy.linalg.expm (Pade approximation: independent of the eigenvalue
route the Go code takes), M /= tr(M); a row's score is x~' M x~ and the
statistic is tr(S' M) / tr(M).

Run from this folder:  /usr/bin/python3 gen_spectral.py
"""

import json

import numpy as np
import scipy
import scipy.linalg

rng = np.random.default_rng(20180101)
dim, per_class = 8, 60
features, labels, poisoned = [], [], []
for c in range(3):
    spread = np.array([3.0, 1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3])
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    x = (rng.standard_normal((per_class, dim)) * spread) @ basis.T
    x += rng.standard_normal(dim) * 5
    if c == 1:
        shift = rng.standard_normal(dim)
        shift *= 14 / np.linalg.norm(shift)
        x[:6] += shift
        poisoned += list(range(c * per_class, c * per_class + 6))
    features.append(x.astype(np.float32))
    labels += [c] * per_class
features = np.concatenate(features)
labels = np.array(labels)

classes = []
for c in range(3):
    x = features[labels == c].astype(np.float64)
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    v = vt[0]
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    classes.append({
        "class": c,
        "v": v.tolist(),
        "scores": ((xc @ v) ** 2).tolist(),
        "gap": float(s[0] ** 2 / s[1] ** 2),
    })

que_rng = np.random.default_rng(2021)
n, k = 40, 4
z = que_rng.standard_normal((n, k)) * np.array([2.0, 1.0, 0.7, 0.5])
z[:4] += np.array([0.5, 4.0, -1.0, 0.0])
z = (z - z.mean(axis=0)).astype(np.float32)
zd = z.astype(np.float64)
sigma = np.cov(zd[4:].T, bias=True)
w, u = np.linalg.eigh(sigma)
white = zd @ (u @ np.diag(w ** -0.5) @ u.T)
sprime = np.cov(white.T)
top = np.linalg.norm(sprime, 2)
m = scipy.linalg.expm(4 * (sprime - np.eye(k)) / (top - 1))
m /= np.trace(m)
que = {
    "n": n,
    "k": k,
    "z": [float(v) for v in z.ravel()],
    "sigma": sigma.ravel().tolist(),
    "scores": np.einsum("ij,jk,ik->i", white, m, white).tolist(),
    "stat": float(np.trace(sprime @ m) / np.trace(m)),
}

out = {
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "rows": int(features.shape[0]),
    "cols": dim,
    # float32 values printed exactly: repr of the float64 that holds them.
    "features": [float(v) for v in features.ravel()],
    "labels": labels.tolist(),
    "poisoned": poisoned,
    "classes": classes,
    "que": que,
}
with open("spectral_ref.json", "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
