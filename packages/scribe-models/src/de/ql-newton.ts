/**
 * Newton maximisation of the scaled-F likelihood of QL dispersions,
 * s²_g/s0²_g ~ F(d, d0) with log s0²_g = B_g·a and ℓ = log d0, with analytic gradient
 * and Hessian (derived in the comments below). Used by ql-shrinkage.ts; a much
 * faster, more precise replacement for Nelder–Mead on the same objective.
 * @module
 */
import { solve } from "./linalg.js";
import { digammaShiftDiff, lgamma, trigammaShiftDiff } from "./special.js";
import { lgammaRatioLog } from "./stat-dist.js";

/** Maximum log d0 (d0 ≈ 1.6e7); reaching it means "no extra spread" (d0 = ∞). */
export const LOG_D0_MAX = Math.log(1e7);

/**
 * Negative log-likelihood and (optionally) its gradient/Hessian in (a, ℓ).
 * Per gene, with A = d/2, b = d0/2, L = B·a, x = s² e^{−L}, u = A x/b, q = u/(1+u):
 *   nll = −A log A − (A−1) log x + lgamma(A) − D(A,b) + (A+b) log1p(u) + L,
 *   D(A,b) = lgamma(A+b) − lgamma(b) − A log b;
 *   ∂/∂L = A − (A+b) q,  ∂²/∂L² = (A+b) q(1−q);
 *   ∂/∂b = −[ψ(A+b) − ψ(b) − A/b] + log1p(u) − (A+b) q/b;
 *   ∂²/∂b² = −[ψ'(A+b) − ψ'(b)] − A/b² − 2q/b + (A+b) q(2−q)/b²;
 *   ∂²/∂L∂b = −q + (A+b) q(1−q)/b;  chain rule to ℓ = log(2b).
 */
export function qlObjective(
  ls2: Float64Array,
  B: Float64Array,
  K: number,
  d: number,
  par: Float64Array,
  grad?: Float64Array,
  hess?: Float64Array,
): number {
  const N = ls2.length;
  const A = d / 2;
  const ell = par[K]!;
  const b = Math.exp(ell) / 2;
  const inf = ell >= LOG_D0_MAX + 20;
  const D = lgammaRatioLog(A, b);
  const constPart = -A * Math.log(A) + lgamma(A) - D;
  const dpsi = digammaShiftDiff(b, A) - A / b;
  const dtri = trigammaShiftDiff(b, A);
  let nll = 0;
  if (grad) grad.fill(0);
  if (hess) hess.fill(0);
  const P = K + 1;
  for (let g = 0; g < N; g++) {
    let L = 0;
    for (let j = 0; j < K; j++) L += B[g * K + j]! * par[j]!;
    const lx = ls2[g]! - L;
    const x = Math.exp(lx);
    const u = (A * x) / b;
    const l1p = Math.log1p(u);
    nll += constPart - (A - 1) * lx + (inf ? A * x : (A + b) * l1p) + L;
    if (!grad) continue;
    const q = u / (1 + u);
    const gL = A - (A + b) * q;
    const gb = -dpsi + l1p - ((A + b) * q) / b;
    const hLL = (A + b) * q * (1 - q);
    const hLb = -q + ((A + b) * q * (1 - q)) / b;
    const hbb = -dtri - A / (b * b) - (2 * q) / b + ((A + b) * q * (2 - q)) / (b * b);
    const gl = b * gb;
    const hll = b * gb + b * b * hbb;
    const hLl = b * hLb;
    for (let j = 0; j < K; j++) {
      const bj = B[g * K + j]!;
      grad[j] = grad[j]! + bj * gL;
      if (hess) {
        for (let k = 0; k <= j; k++) hess[j * P + k] = hess[j * P + k]! + bj * B[g * K + k]! * hLL;
        hess[K * P + j] = hess[K * P + j]! + bj * hLl;
      }
    }
    grad[K] = grad[K]! + gl;
    if (hess) hess[K * P + K] = hess[K * P + K]! + hll;
  }
  if (hess) for (let j = 0; j < P; j++) for (let k = j + 1; k < P; k++) hess[j * P + k] = hess[k * P + j]!;
  return nll;
}

/**
 * Minimise {@link qlObjective} by damped Newton (Levenberg-style diagonal shift when
 * the Hessian is not positive definite, backtracking on the objective), ℓ capped at
 * {@link LOG_D0_MAX}. Returns the parameters or null when it fails to converge.
 */
export function qlNewton(
  ls2: Float64Array,
  B: Float64Array,
  K: number,
  d: number,
  start: Float64Array,
): Float64Array | null {
  const P = K + 1;
  const par = Float64Array.from(start);
  const grad = new Float64Array(P);
  const hess = new Float64Array(P * P);
  let f = qlObjective(ls2, B, K, d, par, grad, hess);
  const trial = new Float64Array(P);
  for (let it = 0; it < 200; it++) {
    let step: Float64Array | null = null;
    let damp = 0;
    for (let k = 0; k < 30 && step === null; k++) {
      const H = Float64Array.from(hess);
      let scale = 0;
      for (let j = 0; j < P; j++) scale = Math.max(scale, Math.abs(H[j * P + j]!));
      for (let j = 0; j < P; j++) H[j * P + j] = H[j * P + j]! + damp;
      const s = solve(H, grad, P);
      let descent = 0;
      if (s) for (let j = 0; j < P; j++) descent += s[j]! * grad[j]!;
      if (s && descent > 0 && s.every(Number.isFinite)) step = s;
      else damp = damp === 0 ? 1e-6 * (scale + 1) : damp * 10;
    }
    if (step === null) return null;
    let t = 1;
    let maxStep = 0;
    for (let j = 0; j < P; j++) maxStep = Math.max(maxStep, Math.abs(step[j]!));
    if (maxStep > 5) t = 5 / maxStep;
    let accepted = false;
    let fNew = f;
    for (let k = 0; k < 50; k++) {
      for (let j = 0; j < P; j++) trial[j] = par[j]! - t * step[j]!;
      if (trial[K]! > LOG_D0_MAX) trial[K] = LOG_D0_MAX;
      fNew = qlObjective(ls2, B, K, d, trial);
      if (fNew <= f + 1e-12 * Math.abs(f)) {
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
    let moved = 0;
    for (let j = 0; j < P; j++) moved = Math.max(moved, Math.abs(trial[j]! - par[j]!));
    par.set(trial);
    const improvement = f - fNew;
    f = qlObjective(ls2, B, K, d, par, grad, hess);
    if (moved < 1e-10 || improvement < 1e-12 * (Math.abs(f) + 1e-12)) return par;
    if (par[K] === LOG_D0_MAX && grad[K]! < 0) {
      // pinned at the cap and still pushing outwards: fine, continue on the others
    }
  }
  let gmax = 0;
  for (let j = 0; j < P; j++)
    gmax = Math.max(gmax, j === K && par[K] === LOG_D0_MAX ? 0 : Math.abs(grad[j]!));
  return gmax < 1e-4 * (1 + ls2.length) ? par : null;
}
