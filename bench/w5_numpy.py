"""W5 peer: the empirical Bayesian DE step in NumPy (same algorithm as our empirical method).

Per condition and posterior draw: lambda_g = Gamma(r_g) * mu_g / r_g (numpy's C gamma
sampler), rho = lambda / sum, CLR = log(max(rho, 1e-30)) - mean; Delta = CLR_A - CLR_B paired
by draw; per gene mean, sd (ddof 1), P(Delta > 0), P(Delta > tau), P(Delta < -tau).
Draws are processed in batches (bounded memory). Prints one JSON line with the seconds of
the comparison (draw generation excluded), wall and CPU (process_time).

Usage: python3 bench/w5_numpy.py GENES DRAWS BATCH
"""
import json
import sys
import time

import numpy as np

G, S, B = (int(a) for a in sys.argv[1:4])
tau = 0.5
rng = np.random.default_rng(1)
base = rng.lognormal(0.5, 1.0, G)


def draws(seed):
    g = np.random.default_rng(seed)
    r = (base[None, :] * np.exp(0.1 * g.standard_normal((S, G)))).astype(np.float32)
    p = g.uniform(0.4, 0.6, S).astype(np.float32)
    return r, p


rA, pA = draws(2)
rB, pB = draws(3)
gen = np.random.default_rng(4)
t0 = time.perf_counter()
c0 = time.process_time()
s1 = np.zeros(G)
s2 = np.zeros(G)
pos = np.zeros(G)
up = np.zeros(G)
down = np.zeros(G)
for start in range(0, S, B):
    sl = slice(start, min(S, start + B))
    clr = []
    for r, p in ((rA, pA), (rB, pB)):
        rr = r[sl].astype(np.float64)
        lam = gen.gamma(rr) * (p[sl, None] / (1 - p[sl, None]))
        rho = lam / lam.sum(axis=1, keepdims=True)
        lr = np.log(np.maximum(rho, 1e-30))
        clr.append(lr - lr.mean(axis=1, keepdims=True))
    d = clr[0] - clr[1]
    s1 += d.sum(axis=0)
    s2 += (d * d).sum(axis=0)
    pos += (d > 0).sum(axis=0)
    up += (d > tau).sum(axis=0)
    down += (d < -tau).sum(axis=0)
mean = s1 / S
sd = np.sqrt((s2 - S * mean * mean) / (S - 1))
secs = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({"seconds": secs, "cpuSeconds": cpu, "mean0": float(mean[0]), "sd0": float(sd[0])}))
