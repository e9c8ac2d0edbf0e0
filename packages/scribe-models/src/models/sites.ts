/**
 * The latent sites of a configured model as data: name, shape, whether it lives in the cell
 * plate, and its prior family with hyper-parameters. The model samples these in order and
 * the guides build one variational factor per entry, so both always agree.
 * @module
 */
import { broadcastShapes, fromTypedArray, full, type Tensor } from "@scribe/core";
import {
  Beta,
  Dirichlet,
  type Distribution,
  Gamma,
  HalfCauchy,
  InverseGamma,
  LogNormal,
  Normal,
} from "@scribe/distributions";
import { familyOf } from "../families/registry.js";
import { captureScalingSites } from "./capture-scaling.js";
import { type CoreParam, type ModelConfig, transformOf } from "./config.js";
import { datasetSites, isDatasetParam } from "./datasets.js";
import type { HierarchySpec } from "./priors.js";
import { ScribeBetaPrime } from "./scribe-beta-prime.js";
import { shrinkageHyperSites } from "./shrinkage.js";
import { TransformedNormal, type TransformName } from "./transformed-normal.js";

/**
 * A number, or the name of an earlier site whose value is used. (`geneLoc` on a LogNormal or
 * Normal + transform family is a per-gene location along the last axis that replaces `loc`:
 * the TwoState data-driven mu anchor.)
 */
export type HyperRef = number | string;

/** The prior family of a latent site. */
export type SiteFamily =
  | { kind: "beta"; a: number; b: number }
  | { kind: "betaprime"; a: number; b: number }
  | { kind: "lognormal"; loc: number; scale: number; geneLoc?: readonly number[] }
  | { kind: "tnormal"; loc: HyperRef; scale: HyperRef; transform: TransformName; geneLoc?: readonly number[] }
  | { kind: "normal"; loc: number; scale: number; geneLoc?: readonly number[] }
  | { kind: "dirichlet"; concentration: readonly number[] }
  | { kind: "halfcauchy"; scale: number }
  | { kind: "invgamma"; a: number; b: number }
  | { kind: "gamma"; conc: number; rate: HyperRef }
  | { kind: "eta"; logM0: number; sigma: number };

/** One latent site of a model. */
export interface SiteSpec {
  /** Site name (as upstream SCRIBE names them: p, r, mu, phi, gate, p_capture, phi_capture, ...). */
  readonly name: string;
  /** Shape of one draw; cell sites: the per-cell shape ([]), the plate adds the cell axis. */
  readonly shape: readonly number[];
  /** Sampled inside the `cells` plate. */
  readonly cell: boolean;
  /** Prior family and hyper-parameters. */
  readonly family: SiteFamily;
  /** Role of the site: a core parameter, a hierarchy hyper-site, capture, or mixing. */
  readonly role: "core" | "hyper" | "capture" | "mixing";
}

/** Shape of a core parameter: [K] if it is per component, then [G] if it is per gene. */
export function coreShape(cfg: ModelConfig, name: CoreParam): number[] {
  const s: number[] = [];
  if (cfg.nComponents > 1 && cfg.mixtureParams.includes(name)) s.push(cfg.nComponents);
  // the dataset axis sits between the component and gene axes (SCRIBE's (K, D, G))
  if (cfg.datasets && isDatasetParam(cfg, name)) s.push(cfg.datasets.n);
  if (isGeneLevel(cfg, name)) s.push(cfg.nGenes);
  return s;
}

/** Whether a sampled core parameter has a gene axis (the family decides: all TwoState parameters are per gene). */
export function isGeneLevel(cfg: ModelConfig, name: CoreParam): boolean {
  return familyOf(cfg).isGeneLevel(cfg, name);
}

/** Names of the hyper-sites for a hierarchy (loc, scale) on `target`. */
export function hierarchyNames(target: string): { loc: string; scale: string } {
  const prefix = target === "p" || target === "gate" ? "logit" : "log";
  return { loc: `${prefix}_${target}_loc`, scale: `${prefix}_${target}_scale` };
}

function flat(
  cfg: ModelConfig,
  name: string,
  shape: number[],
  cell: boolean,
  role: SiteSpec["role"],
): SiteSpec {
  const [a, b] = cfg.priors.base[name]!;
  // TwoState: the data-driven per-gene mu anchor replaces the scalar loc (SCRIBE two-state models)
  const gl = name === "mu" && cfg.muPriorLoc ? { geneLoc: cfg.muPriorLoc } : {};
  const anchor = anchoredLoc(cfg, name);
  if (anchor && role === "core")
    return {
      name,
      shape,
      cell,
      family: {
        kind: "tnormal",
        loc: 0,
        scale: anchor.sigma,
        transform: transformOf(cfg, name),
        geneLoc: anchor.loc,
      },
      role,
    };
  let family: SiteFamily;
  if (cfg.unconstrained)
    family = { kind: "tnormal", loc: a, scale: b, transform: transformOf(cfg, name), ...gl };
  else if (name === "p" || name === "gate" || name === "p_capture" || name === "inv_concentration")
    family = { kind: "beta", a, b };
  else if (name === "phi" || name === "phi_capture") family = { kind: "betaprime", a, b };
  else family = { kind: "lognormal", loc: a, scale: b, ...gl };
  return { name, shape, cell, family, role };
}

/**
 * Mean anchoring (SCRIBE mean anchoring): the per-gene centres of the gene parameter mapped into its
 * transform's inverse space (the prior is T(N(loc, σ)), so its median is exactly e^centre),
 * with σ. For mu the centres are the data's log((ū_g + 1e−3)/ν̄). The canonical
 * parameterization samples r instead: mu = r·p/(1−p) gives log r = log mu − logit p, so r is
 * centred at log((ū_g + 1e−3)/ν̄) − m_p with m_p the prior centre of logit p
 * (`logitPCentre`); log mu = log r + logit p then has its prior median at the data's
 * centre (exactly for the exp transform, where both terms are Normal). Null when off, for
 * other sites, or without centres.
 */
export function anchoredLoc(
  cfg: ModelConfig,
  name: string,
): { loc: number[]; logCentre: number[]; sigma: number } | null {
  const a = cfg.expressionAnchor;
  if (!a?.logCentre || name !== cfg.geneParam) return null;
  const shift = name === "r" ? -logitPCentre(cfg) : 0;
  const T = transformOf(cfg, name);
  const logCentre = a.logCentre.map((c) => c + shift);
  const loc = logCentre.map((c) => {
    if (T === "exp") return c;
    // softplus⁻¹(y) = y + log(−expm1(−y)), y = e^c
    const y = Math.exp(c);
    return y + Math.log(-Math.expm1(-y));
  });
  return { loc, logCentre, sigma: a.sigma };
}

/**
 * The prior centre of logit p (canonical): the flat prior's Normal location, or 0 when p has a
 * gene-level or dataset hierarchy (their population locations are N(0, 1)).
 */
function logitPCentre(cfg: ModelConfig): number {
  if (cfg.priors.hierarchy.prob || isDatasetParam(cfg, "p")) return 0;
  return cfg.priors.base.p![0];
}

function hierarchical(cfg: ModelConfig, target: CoreParam, h: HierarchySpec, out: SiteSpec[]): void {
  const names = hierarchyNames(target);
  const anchor = anchoredLoc(cfg, target);
  // population location (SCRIBE gene-level hierarchies): per gene for the gene parameter
  const locSpec: SiteSpec =
    target === "gate"
      ? {
          name: names.loc,
          shape: [],
          cell: false,
          family: { kind: "normal", loc: -5, scale: 1 },
          role: "hyper",
        }
      : target === cfg.geneParam
        ? {
            name: names.loc,
            shape: [cfg.nGenes],
            cell: false,
            // mean anchoring replaces the population location's N(0, 1) by N(centre_g, σ)
            family: anchor
              ? { kind: "normal", loc: 0, scale: anchor.sigma, geneLoc: anchor.loc }
              : { kind: "normal", loc: 0, scale: 1 },
            role: "hyper",
          }
        : {
            name: names.loc,
            shape: [],
            cell: false,
            family: { kind: "normal", loc: 0, scale: 1 },
            role: "hyper",
          };
  const scaleLoc = target === "p" || target === "phi" ? 0 : -2;
  hierarchySites(target, coreShape(cfg, target), transformOf(cfg, target), locSpec, scaleLoc, h, "core", out);
}

/**
 * The sites of a gene-level hierarchy on `target` (SCRIBE gene-level hierarchies): the
 * population location `locSpec`, then — gaussian (centred): a softplus-normal scale
 * (loc `scaleLoc`, scale 0.5) and the site itself as T(N(loc, scale)); horseshoe (NCP):
 * `tau_`, `lambda_`, `c_sq_` and `{prefix}_raw`; NEG (NCP): `zeta_`, `psi_` and `{prefix}_raw`
 * (`prefix`: the target's name unless given). The NCP value is computed by {@link ncpValue}
 * (`models/shrinkage.ts` `shrunkValue`, which a factor design's base uses too).
 */
export function hierarchySites(
  target: string,
  shape: readonly number[],
  T: TransformName,
  locSpec: SiteSpec,
  scaleLoc: number,
  h: HierarchySpec,
  role: SiteSpec["role"],
  out: SiteSpec[],
  prefix: string = target,
): void {
  out.push(locSpec);
  const s = [...shape];
  if (h.family === "gaussian") {
    const scaleName = locSpec.name.replace(/_loc$/, "_scale");
    out.push({
      name: scaleName,
      shape: [],
      cell: false,
      family: { kind: "tnormal", loc: scaleLoc, scale: 0.5, transform: "softplus" },
      role: "hyper",
    });
    out.push({
      name: target,
      shape: s,
      cell: false,
      family: { kind: "tnormal", loc: locSpec.name, scale: scaleName, transform: T },
      role,
    });
    return;
  }
  shrinkageHyperSites(prefix, s, h, out);
  out.push({
    name: `${prefix}_raw`,
    shape: s,
    cell: false,
    family: { kind: "normal", loc: 0, scale: 1 },
    role: "hyper",
  });
}

/** Names of the BNB excess-dispersion sites' population location (SCRIBE BNB overdispersion). */
export const BNB_SITE = "bnb_concentration";

/**
 * The sites of SCRIBE's BNB excess-dispersion fraction ω_g (SCRIBE BNB overdispersion): per gene, under the
 * `priors.overdispersion` hierarchy (horseshoe by default) with population location
 * `log_bnb_concentration_loc` ~ N(−5, 1) and the softplus transform.
 */
function bnbSites(cfg: ModelConfig, out: SiteSpec[]): void {
  const h = cfg.priors.overdispersion;
  if (!h) return;
  const names = hierarchyNames(BNB_SITE);
  const locSpec: SiteSpec = {
    name: names.loc,
    shape: [],
    cell: false,
    family: { kind: "normal", loc: -5, scale: 1 },
    role: "hyper",
  };
  hierarchySites(BNB_SITE, [cfg.nGenes], "softplus", locSpec, -2, h, "hyper", out);
}

/**
 * The latent sites of a configured model, in sampling order: global sites first (mixing
 * weights, hierarchy hyper-sites, core parameters, gate), then per-cell capture sites.
 * @example
 * latentSiteSpecs(makeConfig("nbvcp", { nCells: 10, nGenes: 5 })).map((s) => s.name); // ["p", "r", "p_capture"]
 */
export function latentSiteSpecs(cfg: ModelConfig): SiteSpec[] {
  const out: SiteSpec[] = [];
  if (cfg.nComponents > 1)
    out.push({
      name: "mixing_weights",
      shape: cfg.datasets?.mixing ? [cfg.datasets.n, cfg.nComponents] : [cfg.nComponents],
      cell: false,
      family: { kind: "dirichlet", concentration: cfg.priors.mixing },
      role: "mixing",
    });
  const probName = cfg.sampledCore.find((c) => c === "p" || c === "phi");
  const core: CoreParam[] = [...cfg.sampledCore];
  if (cfg.zeroInflated) core.push("gate");
  for (const name of core) {
    const h =
      name === probName
        ? cfg.priors.hierarchy.prob
        : name === cfg.geneParam
          ? cfg.priors.hierarchy.expression
          : name === "gate"
            ? cfg.priors.hierarchy.gate
            : undefined;
    if (isDatasetParam(cfg, name))
      datasetSites(
        cfg,
        name,
        coreShape(cfg, name),
        transformOf(cfg, name),
        hierarchyNames(name),
        out,
        anchoredLoc(cfg, name),
      );
    else if (h) hierarchical(cfg, name, h, out);
    else out.push(flat(cfg, name, coreShape(cfg, name), false, "core"));
  }
  if (cfg.overdispersion === "bnb") bnbSites(cfg, out);
  captureScalingSites(cfg, out);
  if (cfg.variableCapture) {
    if (cfg.priors.capture) {
      out.push({
        name: "eta_capture",
        shape: [],
        cell: true,
        family: { kind: "eta", logM0: cfg.priors.capture.logM0, sigma: cfg.priors.capture.sigmaM },
        role: "capture",
      });
    } else {
      const name = cfg.parameterization === "mean_odds" ? "phi_capture" : "p_capture";
      out.push(flat(cfg, name, [], true, "capture"));
    }
  }
  return out;
}

function ref(v: HyperRef, values: Readonly<Record<string, Tensor>>): Tensor | number {
  if (typeof v === "number") return v;
  const t = values[v];
  if (!t) throw new Error(`prior refers to site '${v}', which has not been sampled yet`);
  return t;
}

/**
 * A hyper-parameter over the site's batch `shape`. A value drawn under an enclosing plate
 * (vectorized particles) has more axes: broadcast, aligned from the right as plates align.
 */
function shaped(x: Tensor | number, shape: readonly number[]): Tensor {
  if (typeof x === "number") return full([...shape], x);
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return x.expand(x.rank > shape.length ? broadcastShapes(x.shape, shape) : [...shape]);
}

/**
 * The prior distribution of a global site, with batch shape `spec.shape` (hierarchical
 * hyper-parameters are read from `values`). Cell sites ("eta") are built in the model.
 */
export function priorDistribution(
  spec: SiteSpec,
  values: Readonly<Record<string, Tensor>>,
  batch: readonly number[] = spec.shape,
): Distribution {
  const f = spec.family;
  switch (f.kind) {
    case "beta":
      return new Beta(full([...batch], f.a), full([...batch], f.b), false);
    case "betaprime":
      return new ScribeBetaPrime(full([...batch], f.a), full([...batch], f.b));
    case "lognormal":
      return new LogNormal(
        f.geneLoc ? geneLocTensor(f.geneLoc, batch) : full([...batch], f.loc),
        full([...batch], f.scale),
        false,
      );
    case "normal":
      return new Normal(
        f.geneLoc ? geneLocTensor(f.geneLoc, batch) : full([...batch], f.loc),
        full([...batch], f.scale),
        false,
      );
    case "tnormal":
      return new TransformedNormal(
        f.geneLoc ? geneLocTensor(f.geneLoc, batch) : shaped(ref(f.loc, values), batch),
        shaped(ref(f.scale, values), batch),
        f.transform,
      );
    case "dirichlet": {
      // per-dataset mixing weights: batch [D] of the same concentration
      const conc = tensorOf(f.concentration);
      return new Dirichlet(batch.length > 1 ? conc.expand([...batch]) : conc, false);
    }
    case "halfcauchy":
      return new HalfCauchy(full([...batch], f.scale), false);
    case "invgamma":
      return new InverseGamma(full([...batch], f.a), full([...batch], f.b), false);
    case "gamma":
      return new Gamma(full([...batch], f.conc), shaped(ref(f.rate, values), batch), false);
    case "eta":
      throw new Error(
        `site '${spec.name}': the biology-informed capture prior is built inside the cell plate`,
      );
  }
}

function tensorOf(xs: readonly number[]): Tensor {
  return fromTypedArray(new Float32Array(xs), [xs.length]);
}

/** A per-gene location [G] broadcast to `shape` (whose last axis is the gene axis). */
export function geneLocTensor(geneLoc: readonly number[], shape: readonly number[]): Tensor {
  if (shape[shape.length - 1] !== geneLoc.length)
    throw new Error(
      `per-gene prior location has ${geneLoc.length} values, the site's gene axis ${shape[shape.length - 1]}`,
    );
  const t = tensorOf(geneLoc);
  return shape.length === 1 ? t : t.expand([...shape]);
}
