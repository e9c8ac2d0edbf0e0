/**
 * Chain plumbing for the diagnostics: validation, splitting, pooling, rank normalization.
 * @module
 */
import { specialScalar } from "@scribe/core";

/** Draws of one scalar quantity: one Float64Array per chain, all of one length. */
export type Chains = readonly ArrayLike<number>[];

/** Check that chains are non-empty, equally long and finite; returns [chains, draws]. */
export function checkChains(chains: Chains, what: string, minDraws = 1): [m: number, n: number] {
  const m = chains.length;
  if (m === 0) throw new Error(`${what}: no chains`);
  const n = chains[0]!.length;
  for (let c = 0; c < m; c++) {
    const x = chains[c]!;
    if (x.length !== n)
      throw new Error(
        `${what}: chain ${c} has ${x.length} draws, chain 0 has ${n}; chains must be equally long`,
      );
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(x[i]!))
        throw new Error(`${what}: chain ${c}, draw ${i} is ${x[i]} (draws must be finite)`);
  }
  if (n < minDraws) throw new Error(`${what}: need at least ${minDraws} draws per chain, got ${n}`);
  return [m, n];
}

/** Split each chain into its first and second halves (dropping the middle draw of an odd length). */
export function splitChains(chains: Chains): Float64Array[] {
  const out: Float64Array[] = [];
  for (const x of chains) {
    const h = Math.floor(x.length / 2);
    const a = Float64Array.from({ length: h }, (_, i) => x[i]!);
    const b = Float64Array.from({ length: h }, (_, i) => x[x.length - h + i]!);
    out.push(a, b);
  }
  return out;
}

/** All draws of all chains in one array. */
export function pool(chains: Chains): Float64Array {
  const n = chains.reduce((s, x) => s + x.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const x of chains) for (let i = 0; i < x.length; i++) out[o++] = x[i]!;
  return out;
}

/** Ranks 1..N of the values (ties get their average rank). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]!]! === x[idx[i]!]!) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/**
 * Rank normalization (Vehtari et al. 2021, eq. 14): pooled ranks mapped through the
 * normal quantile function, `z = Φ⁻¹((r − 3/8)/(S + 1/4))`, back in the chains' layout.
 */
export function rankNormalize(chains: Chains): Float64Array[] {
  const all = pool(chains);
  const r = ranks(all);
  const s = all.length;
  const out: Float64Array[] = [];
  let o = 0;
  for (const x of chains) {
    const z = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) z[i] = specialScalar.ndtri((r[o++]! - 0.375) / (s + 0.25));
    out.push(z);
  }
  return out;
}

/** Mean and unbiased variance of one array. */
export function meanVar(x: ArrayLike<number>): [mean: number, variance: number] {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i]!;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - m) ** 2;
  return [m, n > 1 ? v / (n - 1) : 0];
}
