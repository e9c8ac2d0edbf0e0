/**
 * SCRIBE's normalizing-flow guides (spec §3 "normalizing flow", `guide_flow`): each gene-level
 * core parameter (r or mu, the gate, every TwoState rate) gets its own flow over its
 * unconstrained values, u = loc + scale ⊙ f(z), z ~ N(0, I_G), pushed through the parameter's
 * transform (exp for LogNormal priors, the Normal + transform's own, sigmoid for a Beta
 * prior). f is a stack of `@scribe/infer` flow layers (spline coupling, affine coupling, MAF
 * or IAF; SCRIBE's defaults: 4 layers, hidden [64, 64], 8 bins) whose output layers start at
 * zero, so the guide starts as a mean-field Normal and learns the skew and the dependence
 * between genes that a Normal cannot express. Scalar and per-cell sites keep their mean-field
 * factors. Param names: `{site}_flow_loc`, `{site}_flow_scale` and
 * `{site}_flow$params.{layer}.{name}`.
 *
 * Every pass of the chain (flow layers, affine, the site transform) remembers its last
 * (input, output) pair, so scoring a draw the guide just made costs no inverse pass (the IAF's
 * inverse would take G sequential passes).
 * @module
 */
import { type DType, type Key, type Shape, type Tensor, zeros } from "@scribe/core";
import { type Constraint, Normal, Transform, TransformedDistribution } from "@scribe/distributions";
import {
  ElementwiseAffine,
  type FlowKind,
  type FlowTransform,
  type NormalizingFlow,
  type NormalizingFlowOptions,
  normalizingFlow,
} from "@scribe/infer";
import type { ModelConfig } from "../models/config.js";
import { geneLocTensor, type SiteSpec } from "../models/sites.js";
import { makeTransform, type TransformName } from "../models/transformed-normal.js";
import type { ParamGetter } from "./factors.js";

/** Settings of the flow guide: the flow's options (SCRIBE's defaults unless given) and the start scale. */
export interface GuideFlowOptions extends Omit<NormalizingFlowOptions, "dtype"> {
  /** Initial scale of the final affine map (default 0.1, as AutoNormal). */
  initScale?: number;
}

/** SCRIBE's flow-guide defaults (spec §7.1 `guide_flow`: layers 4, hidden [64, 64], bins 8). */
export const GUIDE_FLOW_DEFAULTS = { numLayers: 4, hiddenDims: [64, 64], numBins: 8 } as const;

/** Whether `spec` gets a flow under `cfg`: a gene-level core site with a LogNormal, Normal + transform or Beta prior. */
export function isFlowSite(cfg: ModelConfig, spec: SiteSpec): boolean {
  if (cfg.guideFlow === null || spec.cell || spec.role !== "core") return false;
  if (spec.shape.length !== 1 || spec.shape[0] !== cfg.nGenes) return false;
  const k = spec.family.kind;
  return k === "lognormal" || k === "tnormal" || k === "beta";
}

/** The flow guide's parameter names of a site (the flow's own from `flow.paramNames`). */
export function flowParamNames(cfg: ModelConfig, spec: SiteSpec): string[] {
  const p = `${spec.name}_flow`;
  return [`${p}_loc`, `${p}_scale`, ...siteFlow(cfg, spec).paramNames.map((n) => `${p}$params.${n}`)];
}

// One flow object per kind, size and settings: its layers hold constant masks kept across steps.
const FLOWS = new Map<string, NormalizingFlow>();

function siteFlow(cfg: ModelConfig, spec: SiteSpec): NormalizingFlow {
  const kind = cfg.guideFlow;
  if (kind === null) throw new Error(`site '${spec.name}': no guideFlow configured`);
  const { initScale: _s, ...flowOpts } = cfg.guideFlowOptions;
  const opts: NormalizingFlowOptions = { ...GUIDE_FLOW_DEFAULTS, ...flowOpts };
  const D = spec.shape[0]!;
  const id = JSON.stringify([kind, D, opts]);
  let f = FLOWS.get(id);
  if (!f) {
    f = normalizingFlow(kind as FlowKind, D, opts);
    FLOWS.set(id, f);
  }
  return f;
}

/**
 * A transform that remembers its last forward pair, so the guide scores its own draw
 * without inverting (exp, softplus and sigmoid are cheap, but their inverse would hand the
 * flow layers a new tensor and make them invert too).
 */
class RememberingTransform extends Transform {
  #last: { x: Tensor; y: Tensor } | null = null;

  constructor(readonly inner: Transform) {
    super();
  }
  get domain(): Constraint {
    return this.inner.domain;
  }
  get codomain(): Constraint {
    return this.inner.codomain;
  }
  forward(x: Tensor): Tensor {
    const y = this.inner.forward(x);
    this.#last = { x, y };
    return y;
  }
  inverse(y: Tensor): Tensor {
    const c = this.#last;
    if (c && c.y === y && !c.x.isDisposed) return c.x;
    return this.inner.inverse(y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.inner.logAbsDetJacobian(x, y);
  }
  override forwardShape(shape: Shape): number[] {
    return this.inner.forwardShape(shape);
  }
  override inverseShape(shape: Shape): number[] {
    return this.inner.inverseShape(shape);
  }
}

/**
 * The flow factor of one site: the law of T(loc + scale ⊙ f(z)), z ~ N(0, I_G), event shape [G].
 * @example
 * // fragment: the factor of r in fitted results with guideFlow "affine_coupling"
 * const q = flowFactor(cfg, rSpec, (name) => params[name]!);
 * q.sample(key(0), [100]).shape; // [100, G]
 */
export class FlowGuideFactor extends TransformedDistribution {
  constructor(
    readonly dim: number,
    /** The flow layers' bijections, first applied first. */
    readonly flowTransforms: readonly FlowTransform[],
    /** u = loc + scale ⊙ x. */
    readonly affine: ElementwiseAffine,
    /** The site's constraining transform (exp, softplus, sigmoid, identity). */
    readonly siteTransform: Transform,
    dtype: DType = "float32",
  ) {
    const f = dtype === "float64" ? "float64" : "float32";
    super(new Normal(zeros([dim], f), zeros([dim], f).add(1)).toEvent(1), [
      ...flowTransforms,
      affine,
      new RememberingTransform(siteTransform),
    ]);
  }

  /**
   * The image of the base distribution's centre (z = 0) in the site's constrained space: a
   * central point of the guide (NumPyro's flow-guide median), used as its point estimate. For
   * a flow that mixes coordinates it is not the coordinatewise median of the marginals.
   */
  centralValue(): Tensor {
    const z = zeros([this.dim], this.affine.loc.dtype === "float64" ? "float64" : "float32");
    const u = this.flowTransforms.reduce((x, t) => t.forward(x), z);
    return this.siteTransform.forward(u.mul(this.affine.scale).add(this.affine.loc));
  }
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** The site's constraining transform and the unconstrained starting location. */
function siteSpace(spec: SiteSpec, G: number): { transform: TransformName; loc0: Tensor } {
  const f = spec.family;
  switch (f.kind) {
    case "lognormal":
      return { transform: "exp", loc0: f.geneLoc ? geneLocTensor(f.geneLoc, [G]) : zeros([G]).add(f.loc) };
    case "tnormal":
      return {
        transform: f.transform,
        loc0: f.geneLoc
          ? geneLocTensor(f.geneLoc, [G])
          : zeros([G]).add(typeof f.loc === "number" ? f.loc : 0),
      };
    case "beta":
      return { transform: "sigmoid", loc0: zeros([G]).add(logit(f.a / (f.a + f.b))) };
    default:
      throw new Error(`guideFlow: site '${spec.name}' has a ${f.kind} prior; no flow factor for it`);
  }
}

/**
 * The flow factor of a gene-level site (see the module doc), its params through `get`:
 * `param()` in the guide, a lookup in fitted results.
 */
export function flowFactor(cfg: ModelConfig, spec: SiteSpec, get: ParamGetter): FlowGuideFactor {
  const G = spec.shape[0]!;
  const flow = siteFlow(cfg, spec);
  const p = `${spec.name}_flow`;
  const initScale = cfg.guideFlowOptions.initScale ?? 0.1;
  if (!(initScale > 0)) throw new Error(`guideFlowOptions.initScale must be positive, got ${initScale}`);
  const { transform, loc0 } = siteSpace(spec, G);
  const loc = get(`${p}_loc`, loc0, {});
  const scale = get(`${p}_scale`, zeros([G]).add(initScale), { positive: true });
  // as core's `module`: the flow's init runs once, with the key of the first param needing it
  let initial: Record<string, Tensor> | null = null;
  const params: Record<string, Tensor> = {};
  for (const n of flow.paramNames)
    params[n] = get(
      `${p}$params.${n}`,
      (k: Key | null) => {
        initial ??= flow.init(k);
        const v = initial[n];
        if (!v) throw new Error(`guideFlow: the flow's init did not return '${n}'`);
        return v;
      },
      {},
    );
  if (loc.shape.length !== 1 || loc.shape[0] !== G)
    throw new Error(
      `guideFlow: site '${spec.name}': ${p}_loc has shape [${loc.shape}], expected [${G}] (flow-guide results cannot be subset by genes)`,
    );
  return new FlowGuideFactor(
    G,
    flow.transforms(params),
    new ElementwiseAffine(loc, scale),
    makeTransform(transform),
    flow.dtype,
  );
}
