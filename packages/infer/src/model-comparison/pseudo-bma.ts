/**
 * Pseudo-Bayesian model averaging (Yao, Vehtari, Simpson and Gelman, Bayesian Analysis 13,
 * 2018, §3.4): weights ∝ exp(elpd_k), and the pseudo-BMA+ version that averages them over a
 * Bayesian bootstrap of the observations to account for the uncertainty of elpd, as R
 * `loo::pseudobma_weights()`.
 * @module
 */
import { type Key, key as makeKey, random, scope, splitKey } from "@scribe/core";

/** Options of {@link pseudoBmaWeights}. */
export interface PseudoBmaOptions {
  /** Bayesian bootstrap (pseudo-BMA+, default true); false gives plain pseudo-BMA. */
  bayesianBootstrap?: boolean;
  /** Bootstrap replicates (default 1000, as `loo`). */
  nBootstrap?: number;
  /** Dirichlet concentration of the bootstrap weights (default 1). */
  alpha?: number;
  /** Seed or key of the bootstrap (default 0). */
  seed?: number | Key;
}

/** Replicates drawn per tensor read. */
const CHUNK = 100;

/**
 * Pseudo-BMA(+) weights from pointwise elpd `lpd[k][i]`. Plain: w ∝ exp(Σ_i lpd_ki). Plus:
 * for each bootstrap replicate b, Dirichlet(α, …, α) weights β over the n observations,
 * z_bk = n Σ_i β_i lpd_ki and w_b = softmax(z_b); the result is the mean of w_b. The
 * bootstrap is seeded (core Threefry gamma draws, read once per 100 replicates), so it
 * matches `loo` in distribution, not draw for draw.
 * @example
 * const looA = psisLoo([[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9], [-1.3, -0.8, -2.1]]);
 * const looB = psisLoo([[-1.6, -1.1, -1.7], [-1.5, -1.2, -1.8], [-1.7, -1.0, -1.6], [-1.4, -1.3, -1.9]]);
 * const w = await pseudoBmaWeights([looA.pointwise.elpdLoo, looB.pointwise.elpdLoo], { seed: 1 });
 */
export async function pseudoBmaWeights(
  lpd: readonly ArrayLike<number>[],
  opts: PseudoBmaOptions = {},
): Promise<Float64Array> {
  const K = lpd.length;
  if (K < 2) throw new Error(`pseudoBmaWeights: need at least 2 models, got ${K}`);
  const n = lpd[0]!.length;
  for (let k = 0; k < K; k++)
    if (lpd[k]!.length !== n)
      throw new Error(`pseudoBmaWeights: model ${k} has ${lpd[k]!.length} observations, model 0 has ${n}`);
  if (!(opts.bayesianBootstrap ?? true)) {
    const z = lpd.map((l) => Array.from(l).reduce((a, b) => a + b, 0));
    return softmax(Float64Array.from(z));
  }
  const B = opts.nBootstrap ?? 1000;
  const alpha = opts.alpha ?? 1;
  if (!Number.isInteger(B) || B < 1)
    throw new Error(`pseudoBmaWeights: nBootstrap must be a positive integer, got ${B}`);
  if (!(alpha > 0)) throw new Error(`pseudoBmaWeights: alpha must be positive, got ${alpha}`);
  let k = typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 0);
  const out = new Float64Array(K);
  for (let done = 0; done < B; done += CHUNK) {
    const b = Math.min(CHUNK, B - done);
    const [kNext, kDraw] = splitKey(k, 2) as [Key, Key];
    k = kNext;
    // float32 draws: the backend-neutral dtype (WebGPU has no float64)
    const gammas = scope(() => random.gamma(kDraw, alpha, [b, n]));
    const g = await gammas.data();
    gammas.dispose();
    for (let r = 0; r < b; r++) {
      let tot = 0;
      for (let i = 0; i < n; i++) tot += Number(g[r * n + i]);
      const z = new Float64Array(K);
      for (let m = 0; m < K; m++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += Number(g[r * n + i]) * lpd[m]![i]!;
        z[m] = (s / tot) * n;
      }
      const w = softmax(z);
      for (let m = 0; m < K; m++) out[m] = out[m]! + w[m]! / B;
    }
  }
  return out;
}

function softmax(z: Float64Array): Float64Array {
  let mx = Number.NEGATIVE_INFINITY;
  for (const v of z) mx = Math.max(mx, v);
  const w = z.map((v) => Math.exp(v - mx));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}
