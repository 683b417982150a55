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

    def table(title, fmt):
        print(f"| {title} | " + " | ".join(d.capitalize() for d in datasets) + " |")
        print("|---" * (1 + len(datasets)) + "|")
        for m in methods:
            row = [fmt(cell[(d, m)]) if (d, m) in cell else "—" for d in datasets]
            print(f"| {m} | " + " | ".join(row) + " |")

    table("method (ours; test NLL, mean ± std over seeds [n])",
          lambda r: f"{r['test_nll_mean']:.2f} ± {r['test_nll_std']:.2f} [{r['seeds']}]")
    print("\nMean wall-clock seconds per run (2-core CPU, shared, one thread per process; earthquake\n"
          "MVL and flood birth-death ran three processes at a time on the two cores, fire birth-death\n"
          "three to four, earthquake and volcano birth-death two to three):\n")
    table("method", lambda r: f"{r['seconds_mean']:.0f}")
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


def pingpong(name):
    """scripts/bench_pingpong's paired ratios (median [95 % interval]) per (estimator, d)."""
    s = load(name)
    rows = s["results"]
    keys = [k[: -len("_paired")] for k in rows[0] if k.endswith("_paired")]
    print(f"### {name}")
    print("| estimator | d | " + " | ".join(k.replace("_over_", " ÷ ") for k in keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for r in rows:
        cells = []
        for k in keys:
            ci = r[f"{k}_ci95"]
            cells.append(f"{r[k + '_paired']:.3f}" + ("" if ci is None else f" [{ci[0]:.3f}, {ci[1]:.3f}]"))
        print(f"| {r['estimator']} | {r['dim']} | " + " | ".join(cells) + " |")
    print()


def criterion():
    s = load("benches")
    if s is None:
        return
    rows = s["rows"]
    scipy_path = os.path.join(ROOT, "benches", "scipy_vmf.json")
    scipy = json.load(open(scipy_path)) if os.path.exists(scipy_path) else None
    vmf = [r for r in rows if r["group"].startswith("vmf_sample")]
    if vmf:
        groups = sorted({r["group"] for r in vmf})
        print("### vMF sampling, samples per second (f64, CPU)\n")
        head = " | ".join(g.replace("vmf_sample_f64_cpu_", "ours, ").replace("thread", " thread(s)") for g in groups)
        print(f"| (d, κ) | {head} | SciPy {scipy['scipy'] if scipy else ''} (1 thread) | best speed-up |")
        print("|---" * (3 + len(groups)) + "|")
        ref = {(r["dim"], r["kappa"]): r["samples_per_second"] for r in scipy["rows"]} if scipy else {}
        def point(value):  # "d=129,kappa=500" -> (129, 500.0)
            d, kappa = (float(part.split("=")[1]) for part in value.split(","))
            return int(d), kappa
        for value in sorted({r["value"] for r in vmf}, key=point):
            cells, best = [], 0.0
            for g in groups:
                r = next((r for r in vmf if r["group"] == g and r["value"] == value), None)
                rate = r["elements_per_second"] if r else None
                cells.append("—" if rate is None else f"{rate:,.0f}")
                best = max(best, rate or 0.0)
            sp = ref.get(point(value))
            print(f"| {point(value)} | " + " | ".join(cells) +
                  f" | {'—' if sp is None else f'{sp:,.0f}'} | {'—' if sp is None else f'{best / sp:.1f}×'} |")
        print()
    flows = [r for r in rows if r["group"].startswith("flow step")]
    if flows:
        print(f"### One flow step ({flows[0]['group']}), median ms\n")
        dims = sorted({int(r["value"]) for r in flows})
        print("| flow | " + " | ".join(f"d = {d}" for d in dims) + " |")
        print("|---" * (1 + len(dims)) + "|")
        for name in sorted({r["function"] for r in flows}, key=lambda n: [r["function"] for r in flows].index(n)):
            by = {int(r["value"]): r["median_ms"] for r in flows if r["function"] == name}
            print(f"| {name} | " + " | ".join(f"{by[d]:.3f}" if d in by else "—" for d in dims) + " |")
        print()
    objs = [r for r in rows if r["group"].startswith("estimator_loss_backward")]
    text = os.path.join(ROOT, "benches", "objectives-1thread.txt")
    if objs and os.path.exists(text):
        print("### Estimators on the banana workload (batch 128, loss + backward, 1 thread)\n")
        var = {}
        for line in open(text):
            parts = line.split()
            if len(parts) == 4 and parts[0] != "estimator":
                try:
                    var[parts[0]] = (float(parts[1]), float(parts[3]))
                except ValueError:
                    pass
        print("| estimator | criterion median ms | loss variance (400 draws) | variance × ms |")
        print("|---|---|---|---|")
        for r in objs:
            v = var.get(r["function"])
            print(f"| {r['function']} | {r['median_ms']:.3f} | "
                  f"{'—' if v is None else f'{v[0]:.3e}'} | {'—' if v is None else f'{v[1]:.3e}'} |")
        print()


if __name__ == "__main__":
    figure1()
    figure2("sphere-density")
    figure2("reproduce-quick/sphere-density")
    earth()
    bench()
    for name in ["bench-pingpong-before", "bench-pingpong", "bench-pingpong-mvl-cv",
                 "bench-pingpong-mvl-cv-2"]:
        pingpong(name)
    criterion()
