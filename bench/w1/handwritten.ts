import { specialScalar } from "@scribe/core";
import type { W1Data } from "./data.js";

/**
 * Hand-written single-loop baselines for W1: value and all three gradients in one pass.
 * They use the library's scalar lgamma/digamma, so the comparison isolates the engine.
 */
export interface W1Result {
  value: number;
  gLogMu: Float64Array;
  gLogTheta: Float64Array;
  gLogLib: Float64Array;
}

/** Straightforward float64 loop: lgamma and digamma at every element. */
export function w1Straightforward(d: W1Data): W1Result {
  const { N, G, y } = d;
  const { lgamma, digamma } = specialScalar;
  const gLogMu = new Float64Array(G);
  const gLogTheta = new Float64Array(G);
  const gLogLib = new Float64Array(N);
  const theta = Float64Array.from(d.logTheta, Math.exp);
  const lgTheta = Float64Array.from(theta, lgamma);
  const dgTheta = Float64Array.from(theta, digamma);
  let value = 0;
  for (let c = 0; c < N; c++) {
    let gl = 0;
    for (let g = 0; g < G; g++) {
      const k = y[c * G + g]!;
      const th = theta[g]!;
      const mu = Math.exp(d.logLib[c]! + d.logMu[g]!);
      const lt = Math.log(th + mu);
      value +=
        lgamma(k + th) - lgTheta[g]! - lgamma(k + 1) + th * (Math.log(th) - lt) + k * (Math.log(mu) - lt);
      const dmu = k - ((k + th) * mu) / (th + mu); // ∂/∂ log μ
      gLogMu[g]! += dmu;
      gl += dmu;
      gLogTheta[g]! += th * (digamma(k + th) - dgTheta[g]! + Math.log(th) - lt + 1 - (k + th) / (th + mu));
    }
    gLogLib[c] = gl;
  }
  return { value, gLogMu, gLogTheta, gLogLib };
}

/** Count-aware loop: zero fast path, sums/products for small counts, a log-factorial table. */
export function w1CountAware(d: W1Data): W1Result {
  const { N, G, y } = d;
  const { lgamma, digamma } = specialScalar;
  const gLogMu = new Float64Array(G);
  const gLogTheta = new Float64Array(G);
  const gLogLib = new Float64Array(N);
  const theta = Float64Array.from(d.logTheta, Math.exp);
  const lgTheta = Float64Array.from(theta, lgamma);
  const dgTheta = Float64Array.from(theta, digamma);
  const lfact = new Float64Array(1024);
  for (let i = 2; i < 1024; i++) lfact[i] = lfact[i - 1]! + Math.log(i);
  const muG = Float64Array.from(d.logMu, Math.exp);
  let value = 0;
  for (let c = 0; c < N; c++) {
    const lib = Math.exp(d.logLib[c]!);
    let gl = 0;
    const row = c * G;
    for (let g = 0; g < G; g++) {
      const k = y[row + g]!;
      const th = theta[g]!;
      const mu = lib * muG[g]!;
      const r = mu / th;
      const l1 = Math.log1p(r);
      if (k === 0) {
        value -= th * l1;
        const dmu = -mu / (1 + r); // ∂/∂ log μ
        gLogMu[g]! += dmu;
        gl += dmu;
        gLogTheta[g]! += th * (-l1 + r / (1 + r));
        continue;
      }
      let lgd: number;
      let dgd: number;
      if (k < 16) {
        let prod = 1;
        dgd = 0;
        for (let j = 0; j < k; j++) {
          prod *= th + j;
          dgd += 1 / (th + j);
        }
        lgd = Math.log(prod);
      } else {
        lgd = lgamma(k + th) - lgTheta[g]!;
        dgd = digamma(k + th) - dgTheta[g]!;
      }
      const lf = k < 1024 ? lfact[k]! : lgamma(k + 1);
      const lmu = Math.log(th / mu + 1);
      value += lgd - lf - th * l1 - k * lmu;
      const dmu = (th * (k - mu)) / (th + mu);
      gLogMu[g]! += dmu;
      gl += dmu;
      gLogTheta[g]! += th * (dgd - l1 + (mu - k) / (th + mu));
    }
    gLogLib[c] = gl;
  }
  return { value, gLogMu, gLogTheta, gLogLib };
}

/**
 * The bar for W1 (issue 13): a tuned single loop, the fastest plain JavaScript we know for this
 * workload. Per gene, θ, log θ, μ_g, lgamma(θ) and ψ(θ) are computed once; per cell, the library
 * size; per element, μ = exp(logLib)·exp(logMu) and one log, log(θ + μ), serve the value and
 * both gradients (log μ is logLib + logMu, free). Zero counts take the fast path; counts below
 * 16 take lgamma(y+θ) − lgamma(θ) as log Π(θ+k) and ψ(y+θ) − ψ(θ) as Σ 1/(θ+k); log y! comes
 * from a table. Gradients are in the log-parameters, as valueAndGrad returns them.
 */
export function w1Tuned(d: W1Data): W1Result {
  const { N, G, y, logLib, logMu } = d;
  const { lgamma, digamma } = specialScalar;
  const gLogMu = new Float64Array(G);
  const gLogTheta = new Float64Array(G);
  const gLogLib = new Float64Array(N);
  const theta = Float64Array.from(d.logTheta, Math.exp);
  const logTheta = Float64Array.from(d.logTheta);
  const muG = Float64Array.from(logMu, Math.exp);
  const lgTheta = Float64Array.from(theta, lgamma);
  const dgTheta = Float64Array.from(theta, digamma);
  const lfact = Float64Array.from({ length: 1024 }, (_, i) => (i < 2 ? 0 : lgamma(i + 1)));
  let value = 0;
  for (let c = 0; c < N; c++) {
    const lib = Math.exp(logLib[c]!);
    const ll = logLib[c]!;
    const row = c * G;
    let gl = 0;
    for (let g = 0; g < G; g++) {
      const k = y[row + g]!;
      const th = theta[g]!;
      const mu = lib * muG[g]!;
      const inv = 1 / (th + mu);
      const lt = Math.log(th + mu);
      const a = logTheta[g]! - lt; // log(θ/(θ+μ))
      if (k === 0) {
        value += th * a;
        const dmu = -th * mu * inv;
        gLogMu[g]! += dmu;
        gl += dmu;
        gLogTheta[g]! += th * (a + mu * inv);
        continue;
      }
      let lgd: number;
      let dgd: number;
      if (k < 16) {
        let prod = th;
        dgd = 1 / th;
        for (let j = 1; j < k; j++) {
          const t = th + j;
          prod *= t;
          dgd += 1 / t;
        }
        lgd = Math.log(prod);
      } else {
        lgd = lgamma(k + th) - lgTheta[g]!;
        dgd = digamma(k + th) - dgTheta[g]!;
      }
      const lf = k < 1024 ? lfact[k]! : lgamma(k + 1);
      value += lgd - lf + th * a + k * (ll + logMu[g]! - lt);
      const dmu = th * (k - mu) * inv;
      gLogMu[g]! += dmu;
      gl += dmu;
      gLogTheta[g]! += th * (dgd + a + (mu - k) * inv);
    }
    gLogLib[c] = gl;
  }
  return { value, gLogMu, gLogTheta, gLogLib };
}
