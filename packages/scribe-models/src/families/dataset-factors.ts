/**
 * Multi-factor dataset designs (SCRIBE `dataset_key` as a list → crossed factors, with
 * `interactions`; spec scribe.md §2.7: "additive per-factor effects in log space (exp link
 * forced)"). The datasets are the crossed level combinations of F factors, row-major
 * (d = Σ_f l_f·stride_f, D = ∏ L_f). A factor parameter θ (the gene parameter mu or r, or phi)
 * has no site of its own; it is
 *
 *   log θ_{d,g} = β_g + Σ_f γ^f_{l_f(d), g} + Σ_{(f,h) ∈ interactions} δ^{fh}_{l_f(d), l_h(d), g},
 *
 * with reference coding (the first level of every factor, and of each interacting pair, has
 * effect 0, so β_g is the log value at the all-reference combination and γ^f_{l,g} the log fold
 * change of level l against the reference): sites `log_{θ}_loc` β [G] ~ N(0, 1),
 * `log_{θ}_{factor}_effect` γ^f [L_f − 1, G] ~ N(0, 1), and
 * `log_{θ}_{f}_x_{h}_effect` δ^{fh} [(L_f − 1)(L_h − 1), G] ~ N(0, 1). θ itself is a
 * deterministic site [D, G] computed by {@link withFactorValues} wherever the family reads the
 * latent values, so everything downstream (per-cell gathering, derived parameters,
 * log-likelihoods, denoising, summaries) sees an ordinary dataset parameter.
 *
 * This module holds only data and tensor maths (no model imports), so `models/datasets.ts` can
 * use it without a cycle.
 * @module
 */
import { concat, fromTypedArray, type Tensor, zeros } from "@scribe/core";

/** The factor design as options carry it (JSON-safe; `fit()` fills it from a list `datasetKey`). */
export interface DatasetFactorOptions {
  /** Factor names (obs columns), in crossing order. */
  readonly names: readonly string[];
  /** Each factor's level names, in index order (level 0 is the reference). */
  readonly levels: readonly (readonly string[])[];
  /** Pairs of factor names with an interaction term. */
  readonly interactions?: readonly (readonly [string, string])[];
}

/** The resolved factor design. */
export interface DatasetFactors {
  readonly names: readonly string[];
  readonly levels: readonly (readonly string[])[];
  /** Level of factor f in dataset d: codes[f][d]. */
  readonly codes: readonly Int32Array[];
  /** Interacting factor index pairs. */
  readonly interactions: readonly (readonly [number, number])[];
}

/** Positive parameters that can take factor effects (log link). */
const FACTOR_TARGETS = ["mu", "r", "phi"] as const;

/**
 * Check a factor design against D datasets and the dataset parameters; null without factors.
 * Refuses a design whose combinations do not number D, non-positive targets (p, gate), and
 * mixtures: the effects here are shared by all components, which a mixture's per-component
 * parameters would contradict, so a factor design with nComponents > 1 is an error.
 */
export function resolveFactors(
  opts: DatasetFactorOptions | undefined,
  nDatasets: number,
  params: readonly string[],
  nComponents: number,
): DatasetFactors | null {
  if (!opts) return null;
  const { names, levels } = opts;
  if (!Array.isArray(names) || names.length < 1 || levels.length !== names.length)
    throw new Error("datasetFactors: give one level list per factor name");
  const sizes = levels.map((l, f) => {
    if (l.length < 1) throw new Error(`datasetFactors: factor '${names[f]}' has no levels`);
    return l.length;
  });
  const D = sizes.reduce((a, b) => a * b, 1);
  if (D !== nDatasets)
    throw new Error(
      `datasetFactors: ${sizes.join(" × ")} = ${D} level combinations, but the design has ${nDatasets} datasets`,
    );
  for (const p of params)
    if (!(FACTOR_TARGETS as readonly string[]).includes(p))
      throw new Error(
        `datasetParams: '${p}' cannot take multi-factor effects (additive in log space: only ${FACTOR_TARGETS.join(", ")})`,
      );
  if (nComponents > 1)
    throw new Error(
      "datasetKey with several factors: mixtures are not supported yet (one factor, or nComponents 1)",
    );
  const codes = sizes.map(() => new Int32Array(D));
  for (let d = 0; d < D; d++) {
    let rest = d;
    for (let f = sizes.length - 1; f >= 0; f--) {
      codes[f]![d] = rest % sizes[f]!;
      rest = Math.floor(rest / sizes[f]!);
    }
  }
  const interactions = (opts.interactions ?? []).map(([a, b]) => {
    const i = names.indexOf(a);
    const j = names.indexOf(b);
    if (i < 0 || j < 0 || i === j)
      throw new Error(
        `interactions: [${JSON.stringify(a)}, ${JSON.stringify(b)}] must name two different factors of datasetKey (${names.join(", ")})`,
      );
    return [Math.min(i, j), Math.max(i, j)] as const;
  });
  return { names: [...names], levels: levels.map((l) => [...l]), codes, interactions };
}

/** The cell's dataset (combination index) from its per-factor level indices. */
export function combinationIndex(levelIndices: readonly number[], sizes: readonly number[]): number {
  return levelIndices.reduce((d, l, f) => d * sizes[f]! + l, 0);
}

/** Site names of a factor target: the base, each factor's effects, each interaction's. */
export function factorSiteNames(
  factors: DatasetFactors,
  target: string,
): { loc: string; effects: string[]; interactions: string[] } {
  return {
    loc: `log_${target}_loc`,
    effects: factors.names.map((n) => `log_${target}_${n}_effect`),
    interactions: factors.interactions.map(
      ([i, j]) => `log_${target}_${factors.names[i]}_x_${factors.names[j]}_effect`,
    ),
  };
}

/** Shapes of the effect sites: [L_f − 1, G] per factor, [(L_f − 1)(L_h − 1), G] per interaction. */
export function factorEffectShapes(
  factors: DatasetFactors,
  nGenes: number,
): { effects: number[][]; interactions: number[][] } {
  const L = factors.levels.map((l) => l.length);
  return {
    effects: L.map((n) => [n - 1, nGenes]),
    interactions: factors.interactions.map(([i, j]) => [(L[i]! - 1) * (L[j]! - 1), nGenes]),
  };
}

/** A reference-coded effect [lead…, n, G] with the zero row(s) put back, gathered at `codes` [D] → [lead…, D, G]. */
function gatherEffect(
  effect: Tensor,
  lead: number,
  codes: Int32Array,
  withZero: (x: Tensor) => Tensor,
): Tensor {
  return withZero(effect).gather(fromTypedArray(codes, [codes.length]), lead);
}

/**
 * `values` with every factor target θ [lead…, D, G] = exp(β + Σ effects) added (module notes),
 * unless already present (a derived draw that holds it). `lead`: leading sample axes.
 */
export function withFactorValues(
  factors: DatasetFactors,
  targets: readonly string[],
  values: Readonly<Record<string, Tensor>>,
  lead: number,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = { ...values };
  const L = factors.levels.map((l) => l.length);
  const D = factors.codes[0]!.length;
  for (const t of targets) {
    if (out[t]) continue;
    const names = factorSiteNames(factors, t);
    const base = values[names.loc];
    if (!base) throw new Error(`multi-factor '${t}': no value for site '${names.loc}'`);
    const shape = [...base.shape];
    const G = shape[shape.length - 1]!;
    const zeroRows = (n: number) => zeros([...shape.slice(0, lead), n, G], base.dtype);
    let logTheta = base.unsqueeze(lead);
    factors.names.forEach((_, f) => {
      if (L[f]! < 2) return; // a one-level factor has no effect
      const e = values[names.effects[f]!];
      if (!e) throw new Error(`multi-factor '${t}': no value for site '${names.effects[f]}'`);
      const full = (x: Tensor) => concat([zeroRows(1), x], lead);
      logTheta = logTheta.add(gatherEffect(e, lead, factors.codes[f]!, full));
    });
    factors.interactions.forEach(([i, j], n) => {
      const e = values[names.interactions[n]!];
      if (!e) throw new Error(`multi-factor '${t}': no value for site '${names.interactions[n]}'`);
      // pair code (l_i − 1)(L_j − 1) + (l_j − 1) when both levels are non-reference, else the zero row 0
      const codes = new Int32Array(D);
      for (let d = 0; d < D; d++) {
        const li = factors.codes[i]![d]!;
        const lj = factors.codes[j]![d]!;
        codes[d] = li > 0 && lj > 0 ? 1 + (li - 1) * (L[j]! - 1) + (lj - 1) : 0;
      }
      const full = (x: Tensor) => concat([zeroRows(1), x], lead);
      logTheta = logTheta.add(gatherEffect(e, lead, codes, full));
    });
    out[t] = logTheta.exp();
  }
  return out;
}
