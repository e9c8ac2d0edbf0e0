/**
 * The SCRIBE NB-family model as an ordinary model function (SCRIBE models): global parameters
 * outside the plate, per-cell capture inside `plate("cells", nCells, { subsampleSize })`, and
 * the observed site `counts` with genes as the event dim.
 * @module
 */
import { deterministic, exp, expm1, full, neg, plate, sample, type Tensor } from "@scribe/core";
import { TruncatedNormal } from "@scribe/distributions";
import type { FamilyGrid } from "../families/family.js";
import { familyOf } from "../families/registry.js";
import { muEtaValue } from "./capture-scaling.js";
import type { ModelConfig } from "./config.js";
import { cellMixingWeights, datasetIndexTensor } from "./datasets.js";
import { etaPriorLocs } from "./eta-prior-loc.js";
import { type CaptureValue, observationDistribution } from "./observation.js";
import { type OuterBatch, outerBatch, toOuterForm } from "./outer-batch.js";
import { liftAxes } from "./parameterization.js";
import { latentSiteSpecs, priorDistribution } from "./sites.js";

/** A SCRIBE model function: `counts` [nCells, nGenes] (or null for predictive runs) and an optional minibatch size. */
export type ScribeModelFn = (counts?: Tensor | null, batchSize?: number | null) => void;

/** The cell-plate minibatch size to use (null or ≥ nCells → full batch). */
export function effectiveBatchSize(nCells: number, batchSize: number | null | undefined): number | undefined {
  if (batchSize === null || batchSize === undefined || batchSize >= nCells) return undefined;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}

/** Check that `counts` matches the configured shape. */
export function checkCountsShape(cfg: ModelConfig, counts: Tensor | null | undefined): void {
  if (!counts) return;
  if (counts.rank !== 2 || counts.shape[0] !== cfg.nCells || counts.shape[1] !== cfg.nGenes)
    throw new Error(
      `site 'counts': expected shape [${cfg.nCells}, ${cfg.nGenes}] (cells × genes), got [${counts.shape}]`,
    );
}

/**
 * Build the model function of a configuration. Sites (SCRIBE's names): `mixing_weights`,
 * hierarchy hyper-sites, the sampled core params (e.g. `p`, `r`), `gate`, the derived core
 * params as deterministic sites, per-cell `p_capture` / `phi_capture` (or `eta_capture` with
 * a deterministic `p_capture` / `phi_capture`), and `counts`. TwoState models sample `mu` and
 * their two extras, emit the gene-rank deterministic sites of the SCRIBE two-state models (`k_on`, `alpha`,
 * `beta`, `r_hat`, `eta_act`, `effective_burst_size`, `alpha_floor_active`,
 * `beta_floor_active`, and `k_off` / `burst_size` / `concentration` when derived), and observe
 * `counts` through the Poisson–Beta compound (capture ν_c multiplies r̂ for `twostatevcp`).
 * @example
 * const model = buildModel(makeConfig("nbdm", { nCells: 100, nGenes: 20 }));
 * const tr = trace(seed(model, key(0))).getTrace(counts);
 */
export function buildModel(cfg: ModelConfig): ScribeModelFn {
  const specs = latentSiteSpecs(cfg);
  const globals = specs.filter((s) => !s.cell);
  const cellSite = specs.find((s) => s.cell) ?? null;
  const family = familyOf(cfg);
  // multi-dataset designs: each cell's dataset, to take its parameters inside the plate
  const datasetsOfCells = cfg.datasets ? datasetIndexTensor(cfg) : null;
  if (datasetsOfCells && !family.cellGrid)
    throw new Error(`${cfg.modelType}: this model family does not support datasets`);
  // the batch dims the model's own plate and parameter axes take, right of any enclosing plate
  const ownDims = Math.max(
    1,
    ...globals.map((s) => s.shape.length - (s.family.kind === "dirichlet" ? 1 : 0)),
  );
  return (counts?: Tensor | null, batchSize?: number | null) => {
    checkCountsShape(cfg, counts);
    // enclosing plates (vectorized particles): values in the form [outer…, own…] (outer-batch.ts)
    const outer = outerBatch(cfg.modelType, ownDims);
    if (outer && cfg.datasets)
      throw new Error(
        `${cfg.modelType}: a model with datasets does not broadcast over an enclosing plate (vectorized particles) yet`,
      );
    // `sampled`: the values as drawn (aligned from the right, as the priors' hyper-references
    // need them); `values`: in the form the parameter code takes
    const sampled: Record<string, Tensor> = {};
    const values: Record<string, Tensor> = {};
    for (const s of globals) {
      const d = priorDistribution(s, sampled);
      sampled[s.name] = sample(s.name, d);
      values[s.name] = outer
        ? toOuterForm(
            sampled[s.name]!,
            outer,
            s.shape.length - d.eventShape.length,
            d.eventShape.length,
            s.name,
          )
        : sampled[s.name]!;
    }
    // the family emits its deterministic sites and the likelihood's parameters (families/)
    const grid = outer ? liftGrid(family.modelSites(cfg, values), outer) : family.modelSites(cfg, values);
    // capture scaling: the η prior's location (scalar, or per dataset, emitted as mu_eta)
    let muEta = muEtaValue(cfg, values);
    if (muEta && !("mu_eta" in values)) muEta = deterministic("mu_eta", muEta);
    const sub = effectiveBatchSize(cfg.nCells, batchSize);
    const ann = cfg.annotationLogits ?? cfg.priors.annotationLogits;
    plate("cells", cfg.nCells, sub === undefined ? {} : { subsampleSize: sub }, (idx) => {
      const obs = counts ? counts.index(idx) : null;
      const B = idx.shape[0]!;
      let capture: CaptureValue | null = null;
      if (cellSite) {
        if (cellSite.family.kind === "eta") {
          const { logM0, sigma } = cellSite.family;
          const dsB = datasetsOfCells ? datasetsOfCells.index(idx) : null;
          // under an enclosing plate mu_eta is [outer…]: its cell axis goes to dim −1
          const centre: Tensor | number = muEta
            ? outer
              ? liftAxes(muEta, outer.shape.length, outer.nesting)
              : muEta.rank === 1 && dsB
                ? muEta.gather(dsB, 0)
                : muEta
            : logM0;
          const loc = etaPriorLocs(centre, obs, B);
          const eta = sample("eta_capture", new TruncatedNormal(loc, full([B], sigma), 0, Infinity, false));
          capture =
            cfg.parameterization === "mean_odds"
              ? { kind: "phi_capture", value: deterministic("phi_capture", expm1(eta)) }
              : { kind: "p_capture", value: deterministic("p_capture", exp(neg(eta))) };
        } else {
          const v = sample(cellSite.name, priorDistribution(cellSite, values, [B]));
          capture = { kind: cellSite.name as CaptureValue["kind"], value: v };
        }
        if (outer) capture = { kind: capture.kind, value: cellAligned(capture.value, outer, cellSite.name) };
      }
      const annB = ann ? ann.index(idx) : null;
      const dsB = datasetsOfCells ? datasetsOfCells.index(idx) : null;
      const cellGrid = dsB && family.cellGrid ? family.cellGrid(cfg, values, dsB) : grid;
      let mixing = values.mixing_weights ? cellMixingWeights(cfg, values.mixing_weights, dsB) : null;
      if (mixing && outer) mixing = liftAxes(mixing, outer.shape.length, outer.nesting);
      const dist = observationDistribution(
        cfg,
        family.componentDistribution(cfg, cellGrid, capture),
        mixing,
        annB,
      );
      sample("counts", dist, { obs });
    });
  };
}

/**
 * The grid [outer…, K?, G] with the model's dims between the outer axes and its own:
 * [outer…, 1 × nesting, K?, G], so that with the cell axis (at dim −1 of the counts' batch) the
 * likelihood's batch shape lines up with the enclosing plates.
 */
function liftGrid(grid: FamilyGrid, outer: OuterBatch): FamilyGrid {
  const out: Record<string, Tensor | undefined> = {};
  for (const [k, v] of Object.entries(grid)) out[k] = v && liftAxes(v, outer.shape.length, outer.nesting);
  return out;
}

/** A per-cell value drawn under enclosing plates as [outer…, 1 × (nesting − 1), B]: the cell axis at dim −1. */
function cellAligned(v: Tensor, outer: OuterBatch, site: string): Tensor {
  return liftAxes(toOuterForm(v, outer, 1, 0, site), outer.shape.length, outer.nesting - 1);
}
