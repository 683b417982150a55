#!/usr/bin/env python3
"""The chunk size of the Gram forward Laplacian (mvl-manifold, mlp/gram.rs): forward and
backward of its second-layer stage, rowsum((U Ĉ) ⊙ U) with U = W₂ diag(σ'(a₁)) per row and the
shared Ĉ = W₁W₁ᵀ, on the d = 784 workload (widths 256, batch 128, f32), with the batch split
into chunks of rows. Prints the median ms over 8 timed runs for each chunk size.

    OMP_WAIT_POLICY=ACTIVE ~/.cache/mvl/torch-2.11.0/bin/python scripts/bench_gram_chunks.py
"""
import time
import torch

torch.manual_seed(0)
b, h, d = 128, 256, 784
w1 = torch.randn(h, d, requires_grad=True)
w2 = torch.randn(h, h, requires_grad=True)
slope = torch.rand(b, h, requires_grad=True)
weights = torch.randn(b, h)


def stage(chunk):
    gram = w1 @ w1.T
    parts = []
    for s in slope.split(chunk):
        u = w2 * s[:, None, :]
        parts.append(((u @ gram) * u).sum(-1))
    return (torch.cat(parts) * weights).sum()


for chunk in [128, 64, 32, 16, 8]:
    times = []
    for i in range(12):
        t0 = time.perf_counter()
        stage(chunk).backward()
        if i >= 4:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print(f"rows per chunk {chunk:4}: {times[len(times) // 2]:7.1f} ms")
