#!/usr/bin/env python3
"""Prints the markdown tables of docs/results.md from the committed summaries.

Usage: scripts/results_tables.py [results-folder]   (default: results)

Every number in docs/results.md's tables comes from this script, so the docs can be
checked against results/*/summary.json by rerunning it and diffing.
"""
import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "results"


def load(name):
    path = os.path.join(ROOT, name, "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def figure1():
    s = load("estimator-bias-variance")
    if s is None:
        return
    print(f"### Figure 1 ({s['samples_per_eps']:.0e} samples per ε, {s['seconds']:.0f} s)\n")
    refs = {r["estimator"]: r for r in s["rows"] if r["eps"] is None}
    print(f"Reference means: SSM {refs['SSM']['mean']:.5f} (variance {refs['SSM']['variance']:.1f}), "
          f"exact SM {refs['exact SM']['mean']:.5f} (variance {refs['exact SM']['variance']:.1f}).\n")
    names = ["MVL-CV", "MVL", "DSM-CV", "DSM"]
    eps = sorted({r["eps"] for r in s["rows"] if r["eps"] is not None})
    by = {(r["estimator"], r["eps"]): r for r in s["rows"]}
    print("| ε | " + " | ".join(f"{n} sq-bias bound | {n} variance" for n in names) + " |")
    print("|---" * (1 + 2 * len(names)) + "|")
    for e in eps:
        cells = []
        for n in names:
            r = by[(n, e)]
            cells += [f"{r['sq_bias_bound']:.2e}", f"{r['variance']:.3g}"]
        print(f"| {e:.1e} | " + " | ".join(cells) + " |")
    z = s["z_test"]
    print("\nz-test of mean(est − SSM) = 0 at ε = 6·10⁻⁵ (p-values): "
          + ", ".join(f"{n} {z[n]['p_value']:.3f}" for n in names) + ".\n")


def figure2(name):
    s = load(name)
    if s is None:
        return
    print(f"### {name}\n")
    print("| manifold | iterations × batch | corr(log p) | TV | KL(p‖q) | max abs Δ log p | "
          "seconds | resumed at |")
    print("|---|---|---|---|---|---|---|---|")
    for r in s["runs"]:
        print(f"| {r['manifold']} | {r['iterations']} × {r['batch']} | {r['corr_logdensity']:.4f} | "
              f"{r['tv']:.4f} | {r['kl']:.5f} | {r['max_abs_logdensity_err']:.3f} | "
              f"{r['seconds']:.0f} | {r['resumed_at'] if r['resumed_at'] is not None else '—'} |")
    print()


def earth():
    s = load("earth-density")
    if s is None:
        return
    datasets = ["volcano", "earthquake", "flood", "fire"]
    methods = ["mvl", "birth-death", "exact-sm", "vmf-mixture", "vmf-kde"]
    cell = {(r["dataset"], r["method"]): r for r in s["table"]}
    print("| method (ours; test NLL, mean ± std over seeds [n]) | " + " | ".join(
        d.capitalize() for d in datasets) + " |")
    print("|---" * (1 + len(datasets)) + "|")
    for m in methods:
        row = []
        for d in datasets:
            r = cell.get((d, m))
            row.append("—" if r is None else
                       f"{r['test_nll_mean']:.2f} ± {r['test_nll_std']:.2f} [{r['seeds']}]")
        print(f"| {m} | " + " | ".join(row) + " |")
    print("\nMean wall-clock seconds per run (2-core CPU, shared):\n")
    print("| method | " + " | ".join(d.capitalize() for d in datasets) + " |")
    print("|---" * (1 + len(datasets)) + "|")
    for m in methods:
        row = []
        for d in datasets:
            r = cell.get((d, m))
            row.append("—" if r is None else f"{r['seconds_mean']:.0f}")
        print(f"| {m} | " + " | ".join(row) + " |")
    print()


def bench():
    s = load("bench-estimators")
    if s is None:
        return
    print(f"### Estimator cost: {s.get('workload', '')}\n")
    print("| d | estimator | Rust ms/step | PyTorch ms/step | speed-up | Rust / plain |")
    print("|---|---|---|---|---|---|")
    for r in s["results"]:
        pm = r["pytorch_ms_per_step"]
        sp = f"{pm / r['ms_per_step']:.2f}×" if pm else "—"
        ratio = r.get("ratio_to_plain")
        print(f"| {r['dim']} | {r['estimator']} | {r['ms_per_step']:.3f} | "
              f"{'—' if pm is None else f'{pm:.3f}'} | {sp} | "
              f"{'—' if ratio is None else f'{ratio:.2f}'} |")
    print()


if __name__ == "__main__":
    figure1()
    figure2("sphere-density")
    figure2("reproduce-quick/sphere-density")
    earth()
    bench()
