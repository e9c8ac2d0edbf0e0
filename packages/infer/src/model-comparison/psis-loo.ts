/**
 * PSIS-LOO: leave-one-out cross-validation by Pareto-smoothed importance sampling (Vehtari,
 * Gelman and Gabry, Statistics and Computing 27, 2017; Vehtari, Simpson, Gelman, Yao and
 * Gabry, JMLR 25, 2024), agreeing with R `loo` 2.x on the same matrix.
 * @module
 */
import { type Estimate, estimate } from "./estimates.js";
import { column, type LogLikInput, logSumExp, toLogLikMatrix } from "./log-lik-matrix.js";
import { type PsisTruncation, psisSmooth } from "./psis.js";

/** Options of {@link psisLoo}. */
export interface PsisLooOptions {
  /**
   * Relative efficiency of the draws, one per observation or one for all (default 1, right
   * for independent draws such as SVI posterior samples; MCMC: {@link relativeEff}).
   */
  rEff?: number | ArrayLike<number>;
  /** Truncation rule of the smoothed weights (default `"max-raw"`, as `loo`). */
  truncation?: PsisTruncation;
}

/** One row of the Pareto k̂ diagnostic table. */
export interface ParetoKRow {
  /** Label, e.g. `"(-Inf, 0.67]  (good)"`. */
  readonly range: string;
  /** Number of observations in the range. */
  readonly count: number;
  /** Their share of all observations. */
  readonly fraction: number;
  /** Smallest PSIS effective sample size among them (NaN when none). */
  readonly minNEff: number;
}

/** PSIS-LOO estimates, pointwise values and diagnostics. */
export interface PsisLooResult {
  /** Expected log pointwise predictive density, Σ_i elpd_loo,i, and its SE. */
  readonly elpdLoo: Estimate;
  /** Effective number of parameters lpd − elpd_loo and its SE. */
  readonly pLoo: Estimate;
  /** −2·elpd_loo and its SE. */
  readonly looic: Estimate;
  /** Per observation: elpd_loo, p_loo, looic, k̂ and the PSIS effective sample size. */
  readonly pointwise: {
    readonly elpdLoo: Float64Array;
    readonly pLoo: Float64Array;
    readonly looic: Float64Array;
    readonly paretoK: Float64Array;
    readonly nEff: Float64Array;
  };
  /** The sample-size-dependent k̂ threshold min(1 − 1/log10 S, 0.7) (JMLR 2024, §3.2.3). */
  readonly kThreshold: number;
  /** Observations with k̂ above {@link kThreshold}: their estimates are unreliable. */
  readonly nBadK: number;
  /** Counts of k̂ in (−∞, threshold], (threshold, 1], (1, ∞). */
  readonly diagnostics: ParetoKRow[];
  /** Draws S and observations n. */
  readonly nDraws: number;
  readonly nObs: number;
}

/**
 * The k̂ above which PSIS is unreliable for S draws: min(1 − 1/log10 S, 0.7) (JMLR 2024,
 * §3.2.3; `loo` ≥ 2.7's `ps_khat_threshold`).
 * @example
 * paretoKThreshold(4000); // 0.7
 * paretoKThreshold(100); // 0.5
 */
export function paretoKThreshold(nDraws: number): number {
  return Math.min(1 - 1 / Math.log10(nDraws), 0.7);
}

/**
 * PSIS-LOO of a draws × observations log-likelihood matrix. Per observation i: log importance
 * ratios −ℓ_si are Pareto smoothed ({@link psisSmooth}, tail length
 * ⌈min(0.2 S, 3 √(S/r_eff))⌉), normalized, and elpd_loo,i = logΣ_s exp(ℓ_si + w̃_si);
 * p_loo,i = lpd_i − elpd_loo,i with lpd_i = log mean_s exp ℓ_si. SEs are √(n · var_i).
 * Agrees with R `loo::loo()` 2.x (its `mcse_elpd_loo`, drawn at random there, is not
 * reproduced).
 * @example
 * const res = psisLoo([[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9]]);
 * res.elpdLoo.estimate; // Σ_i elpd_loo,i
 */
export function psisLoo(ll: LogLikInput, opts: PsisLooOptions = {}): PsisLooResult {
  const m = toLogLikMatrix(ll, "psisLoo");
  const { nDraws: S, nObs: n } = m;
  const rEffAt = rEffGetter(opts.rEff, n);
  const elpd = new Float64Array(n);
  const p = new Float64Array(n);
  const ic = new Float64Array(n);
  const k = new Float64Array(n);
  const nEff = new Float64Array(n);
  const logS = Math.log(S);
  for (let i = 0; i < n; i++) {
    const li = column(m, i);
    const neg = li.map((v) => -v);
    const r = rEffAt(i);
    const { logWeights, k: ki } = psisSmooth(neg, r, opts.truncation ?? "max-raw");
    const lz = logSumExp(logWeights);
    const sum = new Float64Array(S);
    let w2 = 0;
    for (let s = 0; s < S; s++) {
      const lwn = logWeights[s]! - lz;
      sum[s] = li[s]! + lwn;
      w2 += Math.exp(2 * lwn);
    }
    elpd[i] = logSumExp(sum);
    p[i] = logSumExp(li) - logS - elpd[i]!;
    ic[i] = -2 * elpd[i]!;
    k[i] = ki;
    nEff[i] = (1 / w2) * r;
  }
  const kThreshold = paretoKThreshold(S);
  return {
    elpdLoo: estimate(elpd),
    pLoo: estimate(p),
    looic: estimate(ic),
    pointwise: { elpdLoo: elpd, pLoo: p, looic: ic, paretoK: k, nEff },
    kThreshold,
    nBadK: k.reduce((c, v) => c + (v > kThreshold ? 1 : 0), 0),
    diagnostics: paretoKTable(k, nEff, kThreshold),
    nDraws: S,
    nObs: n,
  };
}

function rEffGetter(rEff: number | ArrayLike<number> | undefined, n: number): (i: number) => number {
  const check = (v: number, where: string): number => {
    if (!(v > 0) || !Number.isFinite(v))
      throw new Error(`psisLoo: rEff${where} must be a positive finite number, got ${v}`);
    return v;
  };
  if (rEff === undefined) return () => 1;
  if (typeof rEff === "number") {
    const v = check(rEff, "");
    return () => v;
  }
  if (rEff.length !== n) throw new Error(`psisLoo: rEff has ${rEff.length} values for ${n} observations`);
  for (let i = 0; i < n; i++) check(rEff[i]!, `[${i}]`);
  return (i) => rEff[i]!;
}

/**
 * The Pareto k̂ diagnostic table: counts of k̂ in (−∞, t] (good), (t, 1] (bad) and (1, ∞)
 * (very bad) for the threshold t, with the smallest PSIS n_eff in each (as `loo` ≥ 2.7's
 * `pareto_k_table`).
 * @example
 * paretoKTable(new Float64Array([0.1, 0.8, 1.2]), new Float64Array([900, 50, 3]), 0.7).map((r) => r.count); // [1, 1, 1]
 */
export function paretoKTable(k: Float64Array, nEff: Float64Array, threshold: number): ParetoKRow[] {
  const t = threshold.toFixed(2);
  const bins: [string, (v: number) => boolean][] = [
    [`(-Inf, ${t}]  (good)`, (v) => v <= threshold],
    [`(${t}, 1]  (bad)`, (v) => v > threshold && v <= 1],
    ["(1, Inf)  (very bad)", (v) => v > 1],
  ];
  return bins.map(([range, inBin]) => {
    let count = 0;
    let minNEff = Number.NaN;
    for (let i = 0; i < k.length; i++)
      if (inBin(k[i]!)) {
        count++;
        if (!(nEff[i]! >= minNEff)) minNEff = nEff[i]!;
      }
    return { range, count, fraction: count / k.length, minNEff };
  });
}

/**
 * The diagnostic table as text, one row per k̂ range.
 * @example
 * const ll = [[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9], [-1.3, -0.8, -2.1]];
 * console.log(formatParetoKTable(psisLoo(ll)));
 */
export function formatParetoKTable(
  res: Pick<PsisLooResult, "diagnostics" | "nDraws" | "kThreshold">,
): string {
  const lines = [
    `Pareto k diagnostic (S = ${res.nDraws}, threshold ${res.kThreshold.toFixed(2)}):`,
    "  range                      count   pct   min n_eff",
  ];
  for (const r of res.diagnostics)
    lines.push(
      `  ${r.range.padEnd(26)} ${String(r.count).padStart(5)} ${(100 * r.fraction).toFixed(1).padStart(5)}%  ${Number.isNaN(r.minNEff) ? "-" : r.minNEff.toFixed(0)}`,
    );
  return lines.join("\n");
}
