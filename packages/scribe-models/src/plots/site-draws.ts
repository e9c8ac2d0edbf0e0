/**
 * MCMC draws as the plots read them: infer's `SiteDraws` (per site, one Float64Array per
 * chain, draws × components), from `mcmc.getSiteDraws()` or from tensors of draws (read with
 * `await`), expanded to one scalar series per component.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { diagnostics } from "@scribe/infer";

/** Draws of one site by chain (infer's `diagnostics.SiteDraws`). */
export type SiteDraws = diagnostics.SiteDraws;

/** One scalar quantity's chains. */
export interface ScalarChains {
  /** Name with the component index, e.g. `r[3]`. */
  name: string;
  /** One array of draws per chain. */
  chains: Float64Array[];
}

/** Options choosing which quantities an MCMC plot draws. */
export interface SiteSelection {
  /** Sites to draw (default: all). */
  sites?: readonly string[];
  /** Most components drawn per site (default 4: the first ones). */
  maxComponents?: number;
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

/** Expand sites to scalar series (the first `maxComponents` components of each selected site). */
export function scalarChains(
  draws: readonly SiteDraws[],
  sel: SiteSelection = {},
  where = "plot",
): ScalarChains[] {
  const wanted = sel.sites ? new Set(sel.sites) : null;
  if (wanted)
    for (const s of wanted)
      if (!draws.some((d) => d.name === s))
        throw new Error(
          `${where}: no site "${s}" in the draws (have ${draws.map((d) => d.name).join(", ")})`,
        );
  const out: ScalarChains[] = [];
  for (const s of draws) {
    if (wanted && !wanted.has(s.name)) continue;
    const size = s.shape.reduce((a, b) => a * b, 1);
    const take = Math.min(size, sel.maxComponents ?? 4);
    for (let j = 0; j < take; j++) {
      const chains = s.chains.map((c) => {
        const n = Math.floor(c.length / size);
        const x = new Float64Array(n);
        for (let i = 0; i < n; i++) x[i] = c[i * size + j]!;
        return x;
      });
      out.push({ name: componentName(s.name, s.shape, j), chains });
    }
  }
  if (out.length === 0) throw new Error(`${where}: no draws to plot`);
  return out;
}

/**
 * Site draws from tensors of draws with a leading draw axis [numChains·numDraws, …] (as
 * `results.mcmcSamples` or `mcmc.getSamples()`) or [numChains, numDraws, …] with
 * `grouped: true`. Reads each tensor once with `await`.
 */
export async function siteDrawsFromTensors(
  samples: Readonly<Record<string, Tensor>>,
  opts: { numChains?: number; grouped?: boolean } = {},
): Promise<SiteDraws[]> {
  const out: SiteDraws[] = [];
  for (const [name, t] of Object.entries(samples)) {
    const C = opts.grouped ? t.shape[0]! : (opts.numChains ?? 1);
    const lead = opts.grouped ? 2 : 1;
    const shape = t.shape.slice(lead);
    const total = opts.grouped ? t.shape[0]! * t.shape[1]! : t.shape[0]!;
    if (total % C !== 0)
      throw new Error(
        `siteDrawsFromTensors: site "${name}" has ${total} draws, not a multiple of ${C} chains`,
      );
    const data = Float64Array.from(await t.data());
    const per = data.length / C;
    out.push({
      name,
      shape,
      chains: Array.from({ length: C }, (_, c) => data.slice(c * per, (c + 1) * per)),
    });
  }
  return out;
}
