/**
 * `vectorizeParticles` (NumPyro's / Pyro's `vectorize_particles`): the particles of an ELBO are
 * drawn in one pass inside an outer plate. Checked against closed forms in float64 with many
 * particles: the loss and its reparameterized gradient for a Normal–Normal model with a plate,
 * and the per-particle score-function gradient of a discrete guide site. Tolerances are 5
 * Monte Carlo standard errors, computed here in closed form.
 */
import { key, plate, sample, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { Bernoulli, Normal } from "@scribe/distributions";
import { AutoMultivariateNormal, TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const f64 = (x: number) => tensor(x, { dtype: "float64" });
const Y = [0.3, -0.5, 1.2, 0.8, 0.1];
const N_PARTICLES = 20_000;

/** μ ~ N(0, 1); y_i ~ N(μ, 1) in a plate. */
const model = (y: Tensor) => {
  const mu = sample("mu", new Normal(f64(0), f64(1)));
  plate("obs", Y.length, () => sample("y", new Normal(mu, f64(1)), { obs: y }));
};
const guideOf = (params: { m: Tensor; s: Tensor }) => () => {
  sample("mu", new Normal(params.m, params.s));
};
const y = tensor(Y, { dtype: "float64" });

/** ELBO(m, s) = E_q[log p(μ) + Σ log p(y_i | μ)] + H(q), q = N(m, s²), and d/dm of it. */
function closedForm(m: number, s: number) {
  const half = 0.5 * Math.log(2 * Math.PI);
  const prior = -half - (m * m + s * s) / 2;
  const lik = Y.reduce((a, yi) => a - half - ((yi - m) ** 2 + s * s) / 2, 0);
  const entropy = 0.5 * Math.log(2 * Math.PI * Math.E * s * s);
  const dELBOdm = -m + Y.reduce((a, yi) => a + (yi - m), 0);
  return { elbo: prior + lik + entropy, dELBOdm };
}

describe("vectorizeParticles", () => {
  it("TraceELBO: the loss and ∂/∂m match the closed forms (Normal–Normal with a plate)", () => {
    const m = 0.2;
    const s = 0.5;
    const elbo = new TraceELBO({ numParticles: N_PARTICLES, vectorizeParticles: true });
    const [loss, grads] = valueAndGrad((p: { m: Tensor; s: Tensor }) =>
      elbo.loss(key(3), {}, model, guideOf(p), [y]),
    )({ m: f64(m), s: f64(s) });
    const truth = closedForm(m, s);
    // log p(μ) + Σ log p(y|μ) − log q(μ) with μ = m + s·e: quadratic in e; its variance is
    // (s·(Σd − m))² + (N + 1)²·s⁴/2 − … : bound it by the two leading terms plus the entropy term's
    const d = Y.reduce((a, yi) => a + (yi - m), 0);
    const sdValue = Math.sqrt((s * (d - m)) ** 2 + ((Y.length + 1) ** 2 * s ** 4) / 2 + 0.5);
    expect(Math.abs(-loss.item() - truth.elbo)).toBeLessThan((5 * sdValue) / Math.sqrt(N_PARTICLES));
    // ∂/∂m of the reparameterized estimate: −(N+1)(m + s·e) + Σy: sd (N + 1)·s
    const sdGrad = (Y.length + 1) * s;
    expect(Math.abs(-grads.m.item() - truth.dELBOdm)).toBeLessThan((5 * sdGrad) / Math.sqrt(N_PARTICLES));
  });

  it("TraceMeanFieldELBO: the particle plate sits left of the model's plate; KL is exact", () => {
    const m = -0.4;
    const s = 0.8;
    const elbo = new TraceMeanFieldELBO({ numParticles: N_PARTICLES, vectorizeParticles: true });
    const loss = elbo.loss(key(4), {}, model, guideOf({ m: f64(m), s: f64(s) }), [y]).item();
    const truth = closedForm(m, s);
    // only Σ log p(y|μ) is sampled: sd ≤ √((s·Σd)² + N²·s⁴/2)
    const d = Y.reduce((a, yi) => a + (yi - m), 0);
    const sd = Math.sqrt((s * d) ** 2 + (Y.length ** 2 * s ** 4) / 2);
    expect(Math.abs(-loss - truth.elbo)).toBeLessThan((5 * sd) / Math.sqrt(N_PARTICLES));
    // the particle plate is one dim left of the model's plate: μ has shape [particles, 1]
    let muShape: readonly number[] = [];
    const recording = () => {
      muShape = sample("mu", new Normal(f64(m), f64(s))).shape;
    };
    new TraceELBO({ numParticles: 3, vectorizeParticles: true }).loss(key(6), {}, model, recording, [y]);
    expect([...muShape]).toEqual([3, 1]);
  });

  it("score-function gradient per particle: ∂/∂q of a Bernoulli guide site matches the exact sum", () => {
    // z ~ Bernoulli(0.3); y ~ N(z, 1) at y = 0.5; q(z) = Bernoulli(q)
    const p0 = 0.3;
    const yObs = 0.5;
    const m2 = () => {
      const z = sample("z", Bernoulli({ probs: f64(p0) }));
      sample("y", new Normal(z, f64(1)), { obs: f64(yObs) });
    };
    const g2 = (p: { q: Tensor }) => () => {
      sample("z", Bernoulli({ probs: p.q }));
    };
    const logN = (x: number, mu: number) => -0.5 * Math.log(2 * Math.PI) - (x - mu) ** 2 / 2;
    const term = (z: number, q: number) =>
      Math.log(z ? p0 : 1 - p0) + logN(yObs, z) - Math.log(z ? q : 1 - q);
    const q = 0.6;
    // ELBO(q) = q·f(1, q) + (1 − q)·f(0, q); d/dq = f(1) − f(0) (the −log q terms' own derivative sums to 0)
    const exact = term(1, q) - term(0, q);
    const elbo = new TraceELBO({ numParticles: N_PARTICLES, vectorizeParticles: true });
    const [, grads] = valueAndGrad((p: { q: Tensor }) => elbo.loss(key(5), {}, m2, g2(p), []))({ q: f64(q) });
    // per particle the estimate is (f(z) − 1)·∂log q(z)/∂q (score term plus −log q's own
    // derivative): (f(1) − 1)/q or −(f(0) − 1)/(1 − q)
    const a = (term(1, q) - 1) / q;
    const b = -(term(0, q) - 1) / (1 - q);
    const mean = q * a + (1 - q) * b;
    const sd = Math.sqrt(q * a * a + (1 - q) * b * b - mean * mean);
    expect(Math.abs(-grads.q.item() - exact)).toBeLessThan((5 * sd) / Math.sqrt(N_PARTICLES));
  });

  it("flat-vector guide over a plated latent: each particle's site value keeps the plate's shape", () => {
    // w ~ N(0, τ² I) in a plate of 3, y = X w + ε. The latent of AutoMultivariateNormal is
    // drawn with batch [n, 1] under the particle plate; unpacked naively, w became [n, n, 3]
    // (every particle against every other: the likelihood counted n times). The ELBO at fixed
    // guide params has a closed form: E_q log p(w) + E_q log p(y | w) + H(q), q = N(m, LLᵀ).
    const X = [
      [1, 0.5, -1.2],
      [1, -0.3, 0.8],
      [1, 1.4, 0.1],
      [1, -1.1, -0.4],
    ];
    const yv = [0.2, 1.1, -0.7, 0.4];
    const [tau, sigma] = [2, 0.5];
    const xt = tensor(X, { dtype: "float64" }).transpose();
    const regression = (yObs: Tensor) => {
      const w = plate("coef", 3, () => sample("w", new Normal(f64(0), f64(tau))));
      plate("data", X.length, () => sample("y", new Normal(w.matmul(xt), f64(sigma)), { obs: yObs }));
    };
    const m = [0.3, -0.8, 1.5];
    const L = [
      [0.4, 0, 0],
      [0.1, 0.3, 0],
      [-0.2, 0.05, 0.5],
    ];
    const S = m.map((_, i) => m.map((_, j) => L[i]!.reduce((a, l, k) => a + l * L[j]![k]!, 0)));
    const half = (v: number) => -0.5 * Math.log(2 * Math.PI * v);
    let elbo = 0;
    for (let i = 0; i < 3; i++) elbo += half(tau ** 2) - (m[i]! ** 2 + S[i]![i]!) / (2 * tau ** 2);
    for (let n = 0; n < X.length; n++) {
      const x = X[n]!;
      const mean = x.reduce((a, xi, i) => a + xi * m[i]!, 0);
      const quad = x.reduce((a, xi, i) => a + xi * x.reduce((b, xj, j) => b + S[i]![j]! * xj, 0), 0);
      elbo += half(sigma ** 2) - ((yv[n]! - mean) ** 2 + quad) / (2 * sigma ** 2);
    }
    const logDetL = L.reduce((a, row, i) => a + Math.log(row[i]!), 0);
    elbo += 1.5 * (1 + Math.log(2 * Math.PI)) + logDetL;

    const guide = new AutoMultivariateNormal(regression);
    const yt = tensor(yv, { dtype: "float64" });
    const params = {
      auto_loc: tensor(m, { dtype: "float64" }),
      auto_scale_tril: tensor(L, { dtype: "float64" }),
    };
    const elboFn = new TraceELBO({ numParticles: 1000, vectorizeParticles: true });
    // 20 independent 1,000-particle estimates: their spread gives the Monte Carlo error
    const estimates = Array.from(
      { length: 20 },
      (_, r) =>
        -elboFn.loss(key(100 + r), params, regression, (...a: [Tensor]) => guide.call(...a), [yt]).item(),
    );
    const mean = estimates.reduce((a, v) => a + v, 0) / estimates.length;
    const sd = Math.sqrt(estimates.reduce((a, v) => a + (v - mean) ** 2, 0) / (estimates.length - 1));
    expect(Math.abs(mean - elbo)).toBeLessThan((5 * sd) / Math.sqrt(estimates.length));
  });

  it("refuses a bad maxPlateNesting", () => {
    expect(() => new TraceELBO({ numParticles: 2, vectorizeParticles: true, maxPlateNesting: -1 })).toThrow(
      /maxPlateNesting must be a non-negative integer, got -1/,
    );
  });
});
