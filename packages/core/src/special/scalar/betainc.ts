/**
 * Regularized incomplete beta I_x(a, b) and its partial derivatives in a, b and x.
 *
 * Method (own implementation from the mathematics):
 * - prefactor xᵃ(1-x)ᵇ/B(a, b) in log space; for a, b ≥ 10 via Stirling's series written around
 *   the mode x₀ = a/(a+b): a·log1pmx(t₁) + b·log1pmx(t₂) + ½ log(ab/(a+b)) - ½ log 2π - ΔS, with
 *   t₁ = (x - x₀)/x₀, t₂ = (x₀ - x)/(1 - x₀) (the first-order terms a·t₁ + b·t₂ cancel exactly),
 *   so a = b = 1e5 keeps ~1e-13 relative accuracy;
 * - the classical continued fraction for I_x(a, b) (even/odd coefficients d_{2m}, d_{2m+1}),
 *   evaluated with the modified Lentz algorithm, on the side x < (a+1)/(a+b+2) and by the symmetry
 *   I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
 * - ∂I/∂a, ∂I/∂b: forward-mode (dual-number) differentiation of the same Lentz recurrence plus the
 *   analytic derivative of the log prefactor (ψ differences via `digammaShiftDiff`); 1e-8 relative
 *   stated, within 1e-12 of mpmath on the test points.
 */
import { betaln } from "./betaln.js";
import { HALF_LOG_2PI, lgamma1p, lgammaStirlingCorrection } from "./lgamma.js";
import { log1pmx } from "./log1p-expm1.js";
import { digammaShiftDiff, lgammaShiftDiff } from "./shift-diff.js";

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 1_000_000;

/** log(xᵃ (1-x)ᵇ / B(a, b)) for a, b > 0, 0 < x < 1 (see file header). */
export function betaLogPrefactor(a: number, b: number, x: number): number {
  if (a < 10 || b < 10) return a * Math.log(x) + b * Math.log1p(-x) - betaln(a, b);
  const s = a + b;
  const x0 = a / s;
  const d = x - x0;
  const t1 = (d * s) / a;
  const t2 = -(d * s) / b;
  const m1 = Math.abs(t1) < 0.5 ? log1pmx(t1) : Math.log(x) + Math.log1p(b / a) - t1;
  const m2 = Math.abs(t2) < 0.5 ? log1pmx(t2) : Math.log1p(-x) + Math.log1p(a / b) - t2;
  const ds = lgammaStirlingCorrection(a) + lgammaStirlingCorrection(b) - lgammaStirlingCorrection(s);
  return a * m1 + b * m2 + 0.5 * (Math.log(a) + Math.log(b) - Math.log(s)) - HALF_LOG_2PI - ds;
}

/**
 * log(xᵃ(1-x)ᵇ / (a·B(a, b))). For a < 1, a·B(a, b) = Γ(1+a)Γ(b)/Γ(a+b) is formed with lgamma1p
 * so that tiny a (1e-300) does not push a huge log B through exp.
 */
function logPrefactorOverA(a: number, b: number, x: number): number {
  if (a >= 1) return betaLogPrefactor(a, b, x) - Math.log(a);
  const logAB =
    b < 1
      ? lgamma1p(a) + lgamma1p(b) - lgamma1p(a + b) + Math.log1p(a / b)
      : lgamma1p(a) - lgammaShiftDiff(b, a);
  return a * Math.log(x) + b * Math.log1p(-x) - logAB;
}

/** ψ(a + b) - ψ(a + 1) for a, b > 0 (= ψ(a+b) - ψ(a) - 1/a without cancellation). */
function psiDiffPlusOne(a: number, b: number): number {
  if (b >= 1) return digammaShiftDiff(a + 1, b - 1);
  return -digammaShiftDiff(a + b, 1 - b);
}

/** I_x(a, b) on the CF side with ∂/∂a and ∂/∂b; returns [I, dI/da, dI/db]. */
function betaincCF(a: number, b: number, x: number, grads: boolean): [number, number, number] {
  const s = a + b;
  let d = 1 - (s * x) / (a + 1);
  let dda = (-x * (1 - b)) / ((a + 1) * (a + 1));
  let ddb = -x / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  dda = -dda * d * d;
  ddb = -ddb * d * d;
  let c = 1;
  let dca = 0;
  let dcb = 0;
  let h = d;
  let dha = dda;
  let dhb = ddb;
  for (let m = 1; m < MAX_ITER; m++) {
    let del = 1;
    const dhaPrev = dha;
    const dhbPrev = dhb;
    for (let odd = 0; odd < 2; odd++) {
      let aa: number;
      let daa: number;
      let dab: number;
      if (odd === 0) {
        const den = (a + 2 * m - 1) * (a + 2 * m);
        aa = (m * (b - m) * x) / den;
        daa = -aa * (1 / (a + 2 * m - 1) + 1 / (a + 2 * m));
        dab = (m * x) / den;
      } else {
        aa = (-(a + m) * (s + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
        daa = aa * (1 / (a + m) + 1 / (s + m) - 1 / (a + 2 * m) - 1 / (a + 2 * m + 1));
        dab = aa / (s + m);
      }
      let pre = 1 + aa * d;
      if (Math.abs(pre) < TINY) pre = TINY;
      let cn = 1 + aa / c;
      if (Math.abs(cn) < TINY) cn = TINY;
      if (grads) {
        const dprea = daa * d + aa * dda;
        const dpreb = dab * d + aa * ddb;
        const dcna = daa / c - (aa * dca) / (c * c);
        const dcnb = dab / c - (aa * dcb) / (c * c);
        const dn = 1 / pre;
        dda = -dprea * dn * dn;
        ddb = -dpreb * dn * dn;
        dca = dcna;
        dcb = dcnb;
        const e = dn * cn;
        dha = dha * e + h * (dda * cn + dn * dca);
        dhb = dhb * e + h * (ddb * cn + dn * dcb);
      }
      d = 1 / pre;
      c = cn;
      del = d * c;
      h *= del;
    }
    // With gradients, also wait for the derivatives: for integer b the fraction terminates
    // (d_{2m} = 0) while its parameter derivatives do not.
    const conv =
      !grads ||
      (Math.abs(dha - dhaPrev) <= 4 * EPS * Math.abs(dha) &&
        Math.abs(dhb - dhbPrev) <= 4 * EPS * Math.abs(dhb));
    if (Math.abs(del - 1) < EPS && conv) break;
  }
  const v = Math.exp(logPrefactorOverA(a, b, x)) * h;
  if (!grads) return [v, 0, 0];
  const ga = v * (Math.log(x) + psiDiffPlusOne(a, b) + dha / h);
  const gb = v * (Math.log1p(-x) + digammaShiftDiff(b, a) + dhb / h);
  return [v, ga, gb];
}

function betaincAll(a: number, b: number, x: number, grads: boolean): [number, number, number] {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(x) || a <= 0 || b <= 0 || x < 0 || x > 1) {
    return [Number.NaN, Number.NaN, Number.NaN];
  }
  if (x === 0) return [0, 0, 0];
  if (x === 1) return [1, 0, 0];
  if (x < (a + 1) / (a + b + 2)) return betaincCF(a, b, x, grads);
  const [j, jb, ja] = betaincCF(b, a, 1 - x, grads);
  return [1 - j, -ja, -jb];
}

/** Regularized incomplete beta I_x(a, b) for a, b > 0, 0 ≤ x ≤ 1 (NaN outside). */
export function betainc(a: number, b: number, x: number): number {
  const v = betaincAll(a, b, x, false)[0];
  return Math.min(1, Math.max(0, v));
}

/** ∂I_x(a, b)/∂a (dual-number continued fraction; 1e-8 relative stated, ≤ 1e-12 measured). 0 at x ∈ {0, 1}. */
export function betaincGradA(a: number, b: number, x: number): number {
  return betaincAll(a, b, x, true)[1];
}

/** ∂I_x(a, b)/∂b (dual-number continued fraction; 1e-8 relative stated, ≤ 1e-12 measured). 0 at x ∈ {0, 1}. */
export function betaincGradB(a: number, b: number, x: number): number {
  return betaincAll(a, b, x, true)[2];
}

/**
 * ∂I_x(a, b)/∂x = x^{a-1}(1-x)^{b-1}/B(a, b) (the Beta(a, b) density), computed in log space.
 * At x = 0 / 1 the density's limit (+Infinity, 1/B or 0); 0 outside [0, 1].
 */
export function betaincGradX(a: number, b: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(x) || a <= 0 || b <= 0) return Number.NaN;
  if (x < 0 || x > 1) return 0;
  if (x === 0) return a < 1 ? Number.POSITIVE_INFINITY : a === 1 ? Math.exp(-betaln(a, b)) : 0;
  if (x === 1) return b < 1 ? Number.POSITIVE_INFINITY : b === 1 ? Math.exp(-betaln(a, b)) : 0;
  return Math.exp(betaLogPrefactor(a, b, x) - Math.log(x) - Math.log1p(-x));
}
