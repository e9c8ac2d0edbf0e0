/**
 * Ranking models by expected log predictive density, as R `loo::loo_compare()`.
 * @module
 */

/** What {@link looCompare} needs from each model: pointwise elpd (PSIS-LOO, WAIC, K-fold, …). */
export interface PointwiseElpd {
  /** Per-observation elpd; all models must have the same observations in the same order. */
  readonly elpd: ArrayLike<number>;
}

/** One row of {@link looCompare}'s table. */
export interface LooCompareRow {
  /** Model name. */
  readonly name: string;
  /** Index of the model in the input. */
  readonly index: number;
  /** Σ_i elpd_i and its SE √(n · var_i). */
  readonly elpd: number;
  readonly seElpd: number;
  /** elpd − elpd of the best model (≤ 0; 0 for the best). */
  readonly elpdDiff: number;
  /** √n · sd_i(elpd_i − elpd_best,i) (divisor n − 1); 0 for the best. */
  readonly seDiff: number;
}

/**
 * Order models by elpd, best first, with each one's difference from the best and that
 * difference's SE from the paired pointwise differences (Vehtari, Gelman and Gabry 2017,
 * §5.2). Ties keep the input order.
 * @example
 * const looA = psisLoo([[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9], [-1.3, -0.8, -2.1]]);
 * const looB = psisLoo([[-1.6, -1.1, -1.7], [-1.5, -1.2, -1.8], [-1.7, -1.0, -1.6], [-1.4, -1.3, -1.9]]);
 * const table = looCompare({ a: { elpd: looA.pointwise.elpdLoo }, b: { elpd: looB.pointwise.elpdLoo } });
 * table[0]!.name; // the model with the larger elpd
 */
export function looCompare(
  models: Readonly<Record<string, PointwiseElpd>> | readonly (PointwiseElpd & { name?: string })[],
): LooCompareRow[] {
  const entries: [string, PointwiseElpd][] = Array.isArray(models)
    ? (models as readonly (PointwiseElpd & { name?: string })[]).map((m, i) => [m.name ?? `model${i + 1}`, m])
    : Object.entries(models as Readonly<Record<string, PointwiseElpd>>);
  if (entries.length < 2) throw new Error(`looCompare: need at least 2 models, got ${entries.length}`);
  const n = entries[0]![1].elpd.length;
  for (const [name, m] of entries)
    if (m.elpd.length !== n)
      throw new Error(
        `looCompare: model '${name}' has ${m.elpd.length} observations, '${entries[0]![0]}' has ${n}`,
      );
  const totals = entries.map(([, m]) => sumOf(m.elpd));
  const order = entries.map((_, i) => i).sort((a, b) => totals[b]! - totals[a]! || a - b);
  const best = entries[order[0]!]![1].elpd;
  return order.map((idx) => {
    const e = entries[idx]![1].elpd;
    const d = Array.from({ length: n }, (_, i) => e[i]! - best[i]!);
    return {
      name: entries[idx]![0],
      index: idx,
      elpd: totals[idx]!,
      seElpd: Math.sqrt(n * sampleVar(e)),
      elpdDiff: sumOf(d),
      seDiff: Math.sqrt(n * sampleVar(d)),
    };
  });
}

function sumOf(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

function sampleVar(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  const mean = sumOf(x) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - mean) ** 2;
  return ss / (n - 1);
}
