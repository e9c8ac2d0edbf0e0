"""PyTorch peer of bench/vae.ts: the same VAE (nbdm, canonical; encoder [G,128,64,2K] ReLU on
log1p counts; decoder [K,64,128,G] ReLU, r = softplus + 1e-6; global p with a Beta guide,
Beta(1,1) prior, closed-form KLs; N(0, I) latent prior), Adam(1e-3), one epoch of minibatches.
Usage: python3 bench/vae_torch.py COUNTS.f32 C G BATCH K  -> prints JSON {"epoch_ms": ...}"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.distributions import Beta, NegativeBinomial, Normal, kl_divergence

torch.set_num_threads(int(os.environ.get("SCRIBE_TORCH_THREADS", "2")))
path, C, G, B, K = sys.argv[1], *map(int, sys.argv[2:6])
x_all = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(C, G))
torch.manual_seed(0)
enc = nn.Sequential(nn.Linear(G, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 2 * K))
dec = nn.Sequential(nn.Linear(K, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, G))
raw_a = torch.zeros((), requires_grad=True)  # softplus(raw) + ... positive Beta params, init ≈ 1
raw_b = torch.zeros((), requires_grad=True)
params = list(enc.parameters()) + list(dec.parameters()) + [raw_a, raw_b]
opt = torch.optim.Adam(params, lr=1e-3)
prior_p = Beta(torch.tensor(1.0), torch.tensor(1.0))


def step(idx):
    x = x_all[idx]
    out = enc(torch.log1p(x))
    loc, log_var = out[:, :K], out[:, K:].clamp(-14, 4)
    q = Normal(loc, torch.exp(0.5 * log_var))
    z = q.rsample()
    qp = Beta(nn.functional.softplus(raw_a) + 0.3133, nn.functional.softplus(raw_b) + 0.3133)
    p = qp.rsample().clamp(1e-6, 1 - 1e-6)
    r = nn.functional.softplus(dec(z)) + 1e-6
    ll = NegativeBinomial(total_count=r, probs=p).log_prob(x).sum()
    scale = C / x.shape[0]
    kl_z = kl_divergence(q, Normal(0.0, 1.0)).sum()
    loss = -(scale * (ll - kl_z) - kl_divergence(qp, prior_p))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


perm = torch.randperm(C)
step(perm[:B])  # warm-up (allocations), not timed
t0 = time.perf_counter()
n = math.ceil(C / B)
for i in range(n):
    step(perm[i * B : (i + 1) * B])
epoch_ms = (time.perf_counter() - t0) * 1000
# Debian's torch links the generic libblas.so.3: report which implementation served it (the
# reference BLAS makes torch's matmuls ~10x slower than OpenBLAS).
with open("/proc/self/maps") as maps:
    blas = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
print(json.dumps({"epoch_ms": epoch_ms, "steps": n, "threads": torch.get_num_threads(), "blas": blas}))
