/**
 * Local false sign rates and the posterior expected false discovery proportion (SCRIBE
 * `scribe.de`, "common definitions"; Stephens, "False discovery rates: a new deal", Biostatistics 18,
 * 2017 for the lfsr).
 * @module
 */

/**
 * lfsr = 1 − max(P(Δ>0), P(Δ<0)) = min(P(Δ≥0), P(Δ≤0)). For a continuous posterior this is
 * upstream's min(P(Δ>0), 1 − P(Δ>0)); with an atom at 0 (the shrinkage prior's null
 * component) it counts the atom on both sides, as ash does.
 */
export function lfsrFrom(probPositive: ArrayLike<number>, probNegative: ArrayLike<number>): Float64Array {
  const out = new Float64Array(probPositive.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - Math.max(probPositive[i]!, probNegative[i]!);
  return out;
}

/** lfsr_τ = 1 − max(P(Δ>τ), P(Δ<−τ)): the posterior probability that the gene is not changed by more than τ in its likelier direction. */
export function lfsrTauFrom(probUp: ArrayLike<number>, probDown: ArrayLike<number>): Float64Array {
  const out = new Float64Array(probUp.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - Math.max(probUp[i]!, probDown[i]!);
  return out;
}

/**
 * Posterior expected false discovery proportion of the genes with lfsr < threshold: the mean
 * of their lfsr values (0 when none pass). NaN lfsr values never pass.
 * @example
 * pefp([0.01, 0.03, 0.2], 0.05); // 0.02
 */
export function pefp(lfsr: ArrayLike<number>, threshold: number): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < lfsr.length; i++) {
    const v = lfsr[i]!;
    if (v < threshold) {
      s += v;
      n++;
    }
  }
  return n === 0 ? 0 : s / n;
}

/**
 * The lfsr threshold whose calls (lfsr < threshold) have PEFP ≤ `targetPefp`: sort the lfsr
 * values, take the longest prefix whose running mean stays ≤ target (k genes), and return the
 * (k+1)-th smallest value, so that exactly that prefix passes the strict test (ties with it
 * are left out, which only lowers the PEFP). No passing gene gives 0; all genes passing give
 * the largest value plus a small ε.
 * @example
 * findThreshold([0.01, 0.02, 0.09, 0.5], 0.05); // 0.5 — calls the first three (PEFP 0.04)
 */
export function findThreshold(lfsr: ArrayLike<number>, targetPefp = 0.05): number {
  if (!(targetPefp >= 0 && targetPefp <= 1))
    throw new Error(`targetPefp must be in [0, 1], got ${targetPefp}`);
  const sorted = Float64Array.from(
    Array.prototype.filter.call(lfsr, (v: number) => !Number.isNaN(v)) as number[],
  ).sort();
  let s = 0;
  let k = 0;
  while (k < sorted.length && (s + sorted[k]!) / (k + 1) <= targetPefp) {
    s += sorted[k]!;
    k++;
  }
  if (k === 0) return 0;
  if (k === sorted.length) return sorted[k - 1]! + Math.max(1e-12, Math.abs(sorted[k - 1]!) * 1e-12);
  return sorted[k]!;
}
