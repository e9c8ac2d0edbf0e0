/**
 * Compositions per posterior draw (SCRIBE `scribe.de`, empirical method). With the NB in the
 * code convention (mean mu = r·p/(1−p)) the expected expression of gene g in a cell is a
 * Gamma(r_g, scale mu_g/r_g) variable λ_g, and the composition is ρ = λ/Σλ. With a shared p
 * the scale p/(1−p) is common to all genes and ρ ~ Dirichlet(r); with a gene-specific p (or
 * mean_disp) the scales differ. One formula covers all: log λ_g = log G(r_g) + log mu_g − log r_g.
 * Capture and zero-inflation are not part of the biological composition and are ignored.
 *
 * Genes outside `geneMask` are pooled into an "other" column on the simplex before any
 * log-ratio is taken. Mixtures use one component, or (mixtureWeighted) the average of the
 * component simplices weighted by the draw's mixing weights.
 * @module
 */
import type { DrawSource, ParamBatch } from "./draw-source.js";
import type { GammaStream } from "./gamma-stream.js";

/** log(1e−30): the floor of log ρ (upstream clips ρ at 1e−30 before the log). */
export const LOG_RHO_FLOOR = Math.log(1e-30);

/** How a side's compositions are formed. */
export interface CompositionOptions {
  /** Mixture component: index or label (required for a mixture unless `mixtureWeighted`). */
  component?: number | string | null;
  /** Average the component simplices with the mixing weights (default false). */
  mixtureWeighted?: boolean;
}

/** A resolved gene selection: kept genes (output order) and the genes pooled into "other". */
export interface GeneSelection {
  readonly keep: Int32Array;
  readonly pooled: Int32Array;
  readonly names: string[];
}

/**
 * Resolve `geneMask` (booleans, true = keep, one per gene; or the names of the genes to keep)
 * against the gene names. Without a mask every gene is kept and there is no "other" column.
 */
export function resolveGeneMask(
  genes: readonly string[],
  mask?: readonly boolean[] | readonly string[] | null,
): GeneSelection {
  const G = genes.length;
  let keepFlags: boolean[];
  if (!mask) keepFlags = new Array<boolean>(G).fill(true);
  else if (mask.length > 0 && typeof mask[0] === "string") {
    const pos = new Map(genes.map((g, i) => [g, i]));
    keepFlags = new Array<boolean>(G).fill(false);
    for (const name of mask as readonly string[]) {
      const i = pos.get(name);
      if (i === undefined) throw new Error(`geneMask: unknown gene ${JSON.stringify(name)}`);
      keepFlags[i] = true;
    }
  } else {
    if (mask.length !== G) throw new Error(`geneMask: ${mask.length} flags for ${G} genes`);
    keepFlags = (mask as readonly boolean[]).map(Boolean);
  }
  const keep: number[] = [];
  const pooled: number[] = [];
  keepFlags.forEach((f, i) => void (f ? keep : pooled).push(i));
  if (keep.length < 2) throw new Error(`geneMask keeps ${keep.length} genes; at least 2 are needed`);
  return { keep: Int32Array.from(keep), pooled: Int32Array.from(pooled), names: keep.map((i) => genes[i]!) };
}

/**
 * The component a side uses (null = mixture-weighted). Errors name the side, the valid range
 * and the labels.
 */
export function resolveComponent(src: DrawSource, opts: CompositionOptions, side: string): number | null {
  const K = src.nComponents;
  const c = opts.component;
  if (K === 1) {
    if (opts.mixtureWeighted)
      throw new Error(`${side}: mixtureWeighted needs a mixture model, but ${side} has one component`);
    if (c !== undefined && c !== null && c !== 0)
      throw new Error(
        `${side}: component ${JSON.stringify(c)} is out of range: ${side} is not a mixture (one component, index 0)`,
      );
    return 0;
  }
  if (opts.mixtureWeighted) {
    if (c !== undefined && c !== null)
      throw new Error(`${side}: give either a component or mixtureWeighted, not both`);
    return null;
  }
  if (c === undefined || c === null)
    throw new Error(
      `${side} is a mixture with ${K} components: choose one (component index 0..${K - 1}${src.componentLabels ? ` or label ${src.componentLabels.join(", ")}` : ""}) or set mixtureWeighted`,
    );
  if (typeof c === "string") {
    const i = src.componentLabels?.indexOf(c) ?? -1;
    if (i < 0)
      throw new Error(
        `${side}: no component labelled ${JSON.stringify(c)}${src.componentLabels ? `; labels: ${src.componentLabels.join(", ")}` : " (the results carry no component labels)"}`,
      );
    return i;
  }
  if (!Number.isInteger(c) || c < 0 || c >= K)
    throw new Error(`${side}: component ${c} is out of range [0, ${K - 1}]`);
  return c;
}

/**
 * Log-compositions of a batch: `nDirichlet` draws per posterior draw, each a row of length
 * D = kept genes (+1 "other" column when genes are pooled), written to `out` [n·nDirichlet, D].
 * Values are log ρ (normalised, floored at {@link LOG_RHO_FLOOR}).
 */
export function logCompositions(
  b: ParamBatch,
  K: number,
  G: number,
  component: number | null,
  sel: GeneSelection,
  nDirichlet: number,
  stream: GammaStream,
  out: Float64Array,
  lam: Float64Array,
): void {
  const nKeep = sel.keep.length;
  const hasOther = sel.pooled.length > 0;
  const D = nKeep + (hasOther ? 1 : 0);
  const comps = component === null ? K : 1;
  if (component !== null && !hasOther && nKeep === G) {
    // every gene kept, one component: log λ straight into the output rows (the common case)
    logCompositionsAllGenes(b, K, G, component, nDirichlet, stream, out);
    return;
  }
  // lam: [comps, G] log λ of the current draw, then (weighted) the mixed ρ in linear space
  for (let i = 0; i < b.n; i++) {
    for (let t = 0; t < nDirichlet; t++) {
      const row = (i * nDirichlet + t) * D;
      for (let c = 0; c < comps; c++) {
        const k = component ?? c;
        const base = (i * K + k) * G;
        const lo = c * G;
        const lse = logGammaRow(b.r, b.mu, base, G, i, stream, lam, lo);
        if (component !== null) {
          for (let j = 0; j < nKeep; j++) {
            const v = lam[sel.keep[j]!]! - lse;
            out[row + j] = Math.max(v, LOG_RHO_FLOOR);
          }
          if (hasOther) {
            let so = 0;
            for (const g of sel.pooled) so += Math.exp(lam[g]! - lse);
            const v = Math.log(so);
            out[row + nKeep] = Math.max(v, LOG_RHO_FLOOR);
          }
        } else {
          // ρ_k in linear space, weighted by π_k
          const w = b.weights![i * K + c]!;
          for (let g = 0; g < G; g++) lam[lo + g] = w * Math.exp(lam[lo + g]! - lse);
        }
      }
      if (component === null) {
        const mixed = (g: number) => {
          let s = 0;
          for (let c = 0; c < K; c++) s += lam[c * G + g]!;
          return s;
        };
        for (let j = 0; j < nKeep; j++) out[row + j] = Math.max(Math.log(mixed(sel.keep[j]!)), LOG_RHO_FLOOR);
        if (hasOther) {
          let so = 0;
          for (const g of sel.pooled) so += mixed(g);
          out[row + nKeep] = Math.max(Math.log(so), LOG_RHO_FLOOR);
        }
      }
    }
  }
}

/** {@link logCompositions} for one component with every gene kept: one pass writes log λ, one normalises. */
function logCompositionsAllGenes(
  b: ParamBatch,
  K: number,
  G: number,
  component: number,
  nDirichlet: number,
  stream: GammaStream,
  out: Float64Array,
): void {
  const rs = b.r;
  const mus = b.mu;
  for (let i = 0; i < b.n; i++) {
    const base = (i * K + component) * G;
    for (let t = 0; t < nDirichlet; t++) {
      const row = (i * nDirichlet + t) * G;
      const lse = logGammaRow(rs, mus, base, G, i, stream, out, row);
      for (let g = 0; g < G; g++) {
        const v = out[row + g]! - lse;
        out[row + g] = Math.max(v, LOG_RHO_FLOOR);
      }
    }
  }
}

/**
 * One row of log λ_g, λ_g ~ Gamma(r_g, scale μ_g/r_g), for the genes of `rs`/`mus` from `base`,
 * written to `dest` from `off`; returns log Σλ. Σλ is summed in linear space on the way (one
 * log per gene for r ≥ 1; the boosted small shapes, x·U^(1/r) with x ~ Gamma(r + 1), go
 * through log space so that they cannot underflow), with a max-shifted sum as the fallback
 * when that sum under- or overflows. The uniform of a boost is drawn before its gamma.
 * @param draw The posterior draw, for the error message.
 */
function logGammaRow(
  rs: ArrayLike<number>,
  mus: ArrayLike<number>,
  base: number,
  G: number,
  draw: number,
  stream: GammaStream,
  dest: Float64Array,
  off: number,
): number {
  let sum = 0;
  for (let g = 0; g < G; g++) {
    const r = rs[base + g]!;
    if (!(r > 0) || r === Number.POSITIVE_INFINITY)
      throw new RangeError(`posterior draw ${draw}: r of gene ${g} is ${r}; r must be positive and finite`);
    const scale = mus[base + g]! / r;
    let v: number;
    if (r >= 1) {
      const x = stream.gammaAtLeastOne(r) * scale;
      v = Math.log(x);
      sum += x;
    } else {
      const u = stream.uniform();
      v = Math.log(stream.gammaAtLeastOne(r + 1) * scale) + Math.log(u) / r;
      sum += Math.exp(v);
    }
    dest[off + g] = v;
  }
  if (sum > 0 && sum < Number.POSITIVE_INFINITY) return Math.log(sum);
  let mx = Number.NEGATIVE_INFINITY;
  for (let g = 0; g < G; g++) if (dest[off + g]! > mx) mx = dest[off + g]!;
  let s = 0;
  for (let g = 0; g < G; g++) s += Math.exp(dest[off + g]! - mx);
  return mx + Math.log(s);
}
