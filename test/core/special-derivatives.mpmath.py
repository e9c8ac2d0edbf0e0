# Generates special-derivatives.mpmath.json (run from test/core): mpmath reference values for the
# lgamma/digamma/trigamma shift differences and the incomplete gamma/beta parameter derivatives.
from mpmath import mp, mpf, loggamma, psi, gammainc, betainc, diff
import json
mp.dps = 40
out = {"shift": [], "gammaGradA": [], "betaGradA": [], "betaGradB": []}
thetas = [1e-300, 1e-8, 1e-4, 0.3, 1.0, 2.5, 9.99, 10.0, 37.2, 1e3, 1e6, 1e9, 1e12, 1e15]
ys = [1, 2, 5, 16, 17, 100, 1e4, 1e5]
for t in thetas:
    for y in ys:
        T = mpf(t); Y = mpf(y)
        out["shift"].append([t, y, float(loggamma(T+Y)-loggamma(T)), float(psi(0,T+Y)-psi(0,T)), float(psi(1,T+Y)-psi(1,T))])
for a, x in [(0.5,0.3),(1.0,1.0),(2.0,3.0),(10.0,5.0),(10.0,15.0),(0.01,0.5),(0.01,3.0),(100.0,90.0),(100.0,110.0),(3.5,20.0),(1e4,1e4+50),(1e5,1e5-300),(1e-3,1e-2),(0.5,50.0),(1e-3,5.0),(50.0,10.0),(1e6,1e6+2000),(7.0,0.01)]:
    A=mpf(a); X=mpf(x)
    g = diff(lambda s: gammainc(s, 0, X, regularized=True), A)
    out["gammaGradA"].append([a, x, float(g)])
for a, b, x in [(2.0,3.0,0.4),(0.5,0.5,0.3),(10.0,20.0,0.3),(5.0,2.0,0.95),(0.1,0.1,0.9),(1.0,1.0,0.5),(3.0,7.0,0.01),(50.0,40.0,0.6),(0.01,2.0,0.2),(2.0,0.01,0.9),(60.0,60.0,0.52),(0.01,0.01,0.5),(200.0,3.0,0.99),(3.0,200.0,0.001),(1e3,10.0,0.995)]:
    A=mpf(a);B=mpf(b);X=mpf(x)
    ga = diff(lambda s: betainc(s, B, 0, X, regularized=True), A)
    gb = diff(lambda s: betainc(A, s, 0, X, regularized=True), B)
    out["betaGradA"].append([a,b,x,float(ga)]); out["betaGradB"].append([a,b,x,float(gb)])
def enc(v):
    if isinstance(v, dict): return {k: enc(u) for k, u in v.items()}
    if isinstance(v, list): return [enc(u) for u in v]
    if isinstance(v, float) and v != v: return "nan"
    if v == float("inf"): return "inf"
    if v == float("-inf"): return "-inf"
    return v
json.dump(enc(out), open("special-derivatives.mpmath.json","w"))
print(len(out["shift"]))
