#!/usr/bin/env python3
"""The standard estimator workload of `bench-estimators`, in PyTorch, for a same-machine
comparison: energy MLP d-256-256-1 (softplus), f32, CPU, batch 128, x ~ N(0, I_d), one step =
loss + backward + Adam(1e-4). Prints the same JSON as `bench-estimators --json`.

Run with the project's cached interpreter, which has torch 2.11.0:
    ~/.cache/mvl/torch-2.11.0/bin/python scripts/bench_pytorch.py --dims 2,784
"""
import argparse, json, sys, time
import torch


def energy_net(d):
    return torch.nn.Sequential(torch.nn.Linear(d, 256), torch.nn.Softplus(),
                               torch.nn.Linear(256, 256), torch.nn.Softplus(),
                               torch.nn.Linear(256, 1))


def grad_e(net, x):
    x = x.requires_grad_(True)
    e = net(x).squeeze(-1)
    g, = torch.autograd.grad(e.sum(), x, create_graph=True)
    return e, g


def loss(name, net, x):
    if name == "plain":
        return net(x).mean()
    if name == "exact_sm":
        e, g = grad_e(net, x)
        lap = sum(torch.autograd.grad(g[:, j].sum(), x, create_graph=True)[0][:, j]
                  for j in range(x.shape[1]))
        return (0.5 * g.pow(2).sum(-1) - lap).mean()
    if name == "ssm":
        e, g = grad_e(net, x)
        v = torch.randn_like(x)
        gv = (g * v).sum(-1)
        hv, = torch.autograd.grad(gv.sum(), x, create_graph=True)
        return (0.5 * gv.pow(2) - (v * hv).sum(-1)).mean()
    if name == "dsm":
        sigma = 0.1
        z = torch.randn_like(x)
        _, g = grad_e(net, x + sigma * z)
        return (0.5 * g.pow(2).sum(-1) - (z * g).sum(-1) / sigma).mean()
    if name == "mvl_cv":
        eps = 1e-3
        e0, g = grad_e(net, x)
        xi = torch.randn_like(x) * (2 * eps) ** 0.5
        x1 = x - 0.5 * eps * g + xi
        e1 = net(x1).squeeze(-1)
        return ((e0 - e1 + (g * xi).sum(-1)) / eps).mean()
    raise ValueError(name)


def step(name, net, opt, d):
    """One training step on a fresh batch; its milliseconds."""
    x = torch.randn(128, d)
    t0 = time.perf_counter()
    opt.zero_grad()
    # Gradients for the parameters only (no x.grad), the work the Rust side does.
    loss(name, net, x).backward(inputs=list(net.parameters()))
    opt.step()
    return (time.perf_counter() - t0) * 1e3


def serve():
    """`--serve`: the protocol of `bench-estimators --serve` (scripts/bench_pingpong): each
    request line `<estimator> <d> <steps>` is answered by one JSON line {"ms": [...]}, the
    times of that many steps of the workload, set up at its first request and kept while the
    requests name it."""
    current = None
    for line in sys.stdin:
        name, d, steps = line.split()
        d, steps = int(d), int(steps)
        if current is None or current[:2] != (name, d):
            torch.manual_seed(0)
            net = energy_net(d)
            current = (name, d, net, torch.optim.Adam(net.parameters(), lr=1e-4))
        _, _, net, opt = current
        print(json.dumps({"ms": [step(name, net, opt, d) for _ in range(steps)]}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dims", default="2,16,64,256,784")
    p.add_argument("--estimators", default="plain,mvl_cv,dsm,ssm,exact_sm")
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    # bench-estimators' choice of derivatives (scripts/bench_compare passes its arguments to
    # both sides); PyTorch has autograd only, so the flag is accepted and ignored.
    p.add_argument("--energy", choices=["autograd", "explicit"], default="autograd")
    p.add_argument("--threads", type=int, help="intra-op threads (default: torch's choice)")
    p.add_argument("--serve", action="store_true",
                   help="serve timing requests on standard input (scripts/bench_pingpong)")
    p.add_argument("--peak", action="store_true",
                   help="instead: the f32 matrix-product rate (GFLOP/s) of a 2048 x 2048 product")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.serve:
        serve()
        return
    if a.peak:
        m = torch.randn(2048, 2048)
        times = []
        for i in range(a.warmup + a.reps):
            t0 = time.perf_counter()
            m @ m
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
        best = min(times)
        print(json.dumps({"threads": torch.get_num_threads(), "gflops_best": 2 * 2048**3 / best / 1e9,
                          "gflops_median": 2 * 2048**3 / sorted(times)[len(times) // 2] / 1e9}))
        return
    torch.manual_seed(0)
    rows = []
    for d in map(int, a.dims.split(",")):
        plain = None
        for name in a.estimators.split(","):
            net = energy_net(d)
            opt = torch.optim.Adam(net.parameters(), lr=1e-4)
            reps = min(a.reps, 3) if name == "exact_sm" and d > 64 else a.reps
            times = []
            for i in range(a.warmup + reps):
                ms = step(name, net, opt, d)
                if i >= a.warmup:
                    times.append(ms)
            times.sort()
            med = times[len(times) // 2]
            plain = med if name == "plain" else plain
            rows.append({"estimator": name, "dim": d, "ms_per_step": med, "ms_min": times[0],
                         "steps": reps,
                         "ratio_to_plain": None if name == "plain" or plain is None else med / plain})
    print(json.dumps({"workload": "PyTorch " + torch.__version__, "threads": torch.get_num_threads(),
                      "results": rows}, indent=2))


if __name__ == "__main__":
    main()
