"""The driver of scripts/bench_pingpong (see there): alternating bursts of long-lived
benchmark processes, paired ratios with distribution-free confidence intervals."""
import json, math, os, subprocess, sys, time

SERVE = {
    "explicit": ["target/release/bench-estimators", "--serve", "--energy", "explicit"],
    "autograd": ["target/release/bench-estimators", "--serve", "--energy", "autograd"],
    "baseline": [os.environ.get("MVL_BENCH_BASELINE", ""), "--serve", "--energy", "explicit"],
}


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def median_ci(xs, level=0.95):
    """Distribution-free CI for the median: order statistics (k, n+1-k) of the sorted sample,
    k the largest with P(Binomial(n, 1/2) < k) <= (1 - level)/2."""
    s = sorted(xs)
    n = len(s)
    tail, k, cdf = (1 - level) / 2, 0, 0.0
    while True:
        nxt = cdf + math.comb(n, k) / 2**n
        if nxt > tail:
            break
        cdf, k = nxt, k + 1
    if k == 0:
        return None
    return [s[k - 1], s[n - k]]


def interval(ci):
    return "[CI needs 6+ bursts]" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


class Side:
    def __init__(self, name):
        cmd = [sys.executable, "scripts/bench_pytorch.py", "--serve"] if name == "pytorch" else SERVE[name]
        if not cmd[0]:
            sys.exit("bench_pingpong: the baseline side needs MVL_BENCH_BASELINE")
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)

    def burst(self, estimator, d, steps):
        self.proc.stdin.write(f"{estimator} {d} {steps}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"bench_pingpong: side {self.name} ended (estimator {estimator}, d {d})")
        return json.loads(line)["ms"]


def summarise(est, d, per_side, names, steps):
    """The summary row of one (estimator, d) from each side's burst medians."""
    row = {"estimator": est, "dim": d, "bursts": len(per_side["pytorch"]), "steps_per_burst": steps}
    for n, meds in per_side.items():
        row[f"{n}_ms"] = median(meds)
    pairs = [(n, "pytorch") for n in names]
    if "baseline" in names:
        pairs += [(n, "baseline") for n in names if n != "baseline"]
    for n, ref in pairs:
        ratios = [a / p for a, p in zip(per_side[n], per_side[ref])]
        row[f"{n}_over_{ref}_paired"] = median(ratios)
        row[f"{n}_over_{ref}_ci95"] = median_ci(ratios)
        row[f"{n}_over_{ref}_range"] = [min(ratios), max(ratios)]
    cells = "  ".join(
        f"{n} ÷ {ref} {row[f'{n}_over_{ref}_paired']:.3f} {interval(row[f'{n}_over_{ref}_ci95'])}"
        for n, ref in pairs)
    side_ms = "  ".join(f"{n} {row[f'{n}_ms']:.3f}" for n in per_side)
    print(f"d = {d:4} {est:8} ms: {side_ms}  |  {cells}", flush=True)
    return row


def run(dims, estimators, bursts, steps, names, log):
    """Alternating bursts; yields (estimator, d, per_side medians)."""
    sides = [Side(n) for n in names + ["pytorch"]]
    for d in dims:
        for est in estimators:
            for s in sides:  # set-up and warm-up
                s.burst(est, d, 10)
            per_side = {s.name: [] for s in sides}
            for b in range(bursts):
                order = sides if b % 2 == 0 else sides[::-1]
                for s in order:
                    time.sleep(0.05)
                    ms = s.burst(est, d, steps + 1)[1:]
                    per_side[s.name].append(median(ms))
                    log.write(json.dumps({"estimator": est, "dim": d, "burst": b,
                                          "side": s.name, "ms": ms}) + "\n")
            yield est, d, per_side
    for s in sides:
        s.proc.stdin.close()
        s.proc.wait()


def replay(path):
    """The bursts of an earlier run (MVL_BENCH_BURSTS=0): yields as `run` does."""
    cells = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            cell = cells.setdefault((r["estimator"], r["dim"]), {})
            cell.setdefault(r["side"], []).append(median(r["ms"]))
    for (est, d), per_side in cells.items():
        yield est, d, {n: per_side[n] for n in sorted(per_side, key=lambda n: n == "pytorch")}


def main():
    env = os.environ.get
    dims = [int(d) for d in env("MVL_BENCH_DIMS", "2,16,64,256,784").split(",")]
    estimators = env("MVL_BENCH_ESTIMATORS", "mvl_cv,dsm,ssm").split(",")
    bursts, steps = int(env("MVL_BENCH_BURSTS", "41")), int(env("MVL_BENCH_STEPS", "15"))
    names = env("MVL_BENCH_SIDES", "explicit").split()
    out = env("MVL_BENCH_OUT", "results/quick/bench-pingpong")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "bursts.jsonl")
    if bursts == 0:
        cells = list(replay(path))
        names = [n for n in cells[0][2] if n != "pytorch"]
        steps = None
    else:
        with open(path, "w") as log:
            cells = list(run(dims, estimators, bursts, steps, names, log))
    rows = [summarise(est, d, per_side, names, steps) for est, d, per_side in cells]
    summary = {
        "workload": "MLP d-256-256-1 softplus, f32, batch 128, Adam(1e-4); alternating bursts",
        "method": "per burst the median step time; per burst pair the ratio of two sides; "
                  "median over pairs with a distribution-free 95% CI (binomial order statistics)",
        "omp": "OMP_WAIT_POLICY unset (libgomp spins 300,000 rounds, then sleeps); 50 ms between bursts",
        "threads": "libtorch default",
        "results": rows,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"wrote {out}/summary.json", file=sys.stderr)


if __name__ == "__main__":
    main()
