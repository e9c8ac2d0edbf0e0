/**
 * Test helpers for the Laplace-EM engine: float64 contexts built by hand, seeded simulators of
 * the PLN / NBLN / LNM generative models (written from SCRIBE's logistic-normal families, see docs/SOURCES.md,
 * independently of the engine), dense linear algebra for checking the Woodbury algebra, and
 * principal angles between subspaces (Björck & Golub 1973).
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import { capacitanceCholesky } from "@scribe/models/laplace/low-rank-precision.js";
import type { LaplaceContext } from "@scribe/models/laplace/newton-system.js";
import type { ObservationModel } from "@scribe/models/laplace/observation.js";
import { rng } from "./vae-helpers.js";

/** A float64 tensor from numbers. */
export function f64(values: ArrayLike<number>, shape: number[]): Tensor {
  return fromTypedArray(Float64Array.from(values), shape);
}

/** A hand-built float64 Laplace context (C cells, latent dimension n, rank k). */
export function makeContext(
  obs: ObservationModel,
  g: { mu: number[]; W: number[]; d: number[]; k: number; logR?: number[] },
  cells: {
    counts: number[];
    C: number;
    G: number;
    totals?: number[];
    constant?: number[];
    offset?: number[];
  },
): LaplaceContext {
  const n = g.mu.length;
  const prior = { mu: f64(g.mu, [n]), W: f64(g.W, [n, g.k]), d: f64(g.d, [n]) };
  return {
    obs,
    prior,
    mChol: capacitanceCholesky(prior),
    data: {
      counts: f64(cells.counts, [cells.C, cells.G]),
      offset: cells.offset ? f64(cells.offset, [cells.C, 1]) : null,
      totals: f64(cells.totals ?? new Array(cells.C).fill(0), [cells.C, 1]),
      constant: f64(cells.constant ?? new Array(cells.C).fill(0), [cells.C]),
    },
    globals: g.logR ? { logR: f64(g.logR, [g.logR.length]) } : {},
  };
}

/** Solve the dense system A x = b (n × n, row-major) by Gaussian elimination with pivoting; also log|det A|. */
export function denseSolve(A: number[], b: number[], n: number): { x: number[]; logDet: number } {
  const M = A.slice();
  const x = b.slice();
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r * n + i]!) > Math.abs(M[p * n + i]!)) p = r;
    if (p !== i) {
      for (let c = 0; c < n; c++) [M[i * n + c], M[p * n + c]] = [M[p * n + c]!, M[i * n + c]!];
      [x[i], x[p]] = [x[p]!, x[i]!];
    }
    const piv = M[i * n + i]!;
    logDet += Math.log(Math.abs(piv));
    for (let r = i + 1; r < n; r++) {
      const f = M[r * n + i]! / piv;
      for (let c = i; c < n; c++) M[r * n + c]! -= f * M[i * n + c]!;
      x[r]! -= f * x[i]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let c = i + 1; c < n; c++) s -= M[i * n + c]! * x[c]!;
    x[i] = s / M[i * n + i]!;
  }
  return { x, logDet };
}

/** Dense Σ = W Wᵀ + diag(d) (row-major). */
export function denseSigma(W: number[], d: number[], n: number, k: number): number[] {
  const S = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? d[i]! : 0;
      for (let a = 0; a < k; a++) s += W[i * k + a]! * W[j * k + a]!;
      S[i * n + j] = s;
    }
  return S;
}

/** Orthonormal basis (modified Gram–Schmidt) of the columns of X [n, k] (row-major). */
function orthonormal(X: ArrayLike<number>, n: number, k: number): number[] {
  const Q = Array.from(X);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += Q[i * k + a]! * Q[i * k + b]!;
      for (let i = 0; i < n; i++) Q[i * k + a]! -= dot * Q[i * k + b]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Q[i * k + a]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) Q[i * k + a]! /= norm;
  }
  return Q;
}

/**
 * Largest principal angle (radians) between the column spaces of two n × 2 matrices: the
 * arccos of the smallest singular value of Q₁ᵀ Q₂ (2 × 2, singular values in closed form).
 */
export function largestPrincipalAngle2(A: ArrayLike<number>, B: ArrayLike<number>, n: number): number {
  const Qa = orthonormal(A, n, 2);
  const Qb = orthonormal(B, n, 2);
  const M = [0, 0, 0, 0];
  for (let i = 0; i < n; i++)
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) M[a * 2 + b]! += Qa[i * 2 + a]! * Qb[i * 2 + b]!;
  const [p, q, r, s] = M as [number, number, number, number];
  // singular values of [[p, q], [r, s]]: eigenvalues of MᵀM
  const t = p * p + q * q + r * r + s * s;
  const det = p * s - q * r;
  const disc = Math.sqrt(Math.max(t * t - 4 * det * det, 0));
  const sMin = Math.sqrt(Math.max((t - disc) / 2, 0));
  return Math.acos(Math.min(1, sMin));
}

/** A simulated latent-Gaussian data set: x_c = μ + W z_c + √d ε_c. */
export interface LatentSimulation {
  counts: Float64Array;
  C: number;
  G: number;
  mu: number[];
  W: number[];
  d: number[];
  /** Latent values x [C, n]. */
  x: Float64Array;
}

/** Latent Gaussian draws x [C, n] with rank-2 W ~ N(0, wScale²), d constant. */
function latent(C: number, n: number, R: ReturnType<typeof rng>, mu: number[], wScale: number, dVal: number) {
  const W = Array.from({ length: n * 2 }, () => wScale * R.normal());
  const d = new Array<number>(n).fill(dVal);
  const x = new Float64Array(C * n);
  for (let c = 0; c < C; c++) {
    const z0 = R.normal();
    const z1 = R.normal();
    for (let g = 0; g < n; g++)
      x[c * n + g] = mu[g]! + W[g * 2]! * z0 + W[g * 2 + 1]! * z1 + Math.sqrt(dVal) * R.normal();
  }
  return { W, d, x };
}

/** PLN: u_cg ~ Poisson(exp(x_cg)), μ_g ~ U(0.5, 2.5), W ~ N(0, 0.5²), d = 0.05. */
export function simulatePln(C: number, G: number, seed: number): LatentSimulation {
  const R = rng(seed);
  const mu = Array.from({ length: G }, () => 0.5 + 2 * R.u());
  const { W, d, x } = latent(C, G, R, mu, 0.5, 0.05);
  const counts = Float64Array.from(x, (v) => R.poisson(Math.exp(v)));
  return { counts, C, G, mu, W, d, x };
}

/** NBLN: u_cg ~ NB(mean exp(x_cg), size r_g) as a Gamma–Poisson mixture; r_g given. */
export function simulateNbln(C: number, G: number, seed: number, r: number[]): LatentSimulation {
  const R = rng(seed);
  const mu = Array.from({ length: G }, () => 1 + 2 * R.u());
  const { W, d, x } = latent(C, G, R, mu, 0.4, 0.05);
  const counts = Float64Array.from(x, (v, i) => {
    const rg = r[i % G]!;
    return R.poisson((R.gamma(rg) / rg) * Math.exp(v));
  });
  return { counts, C, G, mu, W, d, x };
}

/**
 * LNM: ALR coordinates y_c ∈ ℝ^{G−1} (reference = the last gene) from the latent Gaussian,
 * ρ_c = softmax([y_c, 0]), totals N_c ~ Poisson(meanTotal), counts ~ Multinomial(N_c, ρ_c)
 * drawn as independent Poissons conditioned on their sum (equivalently: Poisson(N_c ρ_cg)
 * counts with a Poisson total; the multinomial is the conditional law given the total).
 */
export function simulateLnm(C: number, G: number, seed: number, meanTotal: number): LatentSimulation {
  const R = rng(seed);
  const n = G - 1;
  const mu = Array.from({ length: n }, () => -0.5 + 1.5 * R.u());
  const { W, d, x } = latent(C, n, R, mu, 0.4, 0.05);
  const counts = new Float64Array(C * G);
  for (let c = 0; c < C; c++) {
    const logits = [...Array.from({ length: n }, (_, g) => x[c * n + g]!), 0];
    const m = Math.max(...logits);
    const w = logits.map((v) => Math.exp(v - m));
    const s = w.reduce((a, b) => a + b, 0);
    for (let g = 0; g < G; g++) counts[c * G + g] = R.poisson((meanTotal * w[g]!) / s);
  }
  return { counts, C, G, mu, W, d, x };
}
