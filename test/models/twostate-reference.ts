// Independent float64 reference for the TwoState tests (not a test file): the Poisson–Beta
// log-pmf in closed form, and the four forward maps of the SCRIBE two-state models written out in plain numbers.

/** log Γ(x), x > 0 (Lanczos, g = 7, 9 terms; ~1e−15 relative). */
export function lgamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const lbeta = (a: number, b: number) => lgamma(a) + lgamma(b) - lgamma(a + b);

/**
 * log P(u) of the Poisson–Beta compound, q ~ Beta(α, β), u | q ~ Poisson(λq), exactly:
 * P(u) = λᵘ/u! · B(α+u, β)/B(α, β) · ₁F₁(α+u; α+β+u; −λ), with Kummer's transformation
 * ₁F₁(a; b; −λ) = e^(−λ) ₁F₁(b−a; b; λ) so that the series has positive terms only (summed in
 * log space until the terms are negligible).
 */
export function poissonBetaLogPmf(u: number, alpha: number, beta: number, lambda: number): number {
  const b = alpha + beta + u;
  // log ₁F₁(β; b; λ) = log Σ_n (β)_n / (b)_n · λⁿ / n!
  let logTerm = 0;
  let m = 0;
  let s = 1; // Σ exp(logTerm − m)
  for (let n = 0; n < 1_000_000; n++) {
    logTerm += Math.log(((beta + n) * lambda) / ((b + n) * (n + 1)));
    if (logTerm > m) {
      s = s * Math.exp(m - logTerm) + 1;
      m = logTerm;
    } else s += Math.exp(logTerm - m);
    if (n > lambda && logTerm - m < -40) break;
  }
  const log1F1 = m + Math.log(s);
  const uLogLam = u === 0 ? 0 : u * Math.log(lambda);
  return uLogLam - lgamma(u + 1) + lbeta(alpha + u, beta) - lbeta(alpha, beta) - lambda + log1F1;
}

/** (α, β, r̂) of each parameterization without clamps (SCRIBE two-state models table). */
export function naturalMap(
  param: string,
  mu: number,
  x1: number,
  x2: number,
): { alpha: number; beta: number; rHat: number } {
  switch (param) {
    case "two_state_natural":
      return { alpha: mu / x1, beta: x2, rHat: mu + x1 * x2 };
    case "two_state_ratio": {
      const kOn = mu / x1;
      return { alpha: kOn, beta: x2 * kOn, rHat: mu * (1 + x2) };
    }
    case "two_state_mean_fano": {
      const D = mu + x1 * (x2 + 1);
      return { alpha: (x2 * mu) / D, beta: (x2 * x1 * (x2 + 1)) / D, rHat: D };
    }
    case "two_state_moment_delta": {
      const D = mu * x2 + x1;
      return { alpha: (mu * (1 - x2)) / D, beta: (x1 * (1 - x2)) / (x2 * D), rHat: D / x2 };
    }
  }
  throw new Error(param);
}

/** E[u] and Var[u] of the Poisson–Beta compound with rate λ = r̂ν (SCRIBE two-state models moment formula). */
export function moments(
  alpha: number,
  beta: number,
  rHat: number,
  nu = 1,
): { mean: number; variance: number } {
  const lam = rHat * nu;
  const s = alpha + beta;
  const mean = (lam * alpha) / s;
  return { mean, variance: mean + (lam * lam * alpha * beta) / (s * s * (s + 1)) };
}

/** Deterministic pseudo-random integers in [0, n) (LCG), for building small data sets. */
export function lcgInts(seed: number, count: number, n: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push((s >>> 8) % n);
  }
  return out;
}
