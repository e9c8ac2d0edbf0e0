/**
 * Posterior summaries written into an AnnData the way scanpy tools do: per-gene columns in
 * `var` (`scribe_r_mean`, `scribe_mu_mean`, `scribe_gate_mean`, `scribe_p_mean` when
 * gene-level, `scribe_bnb_concentration_mean` — the BNB excess-dispersion fraction ω — with
 * `overdispersion: "bnb"`; mixtures add `_k{j}` per component, dataset models `_d{d}` per
 * dataset where the parameter has a dataset axis), per-cell columns in `obs`
 * (`scribe_p_capture_mean`, `scribe_log_likelihood`, and for mixtures `scribe_component` and
 * `scribe_component_prob_k{j}`), and `uns.scribe` with the configuration and loss history.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { AnnData, UnsValue } from "../io/anndata.js";
import type { Column } from "../io/frame.js";
import { datasetColumnLabels } from "../models/datasets.js";
import type { ScribeResults } from "./results.js";

/** A tensor's values as numbers: the one `await` (any backend). */
async function toNumbers(t: Tensor): Promise<number[]> {
  return Array.from((await t.data()) as ArrayLike<number>, Number);
}

/** Options of {@link annotateAnnData}. */
export interface SummaryOptions {
  /** Posterior draws for the means (default 100). */
  nSamples?: number;
  /** Seed (default 42). */
  seed?: number;
  /** Extra entries for `uns.scribe`. */
  extraUns?: Record<string, UnsValue>;
}

/**
 * A copy of `adata` with SCRIBE's posterior summaries added to `var`, `obs` and `uns.scribe`.
 * `counts` is the dense count tensor [C, G] the model was fitted to, or null when it is not in
 * memory (a backed fit): the per-cell columns that need the counts (`scribe_log_likelihood`,
 * the component assignments) are then left out. Values are read with `await`, so the summaries
 * run on any backend.
 */
export async function annotateAnnData(
  adata: AnnData,
  res: ScribeResults,
  counts: Tensor | null,
  opts: SummaryOptions = {},
): Promise<AnnData> {
  const cfg = res.config;
  const G = cfg.nGenes;
  const C = cfg.nCells;
  const K = cfg.nComponents;
  const samples = res.getPosteriorSamples({
    nSamples: opts.nSamples ?? 100,
    seed: opts.seed ?? 42,
    ...(counts ? { counts } : {}),
  });
  const varCols: Record<string, Column> = { ...adata.var.columns };
  const obsCols: Record<string, Column> = { ...adata.obs.columns };
  for (const name of ["r", "mu", "gate", "p", "phi", "bnb_concentration"]) {
    const s = samples[name];
    if (!s) continue;
    const m = s.mean(0);
    if (m.rank === 0 || m.shape[m.shape.length - 1] !== G) continue;
    if (m.rank === 1) varCols[`scribe_${name}_mean`] = await toNumbers(m);
    else if (cfg.datasets) {
      // multi-dataset fits (models/datasets.ts): one column per component and dataset
      const v = await toNumbers(m);
      datasetColumnLabels(cfg, name, m.shape).forEach((label, i) => {
        varCols[`scribe_${name}_mean_${label}`] = v.slice(i * G, (i + 1) * G);
      });
    } else
      for (let k = 0; k < K; k++)
        varCols[`scribe_${name}_mean_k${k}`] = await toNumbers(m.slice([k, 0], [k + 1, G]).reshape([G]));
  }
  if (samples.p_capture) obsCols.scribe_p_capture_mean = await toNumbers(samples.p_capture.mean(0));
  if (counts)
    obsCols.scribe_log_likelihood = await toNumbers(res.logLikelihoodMap(counts, { returnBy: "cell" }));
  const uns: Record<string, UnsValue> = {
    model: res.modelType,
    parameterization: cfg.parameterization,
    unconstrained: cfg.unconstrained,
    n_components: K,
    n_cells: C,
    n_genes: G,
    loss_history: Float64Array.from(res.lossHistory),
  };
  const map = res.getMap(counts ? { counts } : {});
  for (const name of ["p", "phi"]) {
    const v = map[name];
    if (v && v.size <= 64) uns[`${name}_map`] = await toNumbers(v);
  }
  if (K > 1) uns.mixing_weights_map = await toNumbers(map.mixing_weights!);
  if (K > 1 && counts) {
    const probs = res.cellTypeProbabilitiesMap(counts);
    const z = await toNumbers(probs.argmax(-1));
    obsCols.scribe_component = z;
    const pr = await toNumbers(probs);
    for (let k = 0; k < K; k++)
      obsCols[`scribe_component_prob_k${k}`] = Array.from({ length: C }, (_, c) => pr[c * K + k]!);
  }
  for (const [k, v] of Object.entries(opts.extraUns ?? {})) uns[k] = v;
  return {
    ...adata,
    var: { index: adata.var.index, columns: varCols },
    obs: { index: adata.obs.index, columns: obsCols },
    uns: { ...adata.uns, scribe: uns },
  };
}
