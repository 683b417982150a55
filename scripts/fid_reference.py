#!/usr/bin/env python3
"""Reference values for mvl-ae's Fréchet distance (crates/mvl-ae/src/fid/tests.rs).

Fixed matrices from a closed formula, A[i][j] = sin(1.3 (i+1) + 0.7 (j+1)^2 + 0.1 s), so that
Rust rebuilds them without data files. For each case it prints tr((S1 S2)^{1/2}) by
  - SciPy: scipy.linalg.sqrtm(S1 @ S2), real part of the trace (what the TTUR fid.py does);
  - mpmath at 50 digits: eigenvalues of S1^{1/2} S2 S1^{1/2} (symmetric), clipped at 0;
and the Fréchet distance |m1 - m2|^2 (all as the nearest f64, shortest repr) + tr(S1 + S2) - 2 tr((S1 S2)^{1/2}) with the mpmath trace.
Run with the cached venv: /root/.cache/mvl/torch-2.11.0/bin/python scripts/fid_reference.py
(scipy 1.17.1, mpmath 1.3.0, numpy as installed there).
"""
import math

import mpmath as mp
import numpy as np
import scipy
import scipy.linalg

mp.mp.dps = 50


def factor(d, k, s):
    return [[math.sin(1.3 * (i + 1) + 0.7 * (j + 1) ** 2 + 0.1 * s) for j in range(k)] for i in range(d)]


def gram(d, k, s, tilt=None):
    """A A^T / k; with `tilt`, A's last column is replaced by column 0 + tilt * (last column),
    which makes the smallest eigenvalue of order tilt^2."""
    a = np.array(factor(d, k, s))
    if tilt is not None:
        a[:, -1] = a[:, 0] + tilt * a[:, -1]
    return a @ a.T / k


def mp_trace_sqrt(s1, s2):
    m1, m2 = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
    e, q = mp.eigsy(m1)
    r = q * mp.diag([mp.sqrt(max(x, 0)) for x in e]) * q.T
    m = r * m2 * r
    m = (m + m.T) / 2
    ev = mp.eigsy(m, eigvals_only=True)
    return sum(mp.sqrt(max(x, 0)) for x in ev)


CASES = {
    # name: (d, (k1, s1, jitter1), (k2, s2, jitter2))
    "FULL_RANK": (6, (8, 1, None), (8, 2, None)),
    "RANK_DEFICIENT": (8, (3, 3, None), (5, 4, None)),
    "NEAR_SINGULAR": (6, (6, 5, 1e-6), (7, 6, None)),
}

print(f"// scipy {scipy.__version__}, mpmath {mp.__version__}, numpy {np.__version__}")
for name, (d, (k1, s1, j1), (k2, s2, j2)) in CASES.items():
    c1, c2 = gram(d, k1, s1, j1), gram(d, k2, s2, j2)
    sq = scipy.linalg.sqrtm(c1 @ c2)
    scipy_tr = float(np.trace(sq).real)
    exact = mp_trace_sqrt(c1, c2)
    m1 = np.array([math.sin(i) for i in range(d)])
    m2 = np.array([math.cos(i) for i in range(d)])
    fid = mp.mpf(float(((m1 - m2) ** 2).sum())) + mp.mpf(float(np.trace(c1) + np.trace(c2))) - 2 * exact
    print(f"// {name}: d = {d}, ranks {min(d, k1)} and {min(d, k2)}, tilt {j1}")
    print(f"const {name}_SCIPY: f64 = {scipy_tr!r};")
    print(f"const {name}_MPMATH: f64 = {float(exact)!r};")
    print(f"const {name}_FID: f64 = {float(fid)!r};")
