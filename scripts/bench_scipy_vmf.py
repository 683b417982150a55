#!/usr/bin/env python3
"""SciPy's von Mises-Fisher sampler at the (d, kappa) points of benches/benches/manifold.rs.

Usage: python scripts/bench_scipy_vmf.py [--out results/benches/scipy_vmf.json]
(needs numpy and scipy >= 1.11, e.g. `python3 -m venv v && v/bin/pip install scipy`).
Times `scipy.stats.vonmises_fisher(mu=e_1, kappa).rvs(n)` (single-threaded NumPy), the
median of 5 repetitions after one warm-up, with n = 100,000 or fewer where SciPy is slow
(the rate, samples per second, does not depend on n there).
"""
import argparse
import json
import os
import time

import numpy as np
import scipy
from scipy.stats import vonmises_fisher

POINTS = [(3, 1.0), (3, 50.0), (9, 50.0), (33, 50.0), (129, 500.0), (1001, 5000.0)]


def rate(d, kappa, n, reps=5):
    mu = np.zeros(d)
    mu[0] = 1.0
    dist = vonmises_fisher(mu, kappa)
    rng = np.random.default_rng(0)
    dist.rvs(min(n, 1000), random_state=rng)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        x = dist.rvs(n, random_state=rng)
        times.append(time.perf_counter() - start)
        assert x.shape == (n, d)
    return n / sorted(times)[reps // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/benches/scipy_vmf.json")
    args = parser.parse_args()
    rows = []
    for d, kappa in POINTS:
        n = 100_000 if d <= 129 else 5_000
        r = rate(d, kappa, n)
        rows.append({"dim": d, "kappa": kappa, "n": n, "samples_per_second": r})
        print(f"d={d:5} kappa={kappa:7}: {r:12.0f} samples/s")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"scipy": scipy.__version__, "numpy": np.__version__,
                   "machine": f"{os.cpu_count()} cores", "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
