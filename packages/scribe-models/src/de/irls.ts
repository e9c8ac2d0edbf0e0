/**
 * General-design coefficient fit by Fisher scoring (IRLS) with a deviance line
 * search (glmGamPoi coefficient fit, "general path").
 * @module
 */
import { geneDeviance } from "./deviance.js";
import { householderQR, qrSolve, solve } from "./linalg.js";

/** Output of {@link irlsFit}. */
export interface IrlsResult {
  /** Coefficients, genes × p (NaN where the fit failed). */
  beta: Float64Array;
  /** Fitted means, genes × samples. */
  mu: Float64Array;
  /** Iterations used per gene (−1 = failed). */
  iterations: Int32Array;
}

/**
 * Fit β_g for every gene with μ = exp(Xβ + o), NB overdispersion θ_g fixed.
 * Start: least squares of log(y/s + 1) on X (or `start`). Step: weighted least
 * squares with w = μ/(1 + θμ) and working residual (y − μ)/μ; the step is halved
 * until the deviance decreases and no mean grows more than 1e5-fold. Stops when
 * |ΔD|/(|D| + 0.1) < 1e-8 (≤ 1000 iterations); μ is clamped to [1e-50, 1e50].
 */
export function irlsFit(
  y: Float64Array,
  G: number,
  n: number,
  X: Float64Array,
  p: number,
  offsets: Float64Array,
  theta: Float64Array,
  start?: Float64Array,
): IrlsResult {
  const beta = new Float64Array(G * p);
  const muAll = new Float64Array(G * n);
  const iterations = new Int32Array(G);
  const qrX = householderQR(X, n, p);
  const z0 = new Float64Array(n);
  const b = new Float64Array(p);
  const bNew = new Float64Array(p);
  const mu = new Float64Array(n);
  const muNew = new Float64Array(n);
  const A = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  const s = Float64Array.from(offsets, Math.exp);
  const clamp = (e: number) => Math.min(Math.max(Math.exp(e), 1e-50), 1e50);
  const computeMu = (coef: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let eta = offsets[i]!;
      for (let j = 0; j < p; j++) eta += X[i * p + j]! * coef[j]!;
      out[i] = clamp(eta);
    }
  };
  for (let g = 0; g < G; g++) {
    const off = g * n;
    const th = theta[g]!;
    if (start?.subarray(g * p, (g + 1) * p).every(Number.isFinite)) {
      b.set(start.subarray(g * p, (g + 1) * p));
    } else {
      for (let i = 0; i < n; i++) z0[i] = Math.log(y[off + i]! / s[i]! + 1);
      b.set(qrSolve(qrX, z0));
    }
    computeMu(b, mu);
    let dev = geneDeviance(y, mu, off, n, th);
    let it = 0;
    let ok = false;
    for (; it < 1000; it++) {
      A.fill(0);
      rhs.fill(0);
      for (let i = 0; i < n; i++) {
        const m = mu[i]!;
        const d = 1 + th * m;
        const w = m / d;
        const r = (y[off + i]! - m) / d; // w · (y − μ)/μ
        for (let j = 0; j < p; j++) {
          const xj = X[i * p + j]!;
          rhs[j] = rhs[j]! + xj * r;
          for (let l = 0; l <= j; l++) A[j * p + l] = A[j * p + l]! + xj * w * X[i * p + l]!;
        }
      }
      for (let j = 0; j < p; j++) for (let l = j + 1; l < p; l++) A[j * p + l] = A[l * p + j]!;
      const delta = solve(A, rhs, p, 1e-300);
      if (delta === null) break;
      let factor = 1;
      let accepted = false;
      let devNew = dev;
      for (let h = 0; h < 100; h++) {
        for (let j = 0; j < p; j++) bNew[j] = b[j]! + factor * delta[j]!;
        computeMu(bNew, muNew);
        let maxRatio = 0;
        for (let i = 0; i < n; i++) maxRatio = Math.max(maxRatio, muNew[i]! / mu[i]!);
        devNew = geneDeviance(y, muNew, off, n, th);
        if (devNew <= dev && maxRatio < 1e5) {
          accepted = true;
          break;
        }
        if (Math.abs(devNew - dev) / (Math.abs(devNew) + 0.1) < 1e-8 && maxRatio < 1e5) break;
        factor /= 2;
      }
      if (!accepted) {
        // No decrease possible: converged if we are already at the optimum.
        ok = Math.abs(devNew - dev) / (Math.abs(devNew) + 0.1) < 1e-8;
        break;
      }
      b.set(bNew);
      mu.set(muNew);
      const conv = Math.abs(devNew - dev) / (Math.abs(devNew) + 0.1) < 1e-8;
      dev = devNew;
      if (conv) {
        ok = true;
        break;
      }
    }
    if (ok) {
      beta.set(b, g * p);
      muAll.set(mu, off);
      iterations[g] = it + 1;
    } else {
      beta.fill(Number.NaN, g * p, (g + 1) * p);
      muAll.fill(Number.NaN, off, off + n);
      iterations[g] = -1;
    }
  }
  return { beta, mu: muAll, iterations };
}
