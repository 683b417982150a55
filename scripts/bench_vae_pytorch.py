#!/usr/bin/env python3
"""The workloads of `bench-vae` (issue 13) in PyTorch, for a same-machine comparison; prints
the same JSON as `bench-vae --json`. Written from docs/paper-spec §2.2-2.3, §2.5, §4.2-4.6 and
the Rust code it mirrors op for op (mvl-ae ImplicitVae, mvl-objectives MinimumVelocity with
mvl-flows RiemannianLangevin, mvl-ae ais/, mvl-train train_groups + TfRmsProp), without the
Rust side's input validation and finiteness checks:

- train: one iteration of the implicit VAE on S^nz, f32, batch 128: the -ELBO phase (encoder
  and decoder, entropy surrogate with the energy's chart-free score) then the energy phase
  (Riemannian MVL on the stereographic chart, control variate, per-row rescaling, gradient
  through the sampler step with create_graph), each followed by backward and TF1 RMSProp.
- ais_sph: one AIS transition, 5 Riemannian Langevin + MH steps on S^nz (images x chains rows).
- ais_euc: one AIS transition, HMC with 11 leapfrog position updates on R^nz.

Run with the project's cached interpreter (torch 2.11.0):
    ~/.cache/mvl/torch-2.11.0/bin/python scripts/bench_vae_pytorch.py --threads 1
"""
import argparse, json, math, time
import torch

F32 = torch.float32
LN2 = math.log(2.0)


def glorot(i, o):
    w = torch.empty(i, o, dtype=F32).uniform_(-math.sqrt(6 / (i + o)), math.sqrt(6 / (i + o)))
    return [w.requires_grad_(), torch.zeros(o, dtype=F32, requires_grad=True)]


class Mlp:
    """Dense layers x W + b (Glorot kernels, zero biases), tanh after all but the last."""

    def __init__(self, widths):
        self.params = [p for a, b in zip(widths, widths[1:]) for p in glorot(a, b)]

    def __call__(self, h):
        n = len(self.params) // 2
        for k in range(n):
            h = h.matmul(self.params[2 * k]) + self.params[2 * k + 1]
            if k < n - 1:
                h = h.tanh()
        return h


def row_norm_sq(v):
    return v.square().sum(-1)


def row_dot(u, v):
    return (u * v).sum(-1)


def log_sphere_area(n):  # |S^n| = 2 pi^((n+1)/2) / Gamma((n+1)/2)
    return LN2 + (n + 1) / 2 * math.log(math.pi) - math.lgamma((n + 1) / 2)


def bernoulli_nll(logits, x):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


class Chart:
    """Stereographic chart of S^n from the pole opposite each row's hemisphere (spec §2.2)."""

    def __init__(self, y, n):
        self.n = n
        self.sign = y.detach()[:, n:n + 1].lt(0).to(y.dtype) * -2.0 + 1.0

    def coords(self, y):
        y = y * self.sign
        return y[:, :self.n] / (y[:, self.n:] + 1.0)

    def embed(self, x):
        r = row_norm_sq(x).unsqueeze(-1)
        denom = r + 1.0
        return torch.cat([x * 2.0 / denom, (1.0 - r) / denom], 1) * self.sign

    def half_log_det(self, x):
        return (LN2 - (row_norm_sq(x) + 1.0).log()) * self.n


class State:
    """Chart state of a Riemannian Langevin step at y (mvl-flows ChartState::evaluate)."""

    def __init__(self, energy, y, n, scale, create_graph):
        self.chart = Chart(y, n)
        self.input = y
        x = self.chart.coords(y)
        x = x if x.requires_grad else x.detach().requires_grad_(True)
        self.x = x
        self.energy = energy(self.chart.embed(x))
        self.grad, = torch.autograd.grad(self.energy.sum(), x, retain_graph=True,
                                         create_graph=create_graph)
        r = row_norm_sq(x).unsqueeze(-1)
        k = self.grad * scale - x * (-2.0 * n) / (row_norm_sq(x).unsqueeze(-1) + 1.0)
        self.factor = 4.0 / (row_norm_sq(x) + 1.0).square()
        self.drift = x * (r + 1.0) - k / self.factor.unsqueeze(-1)


def per_row(stat, eps, rescale):
    base = torch.ones_like(stat.detach()) * eps
    return base / stat.detach().clamp_min(1.0) if rescale else base


def log_proposal(s, eps, to, n):
    diff = to - s.x - s.drift * eps.unsqueeze(-1)
    return (-(s.factor * row_dot(diff, diff)) / (eps * 4.0) + s.factor.log() * (n / 2.0)
            - eps.log() * (n / 2.0) - s.chart.half_log_det(to))


def langevin_step(energy, y, n, eps0, scale, rescale, metropolis, create_graph=True):
    """mvl-flows LangevinCore::run on the sphere: (next, e0, eps, <h, xi>, accept)."""
    normal = torch.randn(y.shape[0], n, dtype=y.dtype)
    uniform = torch.rand(y.shape[0], 1 if metropolis else 0, dtype=y.dtype)
    s = State(energy, y, n, scale, create_graph)
    eps = per_row(row_norm_sq(s.drift), eps0, rescale)
    xi = normal / s.factor.sqrt().unsqueeze(-1) * (eps * 2.0).sqrt().unsqueeze(-1)
    proposal = s.x + s.drift * eps.unsqueeze(-1) + xi
    nxt = s.chart.embed(proposal)
    diffusion = row_dot(s.grad, xi)
    acc = None
    if metropolis:
        prop = proposal.detach()
        y1 = s.chart.embed(prop)
        rev = State(energy, y1, n, scale, create_graph)
        eps1 = per_row(row_norm_sq(rev.drift), eps0, rescale)
        back = rev.chart.coords(s.input.detach())
        log_ratio = ((s.energy - rev.energy) * scale + log_proposal(rev, eps1, back, n)
                     - log_proposal(s, eps, prop, n))
        acc = uniform[:, 0].log().lt(log_ratio.detach())
        nxt = nxt.where(acc.unsqueeze(-1), y)
    return nxt, s.energy, eps, diffusion, acc


class Vae:
    def __init__(self, nz, sphere=True, h=256, n=784):
        self.nz, self.sphere = nz, sphere
        d = nz + 1 if sphere else nz
        self.scale = math.sqrt(d) if sphere else 1.0
        self.encoder = Mlp([n + nz, h, h, d])
        self.decoder = Mlp([d, h, h, n])
        self.psi = Mlp([d + n, h, h, d])

    def encode(self, x):
        raw = self.encoder(torch.cat([x, torch.randn(x.shape[0], self.nz, dtype=x.dtype)], 1))
        return raw * row_norm_sq(raw).clamp_min(1e-12).rsqrt().unsqueeze(-1)

    def decode(self, z):
        return self.decoder(z * self.scale)

    def energy(self, x):
        def e(z):
            zr = z * self.scale
            return (zr * self.psi(torch.cat([zr, x], 1))).sum(1)
        return e

    def neg_elbo(self, x):
        z = self.encode(x)
        recon = bernoulli_nll(self.decode(z), x).mean()
        energy = self.energy(x)
        prior = (torch.zeros_like(z[:, 0]) - log_sphere_area(self.nz)).mean()
        with torch.no_grad():
            mean_energy = energy(z).mean()
        at = z.detach().requires_grad_(True)  # entropy_surrogate: score held fixed
        g, = torch.autograd.grad(energy(at).sum(), at, retain_graph=True, create_graph=True)
        score = (g - at * row_dot(at, g).unsqueeze(-1)).detach()
        surrogate = (score * z).sum(1).mean()
        return recon + (-mean_energy - (surrogate - surrogate.detach()) - prior)

    def energy_loss(self, x, eps0=1e-3, reg=1e-4):
        with torch.no_grad():
            z = self.encode(x)
        energy = self.energy(x)
        nxt, e0, eps, cv, _ = langevin_step(energy, z, self.nz, eps0, 0.5, True, False)
        moved = energy(nxt)
        loss = ((e0 - moved + cv) / eps).mean()
        penalty = energy(z).square().mean() + moved.square().mean()
        return loss * eps0 + penalty * reg


class TfRmsProp:
    def __init__(self, params, lr=1e-3):
        self.params, self.lr = params, lr
        self.acc = [torch.ones_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        for p, i in zip(self.params, range(len(self.acc))):
            g = p.grad
            if g is None:
                continue
            self.acc[i] = self.acc[i] * 0.9 + g.square() * (1 - 0.9)
            p.sub_(g / (self.acc[i] + 1e-10).sqrt() * self.lr)
            g.zero_()


def quartiles(ms):
    s = sorted(ms)
    def q(p):
        pos = p * (len(s) - 1)
        lo = int(math.floor(pos)); hi = min(lo + 1, len(s) - 1)
        return s[lo] + (pos - lo) * (s[hi] - s[lo])
    return {"median_ms": q(0.5), "q1_ms": q(0.25), "q3_ms": q(0.75), "n": len(s)}


def time_training(a):
    torch.manual_seed(0)
    vae = Vae(a.nz)
    groups = [vae.encoder.params + vae.decoder.params, vae.psi.params]
    opts = [TfRmsProp(g) for g in groups]
    pixels = torch.rand(a.batch, 784)
    phases = [[], [], []]
    for i in range(a.warmup + a.reps):
        t = [time.perf_counter()]
        x = pixels.gt(torch.rand_like(pixels)).to(F32)  # binarised once per iteration
        for k, opt in enumerate(opts):
            if k == 1:
                t.append(time.perf_counter())
            loss = vae.neg_elbo(x) if k == 0 else vae.energy_loss(x)
            loss.item()
            for g in groups:
                for p in g:
                    if p.grad is not None:
                        p.grad.zero_()
            loss.backward()
            opt.step()
        t.append(time.perf_counter())
        if i >= a.warmup:
            for j, (u, v) in enumerate([(0, 2), (0, 1), (1, 2)]):
                phases[j].append((t[v] - t[u]) * 1e3)
    it, ae, en = (quartiles(p) for p in phases)
    return {"iteration": it, "autoencoder": ae, "energy": en,
            "energy_share": en["median_ms"] / it["median_ms"]}


def hmc(ll_grad, z, ll, grad, t, eps, steps, dim):
    log_prior = lambda z: row_norm_sq(z) * -0.5 - 0.5 * dim * math.log(2 * math.pi)
    pot = lambda z, ll: -(log_prior(z) + ll * t)
    pot_grad = lambda z, g: -(-z + g * t)
    m0 = torch.randn_like(z)
    h0 = pot(z, ll) + row_norm_sq(m0) * 0.5
    m = m0 - pot_grad(z, grad) * (eps / 2)
    z1 = z + m * eps
    ll1, g1 = ll_grad(z1)
    for _ in range(1, steps):
        m -= pot_grad(z1, g1) * eps
        z1 = z1 + m * eps
        ll1, g1 = ll_grad(z1)
    m -= pot_grad(z1, g1) * (eps / 2)
    h1 = pot(z1, ll1) + row_norm_sq(m) * 0.5
    acc = (h0 - h1).exp().ge(torch.rand_like(h0))
    m1 = acc.unsqueeze(-1)
    return z1.where(m1, z), ll1.where(acc, ll), g1.where(m1, grad), acc


def time_ais(a, sphere):
    torch.manual_seed(0)
    vae = Vae(a.nz, sphere)
    x = torch.rand(a.images, 784)
    x = x.gt(torch.rand_like(x)).to(F32)
    xs = x.repeat(a.chains, 1)
    ll_of = lambda z: -bernoulli_nll(vae.decode(z), xs)
    n, rows, total = a.nz, a.images * a.chains, a.ais_warmup + a.ais_reps
    temps = torch.sigmoid(torch.linspace(-4, 4, total + 1, dtype=torch.float64))
    temps = ((temps - temps[0]) / (temps[-1] - temps[0])).tolist()
    step, lo, hi = (0.02, 1e-4, 0.2) if sphere else (0.01, 1e-4, 0.5)
    running, acceptance, times = 0.65, 0.0, []

    def ll_grad(z):  # log p(x|z) and its gradient, no graphs (mvl-ae Evaluated::at)
        z = z.detach().requires_grad_(True)
        with torch.enable_grad():
            v = ll_of(z)
            g, = torch.autograd.grad(v.sum() + (z * 0.0).sum(), z)
        return v.detach(), g

    with torch.no_grad():
        if sphere:
            z = torch.randn(rows, n + 1)
            z = z / row_norm_sq(z).sqrt().unsqueeze(-1)
            ll = ll_of(z)
        else:
            z = torch.randn(rows, n)
            ll, grad = ll_grad(z)
        log_w = torch.zeros(rows, dtype=torch.float64)
        for k in range(total):
            t0 = time.perf_counter()
            log_w += ll.double() * (temps[k + 1] - temps[k])
            t = temps[k + 1]
            if sphere:
                energy = lambda y: -((y[:, 0] * 0.0 - log_sphere_area(n)) + ll_of(y) * t)
                acc = 0.0
                for _ in range(5):
                    with torch.enable_grad():
                        z, _, _, _, ok = langevin_step(energy, z, n, step, 1.0, False, True)
                    z = z.detach()
                    acc += ok.double().mean().item()
                acc /= 5
                ll = ll_of(z)
            else:
                z, ll, grad, ok = hmc(ll_grad, z, ll, grad, t, step, 11, n)
                acc = ok.double().mean().item()
            step = min(max(step * (1.02 if running > 0.65 else 0.98), lo), hi)
            running = 0.9 * running + 0.1 * acc
            acceptance += acc / total
            if k >= a.ais_warmup:
                times.append((time.perf_counter() - t0) * 1e3)
    return {"transition": quartiles(times), "mean_acceptance": acceptance}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="train,ais-sph,ais-euc",
                   help="workloads, comma-separated: train, ais-sph, ais-euc")
    p.add_argument("--nz", type=int, default=8, help="latent dimension nz (S^nz, or R^nz)")
    p.add_argument("--batch", type=int, default=128, help="training batch size")
    p.add_argument("--reps", type=int, default=30, help="timed training iterations")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up iterations")
    p.add_argument("--images", type=int, default=128, help="AIS images per batch")
    p.add_argument("--chains", type=int, default=16, help="AIS chains per image")
    p.add_argument("--ais-reps", type=int, default=8, help="timed AIS transitions per geometry")
    p.add_argument("--ais-warmup", type=int, default=2, help="untimed warm-up AIS transitions")
    p.add_argument("--threads", type=int, help="intra-op threads (default: torch's choice)")
    p.add_argument("--json", action="store_true", help="accepted for symmetry: always JSON")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    out = {"side": "pytorch", "workload": "PyTorch " + torch.__version__,
           "threads": torch.get_num_threads(),
           "sizes": {"nz": a.nz, "batch": a.batch, "images": a.images, "chains": a.chains}}
    for part in a.parts.split(","):
        if part == "train":
            out["train"] = time_training(a)
        elif part in ("ais-sph", "ais-euc"):
            out[part.replace("-", "_")] = time_ais(a, part == "ais-sph")
        else:
            p.error(f"unknown part {part}")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
