/**
 * A posterior summary table: mean, sd, median, HPDI bounds, bulk and tail ESS and R-hat
 * for every scalar component of every site.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { Chains } from "./chains.js";
import { meanVar, pool } from "./chains.js";
import { bulkEss, SPLIT_ESS_MIN_DRAWS, tailEss } from "./ess.js";
import { rankNormalizedSplitRhat } from "./rhat.js";
import { hpdi, quantile } from "./stats.js";

/** One row of the summary: statistics of one scalar quantity. */
export interface SummaryRow {
  /** Site name with the component index, e.g. `theta[3]`. */
  name: string;
  mean: number;
  sd: number;
  median: number;
  /** Lower bound of the `prob` HPDI (5 % for the default 0.9, as NumPyro). */
  hpdiLow: number;
  /** Upper bound of the `prob` HPDI. */
  hpdiHigh: number;
  /** Bulk effective sample size. */
  nEff: number;
  /** Tail effective sample size. */
  essTail: number;
  /** Rank-normalized split R-hat. */
  rHat: number;
}

/**
 * Draws of named sites by chain: `draws[chain]` is a Float64Array of `numDraws × size`
 * (row-major; each draw's components consecutive), `shape` the shape of one draw.
 */
export interface SiteDraws {
  readonly name: string;
  readonly shape: readonly number[];
  readonly chains: readonly Float64Array[];
}

function componentName(name: string, shape: readonly number[], j: number): string {
  if (shape.length === 0) return name;
  const idx: number[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(j % shape[a]!);
    j = Math.floor(j / shape[a]!);
  }
  return `${name}[${idx.join(",")}]`;
}

/** Statistics of one scalar quantity given its chains. */
export function summarizeChains(name: string, chains: Chains, prob = 0.9): SummaryRow {
  const all = pool(chains);
  const [mean, v] = meanVar(all);
  const [lo, hi] = hpdi(all, prob);
  const n = chains[0]!.length;
  // Too few draws for an estimate gives NaN (as NumPyro's table), not an error.
  const ess = n >= SPLIT_ESS_MIN_DRAWS;
  return {
    name,
    mean,
    sd: Math.sqrt(v),
    median: quantile(all, 0.5),
    hpdiLow: lo,
    hpdiHigh: hi,
    nEff: ess ? bulkEss(chains) : Number.NaN,
    essTail: ess ? tailEss(chains) : Number.NaN,
    rHat: n >= 4 ? rankNormalizedSplitRhat(chains) : Number.NaN,
  };
}

/**
 * Summary rows for every component of every site.
 * @example
 * const chains = await Promise.all([0, 1].map(async (c) => Float64Array.from(await random.normal(key(c), [500]).data())));
 * const rows = summary([{ name: "mu", shape: [], chains }]); // or summary(mcmc.getSiteDraws())
 * rows[0]; // { name: "mu", mean: ≈ 0, sd: ≈ 1, ..., rHat: ≈ 1 }
 */
export function summary(sites: readonly SiteDraws[], prob = 0.9): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const s of sites) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    for (let j = 0; j < size; j++) {
      const chains = s.chains.map((c) => {
        const n = c.length / size;
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = c[i * size + j]!;
        return out;
      });
      rows.push(summarizeChains(componentName(s.name, s.shape, j), chains, prob));
    }
  }
  return rows;
}

/**
 * Summary rows of sample tensors (NumPyro's `summary(samples, prob, group_by_chain)`): each
 * tensor is `[numChains, numDraws, ...site]` with `groupByChain` (default true), or
 * `[numDraws, ...site]` as one chain. Each tensor is read with one `await`, so this works on
 * every backend (e.g. on `mcmc.getSamples(true)` from a WebGPU run, or Predictive draws).
 * @example
 * const draws = { x: random.normal(key(0), [2, 400, 3]) };
 * const rows = await summarizeSamples(draws);
 * rows.map((r) => r.name); // ["x[0]", "x[1]", "x[2]"]
 */
export async function summarizeSamples(
  samples: Readonly<Record<string, Tensor>>,
  opts: { prob?: number; groupByChain?: boolean } = {},
): Promise<SummaryRow[]> {
  const grouped = opts.groupByChain ?? true;
  const sites: SiteDraws[] = [];
  for (const [name, t] of Object.entries(samples)) {
    const lead = grouped ? 2 : 1;
    if (t.shape.length < lead)
      throw new Error(
        `summarizeSamples: site '${name}' has shape [${t.shape.join(", ")}]; expected ${grouped ? "[numChains, numDraws, ...]" : "[numDraws, ...]"}`,
      );
    const chains = grouped ? t.shape[0]! : 1;
    const values = Float64Array.from(await t.data());
    const perChain = values.length / chains;
    sites.push({
      name,
      shape: t.shape.slice(lead),
      chains: Array.from({ length: chains }, (_, c) => values.subarray(c * perChain, (c + 1) * perChain)),
    });
  }
  return summary(sites, opts.prob ?? 0.9);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return x.toFixed(2);
}

/**
 * The summary as a fixed-width text table (NumPyro's layout: mean, std, median, HPDI
 * bounds, n_eff, r_hat), with an extra ess_tail column.
 */
export function formatSummary(rows: readonly SummaryRow[], prob = 0.9): string {
  const lo = `${((100 * (1 - prob)) / 2).toFixed(1)}%`;
  const hi = `${(100 - (100 * (1 - prob)) / 2).toFixed(1)}%`;
  const head = ["", "mean", "std", "median", lo, hi, "n_eff", "ess_tail", "r_hat"];
  const body = rows.map((r) => [
    r.name,
    fmt(r.mean),
    fmt(r.sd),
    fmt(r.median),
    fmt(r.hpdiLow),
    fmt(r.hpdiHigh),
    Number.isFinite(r.nEff) ? r.nEff.toFixed(1) : "nan",
    Number.isFinite(r.essTail) ? r.essTail.toFixed(1) : "nan",
    Number.isFinite(r.rHat) ? r.rHat.toFixed(2) : "nan",
  ]);
  const all = [head, ...body];
  const widths = head.map((_, k) => Math.max(...all.map((row) => row[k]!.length)));
  return all
    .map((row) => row.map((c, k) => (k === 0 ? c.padStart(widths[k]!) : c.padStart(widths[k]! + 2))).join(""))
    .join("\n");
}
