/**
 * The guide of a configured SCRIBE model: mean-field factors for every latent site, the
 * low-rank factor on the gene parameter when `guideRank` is set, and the amortized capture
 * factor when `amortizeCapture` is set. {@link buildGuide} returns the guide function;
 * {@link guideDistributions} rebuilds the same factors from fitted params for the results.
 * @module
 */
import { clamp, full, param, plate, sample, type Tensor } from "@scribe/core";
import { Delta, type Distribution, positive } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { etaPriorLocs } from "../models/eta-prior-loc.js";
import { checkCountsShape, effectiveBatchSize, type ScribeModelFn } from "../models/model.js";
import { alignToSite, enclosingPlates } from "../models/outer-batch.js";
import { latentSiteSpecs, type SiteSpec } from "../models/sites.js";
import { amortizedCaptureFactor } from "./amortized-capture.js";
import {
  lowRankFactor,
  lowRankParamNames,
  meanFieldFactor,
  meanFieldParamNames,
  type ParamGetter,
  softplusInv,
} from "./factors.js";
import {
  flowFactor,
  flowParamNames,
  isFlowSite,
  isJointFlowSite,
  jointFlowMarginals,
  jointFlowParamNames,
  sampleJointFlow,
} from "./flow-guide.js";
import { isJointSite, jointMarginals, jointParamNames, sampleJoint } from "./joint.js";

/** Which factor a site gets: joint (`jointParams`), joint flow (`guideFlowOptions.independent: false`), low-rank (gene parameter with `guideRank`), flow (gene-level sites with `guideFlow`), amortized capture, or mean-field. */
function factorKind(
  cfg: ModelConfig,
  spec: SiteSpec,
): "joint" | "jointflow" | "lowrank" | "flow" | "amortized" | "meanfield" {
  if (isJointSite(cfg, spec)) return "joint";
  if (isJointFlowSite(cfg, spec)) return "jointflow";
  if (isFlowSite(cfg, spec)) return "flow";
  if (!spec.cell && cfg.guideRank !== null && spec.name === cfg.geneParam && spec.role === "core")
    return "lowrank";
  if (spec.cell && cfg.amortizeCapture && spec.family.kind !== "eta") return "amortized";
  return "meanfield";
}

/**
 * `guideRank` shapes the guide of the gene parameter's own site; a configuration where no site
 * takes it (a factor design samples the gene parameter's base and effects instead) would fit a
 * mean-field guide while the caller asked for a low-rank one, so it is refused by name.
 */
function checkLowRankReached(cfg: ModelConfig, specs: readonly SiteSpec[]): void {
  // the joint guide (jointParams) takes guideRank as the rank of its dense block
  const takesRank = (s: SiteSpec) => ["lowrank", "joint"].includes(factorKind(cfg, s));
  if (cfg.guideRank === null || specs.some(takesRank)) return;
  const why = cfg.datasets?.factors
    ? `a multi-factor dataset design samples '${cfg.geneParam}' as a base plus per-factor effects, which have mean-field guides`
    : `no latent site is the gene parameter '${cfg.geneParam}' (sites: ${specs.map((s) => s.name).join(", ")})`;
  throw new Error(`guideRank: ${why}; remove guideRank (or use jointParams where the model supports it)`);
}

/**
 * Guide parameter name → the latent site it belongs to, for every factor of the guide
 * (the amortized capture network's weights belong to no single site and are absent).
 */
export function guideParamSites(cfg: ModelConfig): Map<string, SiteSpec> {
  const out = new Map<string, SiteSpec>();
  const specs = latentSiteSpecs(cfg);
  // the joint flow's params belong to all its sites; they are listed under the first
  const firstJointFlow = specs.find((s) => isJointFlowSite(cfg, s));
  if (firstJointFlow) for (const n of jointFlowParamNames(cfg, specs)) out.set(n, firstJointFlow);
  for (const s of specs) {
    const kind = factorKind(cfg, s);
    if (kind === "amortized" || kind === "jointflow") continue;
    const names =
      kind === "joint"
        ? jointParamNames(cfg, specs, s)
        : kind === "lowrank"
          ? Object.values(lowRankParamNames(s))
          : kind === "flow"
            ? flowParamNames(cfg, s)
            : meanFieldParamNames(s);
    for (const n of names) out.set(n, s);
  }
  return out;
}

function factorFor(
  cfg: ModelConfig,
  spec: SiteSpec,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  totals: Tensor | null,
  etaInit: Tensor | null,
): Distribution {
  const kind = factorKind(cfg, spec);
  if (kind === "joint") throw new Error(`site '${spec.name}' belongs to the joint guide (guides/joint.ts)`);
  if (kind === "jointflow")
    throw new Error(`site '${spec.name}' belongs to the joint flow (guides/flow-guide.ts)`);
  if (kind === "flow")
    return flowFactor(cfg, spec, get, {
      initLoc: cfg.componentGeneLoc ? geneLocFor(cfg, spec, cfg.componentGeneLoc) : undefined,
    });
  if (kind === "lowrank" && cfg.guideRank !== null)
    return lowRankFactor(spec, cfg.guideRank, get, {
      initLoc: cfg.componentGeneLoc ? geneLocFor(cfg, spec, cfg.componentGeneLoc) : undefined,
    });
  if (kind === "amortized") {
    if (!totals) throw new Error("the amortized capture guide needs the counts matrix");
    return amortizedCaptureFactor(cfg, spec, totals, get);
  }
  if (cfg.componentGeneLoc && spec.name === cfg.geneParam && spec.role === "core" && !spec.cell)
    return meanFieldFactor(cfg, spec, specs, get, { initLoc: geneLocFor(cfg, spec, cfg.componentGeneLoc) });
  // a multi-factor design's base of the gene parameter is log-scale already: [K, G], or [G] from a [1, G] start
  const start = cfg.componentGeneLoc;
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const startSize = start ? start.shape.reduce((a, b) => a * b, 1) : 0;
  if (start && cfg.datasets?.factors && spec.name === `log_${cfg.geneParam}_loc` && startSize === size)
    return meanFieldFactor(cfg, spec, specs, get, { initLoc: start.reshape([...spec.shape]) });
  return meanFieldFactor(cfg, spec, specs, get, etaInit ? { initLoc: etaInit } : {});
}

/**
 * The guide location of the gene parameter from log-scale component values: as is for
 * LogNormal and exp-transformed factors, softplus⁻¹(exp(·)) for softplus ones. Only when the
 * gene parameter carries the component axis with the expected shape.
 */
function geneLocFor(_cfg: ModelConfig, spec: SiteSpec, logValues: Tensor): Tensor | undefined {
  if (spec.shape.length !== 2 || spec.shape[0] !== logValues.shape[0] || spec.shape[1] !== logValues.shape[1])
    return undefined;
  const f = spec.family;
  if (f.kind === "tnormal" && f.transform === "softplus") {
    const v = logValues.exp();
    return v.add(v.neg().expm1().neg().log());
  }
  if (f.kind === "lognormal" || f.kind === "tnormal") return logValues;
  return undefined;
}

/**
 * Initial raw location of the η guide per cell: softplus⁻¹(max(log M₀ − log L_c, 0.05)), the
 * prior's centre (SCRIBE's capture prior initialises at softplus⁻¹(log M₀); starting at each cell's own
 * prior location is equivalent up to the offset and converges much faster).
 */
export function etaInitLoc(cfg: ModelConfig, counts: Tensor | null | undefined): Tensor | null {
  const cap = cfg.priors.capture;
  if (!cap) return null;
  if (!counts) return full([cfg.nCells], softplusInv(cap.logM0));
  const loc = clamp(etaPriorLocs(cap.logM0, counts, cfg.nCells), 0.05);
  // softplus⁻¹(y) = y + log(−expm1(−y))
  return loc.add(loc.neg().expm1().neg().log());
}

/**
 * Starting locations of the sites of a joint guide (`belongs`: the joint guide's or the joint
 * flow's sites): the k-means component start of the gene parameter.
 */
function jointInitLocs(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  belongs: (cfg: ModelConfig, s: SiteSpec) => boolean = isJointSite,
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const gene = specs.find((s) => s.name === cfg.geneParam && s.role === "core" && belongs(cfg, s));
  const loc = gene && cfg.componentGeneLoc ? geneLocFor(cfg, gene, cfg.componentGeneLoc) : undefined;
  if (gene && loc) out.set(gene.name, loc);
  return out;
}

/** The auxiliary site of a low-rank or flow factor's draw under enclosing plates (vectorized particles; guide.ts `sampleWholeSite`). */
export function wholeSiteLatentName(site: string): string {
  return `_${site}_latent`;
}

/**
 * Sample site `spec` from a factor `d` whose event dims are the whole site (the low-rank and
 * flow factors: event [G] or [K, G], where the model's site has those axes as batch dims).
 * Alone the draw is the site's value. Under enclosing plates (vectorized particles) it is
 * [outer…, 1…, site…], which the model's site would pair with every outer index: the factor is
 * then drawn as an auxiliary latent ({@link wholeSiteLatentName}, its log q in the ELBO, as
 * NumPyro's autoguides draw their flat latent) and the site is a point mass at the draw laid
 * out as the model's ([outer…, site…], `alignToSite`), adding no density of its own.
 */
function sampleWholeSite(spec: SiteSpec, d: Distribution): Tensor {
  if (enclosingPlates().length === 0) return sample(spec.name, d);
  const x = sample(wholeSiteLatentName(spec.name), d, { infer: { isAuxiliary: true } });
  return sample(spec.name, new Delta(alignToSite(x, d.eventShape.length, spec.shape.length), 0, 0));
}

/** The guide function of a configuration (same signature as the model). */
export function buildGuide(cfg: ModelConfig): ScribeModelFn {
  const specs = latentSiteSpecs(cfg);
  checkLowRankReached(cfg, specs);
  const get: ParamGetter = (name, init, opts) =>
    param(name, init, { constraint: opts.positive ? positive : null, ...(opts.cell ? { eventDim: 0 } : {}) });
  const joint = specs.some((s) => isJointSite(cfg, s));
  return (counts?: Tensor | null, batchSize?: number | null) => {
    checkCountsShape(cfg, counts);
    let jointDone = false;
    let jointFlowDone = false;
    for (const s of specs) {
      if (s.cell) continue;
      if (isJointFlowSite(cfg, s)) {
        // all joint-flow sites at the first one: one draw of the joint flow
        if (!jointFlowDone) sampleJointFlow(cfg, specs, get, jointInitLocs(cfg, specs, isJointFlowSite));
        jointFlowDone = true;
        continue;
      }
      if (joint && isJointSite(cfg, s)) {
        // all joint sites at the first one: each is drawn from its conditional (chain rule)
        if (!jointDone)
          sampleJoint(cfg, specs, get, (spec, d) => sample(spec.name, d), jointInitLocs(cfg, specs));
        jointDone = true;
        continue;
      }
      const d = factorFor(cfg, s, specs, get, null, null);
      const kind = factorKind(cfg, s);
      if (kind === "lowrank" || kind === "flow") sampleWholeSite(s, d);
      else sample(s.name, d);
    }
    const cellSpec = specs.find((s) => s.cell);
    if (!cellSpec) return;
    const sub = effectiveBatchSize(cfg.nCells, batchSize);
    const etaInit = cellSpec.family.kind === "eta" ? etaInitLoc(cfg, counts) : null;
    plate("cells", cfg.nCells, sub === undefined ? {} : { subsampleSize: sub }, (idx) => {
      const totals = counts ? counts.index(idx).sum(-1) : null;
      sample(cellSpec.name, factorFor(cfg, cellSpec, specs, get, totals, etaInit));
    });
  };
}

/**
 * The guide's factors at fitted (constrained) `params`, for all cells at once: a map from
 * site name to its distribution (cell sites have batch shape [nCells]). Amortized capture
 * needs `counts`.
 */
export function guideDistributions(
  cfg: ModelConfig,
  params: Readonly<Record<string, Tensor>>,
  counts?: Tensor | null,
): Map<string, { dist: Distribution; spec: SiteSpec }> {
  const specs = latentSiteSpecs(cfg);
  const get: ParamGetter = (name) => {
    const v = params[name];
    if (!v) throw new Error(`fitted params have no '${name}' (params: ${Object.keys(params).join(", ")})`);
    return v;
  };
  const out = new Map<string, { dist: Distribution; spec: SiteSpec }>();
  const marginals = specs.some((s) => isJointSite(cfg, s))
    ? jointMarginals(cfg, specs, get, jointInitLocs(cfg, specs))
    : null;
  const flowMarginals = specs.some((s) => isJointFlowSite(cfg, s))
    ? jointFlowMarginals(cfg, specs, get, jointInitLocs(cfg, specs, isJointFlowSite))
    : null;
  for (const s of specs) {
    const m = marginals?.get(s.name) ?? flowMarginals?.get(s.name);
    if (m) {
      out.set(s.name, { dist: m, spec: s });
      continue;
    }
    const totals = s.cell && counts ? counts.sum(-1) : null;
    out.set(s.name, { dist: factorFor(cfg, s, specs, get, totals, null), spec: s });
  }
  return out;
}
