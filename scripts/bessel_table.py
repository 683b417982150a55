#!/usr/bin/env python3
"""Reference table of log I_nu(x) and I_{nu+1}(x)/I_nu(x) for mvl-manifold's Bessel tests.

Computed offline with mpmath (arbitrary precision); the Rust tests read the CSV and never need
Python. Every value is evaluated at two working precisions (50 and 70 digits) and the script
aborts if they disagree beyond 1e-30 relative, which guards against a failing mpmath branch.

Usage (from the workspace root):
    ~/.cache/mvl/torch-2.11.0/bin/python scripts/bessel_table.py \
        > crates/mvl-manifold/tests/data/log_iv_table.csv
    # a larger random grid for development (not stored):
    python scripts/bessel_table.py --random 3000 --seed 1 > /tmp/log_iv_dense.csv

Columns: nu, x, log_iv = log I_nu(x), ratio = I_{nu+1}(x) / I_nu(x) and
one_minus_ratio = 1 - ratio (its own column: 1 - ratio in f64 would lose digits near 1),
printed with 22 significant digits (more than enough for correctly rounded f64 parsing).
"""
import argparse
import random
import sys

import mpmath as mp

NUS = [0, 0.5, 1, 1.5, 2, 3.5, 7, 15.5, 24, 25.5, 40, 63.5, 100, 499.5, 1000, 2500, 4999.5, 5000]
XS = [1e-8, 1e-4, 1e-2, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 50, 100, 300, 1e3, 3e3, 1e4, 1e5, 1e6]


def values(nu, x, dps):
    with mp.workdps(dps):
        nu = mp.mpf(nu)
        x = mp.mpf(x)
        a = mp.besseli(nu, x, maxterms=10**6)
        b = mp.besseli(nu + 1, x, maxterms=10**6)
        return mp.log(a), b / a, 1 - b / a


def row(nu, x):
    lo = values(nu, x, 50)
    hi = values(nu, x, 70)
    for u, v in zip(lo, hi):
        if abs(u - v) > mp.mpf("1e-30") * max(1, abs(v)):
            sys.exit(f"mpmath disagrees with itself at nu={nu}, x={x}: {u} vs {v}")
    with mp.workdps(70):
        return f"{nu!r},{x!r}," + ",".join(mp.nstr(v, 22) for v in hi)


def grid():
    pairs = [(nu, x) for nu in NUS for x in XS]
    # x = nu and x = 2 nu: the turning-point region of the uniform expansion.
    pairs += [(nu, float(nu)) for nu in NUS if nu > 0]
    pairs += [(nu, 2.0 * nu) for nu in NUS if nu > 0]
    return pairs


def random_grid(n, seed):
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        nu = rng.choice([rng.uniform(0, 40), 10 ** rng.uniform(0, 3.7), float(rng.randint(0, 60)) / 2])
        x = 10 ** rng.uniform(-8, 6)
        pairs.append((nu, x))
    return pairs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--random", type=int, default=0, help="emit N random (nu, x) pairs instead")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    pairs = random_grid(args.random, args.seed) if args.random else grid()
    print("nu,x,log_iv,ratio,one_minus_ratio")
    for nu, x in pairs:
        print(row(nu, x))


if __name__ == "__main__":
    main()
