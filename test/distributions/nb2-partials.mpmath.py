# Generates nb2-partials.mpmath.json (run from test/distributions): mpmath reference values of
# log NB2(y | μ, θ) and its partials ∂/∂μ, ∂/∂θ at 40 digits, over counts on both sides of the
# kernel's direct range (≤ 16) and μ, θ from 1e-6 to 1e6. Rows: [y, μ, θ, value, ∂μ, ∂θ].
from mpmath import mp, mpf, loggamma, psi, log
import json
mp.dps = 40
ys = [0, 1, 2, 3, 5, 8, 16, 17, 40, 300]
grid = [1e-6, 1e-4, 1e-2, 0.3, 1.0, 3.0, 10.0, 100.0, 1e4, 1e6]
rows = []
for y in ys:
    for mu in grid:
        for th in grid:
            Y, M, T = mpf(y), mpf(mu), mpf(th)
            v = loggamma(Y + T) - loggamma(T) - loggamma(Y + 1) + T * log(T / (T + M)) + Y * log(M / (T + M))
            dmu = T * (Y - M) / (M * (T + M))
            dth = psi(0, Y + T) - psi(0, T) + log(T / (T + M)) + (M - Y) / (T + M)
            rows.append([y, mu, th, float(v), float(dmu), float(dth)])
with open("nb2-partials.mpmath.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
