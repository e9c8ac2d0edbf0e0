/**
 * Size factors (per-sample normalisation constants) as in glmGamPoi size factors:
 * `normed_sum` (column sums), `ratio` (median of ratios), `poscounts` (glmGamPoi
 * flavour) or user-given; all rescaled to geometric mean 1.
 * @module
 */
import type { CountMatrix } from "./counts.js";

/** Size-factor method names, or explicit per-sample factors. */
export type SizeFactorMethod = "normed_sum" | "ratio" | "poscounts";

function median(v: number[]): number {
  if (v.length === 0) return Number.NaN;
  v.sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 === 1 ? v[h]! : 0.5 * (v[h - 1]! + v[h]!);
}

function sampleName(counts: CountMatrix, i: number): string {
  return counts.samples?.[i] !== undefined ? `'${counts.samples[i]}' (sample ${i})` : `sample ${i}`;
}

/**
 * Estimate size factors. Errors name the sample when a column is all zero (its
 * total is 0) or, for `ratio`, when no gene is positive in every sample.
 * Given factors are validated (finite, positive, one per sample) and rescaled to
 * geometric mean 1 (fold changes are invariant to this).
 * @example
 * ```ts
 * const s = estimateSizeFactors({ data: new Float64Array([1, 2, 3, 6]), nGenes: 2, nSamples: 2 }, "normed_sum");
 * // column sums 4 and 8 → s = [1/√2, √2]
 * ```
 */
export function estimateSizeFactors(
  counts: CountMatrix,
  method: SizeFactorMethod | ArrayLike<number> = "normed_sum",
): Float64Array {
  const { data, nGenes: G, nSamples: n } = counts;
  const colSum = new Float64Array(n);
  for (let g = 0; g < G; g++) for (let i = 0; i < n; i++) colSum[i] = colSum[i]! + data[g * n + i]!;
  for (let i = 0; i < n; i++) {
    if (colSum[i] === 0) {
      throw new Error(
        `size factors: ${sampleName(counts, i)} has zero total count; remove the sample before fitting`,
      );
    }
  }
  let s: Float64Array;
  if (typeof method !== "string") {
    if (method.length !== n) throw new Error(`size factors: got ${method.length} values for ${n} samples`);
    s = Float64Array.from(method);
    for (let i = 0; i < n; i++) {
      if (!(s[i]! > 0) || !Number.isFinite(s[i]!)) {
        throw new Error(
          `size factors: value ${s[i]} for ${sampleName(counts, i)} must be finite and positive`,
        );
      }
    }
  } else if (method === "normed_sum") {
    s = colSum;
  } else if (method === "ratio" || method === "poscounts") {
    s = new Float64Array(n);
    const lgm = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const y = data[g * n + i]!;
        acc += method === "ratio" ? Math.log(y) : Math.log(y + 0.5);
      }
      lgm[g] = acc / n;
    }
    let usable = 0;
    for (let g = 0; g < G; g++) if (Number.isFinite(lgm[g]!)) usable++;
    if (usable === 0) {
      throw new Error(
        "size factors: 'ratio' needs at least one gene with positive counts in every sample; use 'poscounts' or 'normed_sum'",
      );
    }
    for (let i = 0; i < n; i++) {
      const r: number[] = [];
      for (let g = 0; g < G; g++) {
        const y = data[g * n + i]!;
        if (y > 0 && Number.isFinite(lgm[g]!)) r.push(Math.log(y) - lgm[g]!);
      }
      s[i] = Math.exp(median(r));
    }
  } else {
    throw new Error(
      `size factors: unknown method '${method as string}' (use normed_sum, ratio, poscounts or a vector)`,
    );
  }
  if (G === 1 && typeof method === "string") return new Float64Array(n).fill(1);
  let lmean = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (s[i]! > 0 && Number.isFinite(s[i]!)) {
      lmean += Math.log(s[i]!);
      k++;
    }
  }
  const gm = Math.exp(lmean / k);
  for (let i = 0; i < n; i++) {
    if (!(s[i]! > 0) || !Number.isFinite(s[i]!)) {
      throw new Error(
        `size factors: ${sampleName(counts, i)} gets a non-positive '${String(method)}' factor; remove it or use 'normed_sum'`,
      );
    }
    s[i] = s[i]! / gm;
  }
  return s;
}
