/**
 * SCRIBE's normalizing-flow guides (SCRIBE normalizing-flow guides, `guide_flow`): each gene-level
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
 * Mixtures: a [K, G] site gets one batched flow over G whose layers are shared by the K
 * components, with a per-component loc and scale [K, G]: the components differ mostly in
 * where they sit and how wide they are (the affine), the skew and the gene dependence the
 * layers learn are alike across components, and one pass over [S, K, G] costs what one flow
 * costs, with a parameter count independent of K (K separate flows would multiply both).
 *
 * Joint (`guideFlowOptions.independent: false`, SCRIBE's `independent`): one flow over the
 * concatenated unconstrained values of every flow-able core site ([G] and scalar: r and p,
 * mu and phi, the gate), u = loc + scale ⊙ f(z), z ~ N(0, I_D), D = Σ sizes, so the flow can
 * couple parameters (the r–p ridge of nbdm). The guide samples u as an auxiliary site
 * (`joint_flow$latent`) and each parameter as a Delta at T_site(u_site) carrying −log|T'|, so
 * log q sums to the joint density of the parameters. Params `joint_flow_loc`,
 * `joint_flow_scale`, `joint_flow$params.{layer}.{name}`.
 *
 * Joint flow of a mixture: the component-specific sites ([K, G] and [K]) are concatenated per
 * component into u [K, D], one batched flow over D with layers shared by the components and a
 * per-component loc and scale [K, D] (as the per-parameter mixture flow); the gene parameter's
 * loc starts at the k-means component start, as the other mixture factors do (without it the
 * components start alike and only the draws' noise tells them apart). A component's row is the
 * non-mixture joint flow over its own parameters; the flow-able parameters shared by the
 * components keep mean-field factors.
 *
 * Every pass of the chain (flow layers, affine, the site transform) remembers its last
 * (input, output) pair, so scoring a draw the guide just made costs no inverse pass (the IAF's
 * inverse would take G sequential passes).
 * @module
 */
import {
  concat,
  type DType,
  type Key,
  type Shape,
  sample,
  specialScalar,
  type Tensor,
  zeros,
} from "@scribe/core";
import {
  AffineTransform,
  type Constraint,
  Delta,
  Distribution,
  Normal,
  real,
  Transform,
  TransformedDistribution,
} from "@scribe/distributions";
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
  /** Initial scale of the final affine map (default: each site's mean-field start, the prior's spread; see `siteSpace`). */
  initScale?: number;
  /**
   * SCRIBE's `independent` (default true): one flow per parameter; false: one joint flow over
   * the concatenated core parameters (module notes; in a mixture over each component's own).
   */
  independent?: boolean;
}

/** SCRIBE's flow-guide defaults (`scribe-infer`'s `guide_flow`: layers 4, hidden [64, 64], bins 8). */
export const GUIDE_FLOW_DEFAULTS = { numLayers: 4, hiddenDims: [64, 64], numBins: 8 } as const;

/** The core sites a flow can carry: LogNormal, Normal + transform or Beta priors, not per cell. */
function flowable(cfg: ModelConfig, spec: SiteSpec): boolean {
  if (cfg.guideFlow === null || spec.cell || spec.role !== "core") return false;
  const k = spec.family.kind;
  return k === "lognormal" || k === "tnormal" || k === "beta";
}

/** Whether the flow guide is the joint one (`guideFlowOptions.independent: false`). */
function jointFlow(cfg: ModelConfig): boolean {
  return cfg.guideFlow !== null && cfg.guideFlowOptions.independent === false;
}

/**
 * Whether `spec` gets its own flow under `cfg`: a gene-level core site ([G], or [K, G] in a
 * mixture) with a LogNormal, Normal + transform or Beta prior, when the flows are per parameter.
 */
export function isFlowSite(cfg: ModelConfig, spec: SiteSpec): boolean {
  if (!flowable(cfg, spec) || jointFlow(cfg)) return false;
  const s = spec.shape;
  if (s.length === 1) return s[0] === cfg.nGenes;
  return s.length === 2 && cfg.nComponents > 1 && s[0] === cfg.nComponents && s[1] === cfg.nGenes;
}

/**
 * Whether `spec` belongs to the joint flow (`independent: false`): a flow-able core site of
 * shape [G] or []; in a mixture one of shape [K, G] or [K] (a component's own parameter; the
 * parameters shared by the components keep their mean-field factors).
 */
export function isJointFlowSite(cfg: ModelConfig, spec: SiteSpec): boolean {
  if (!flowable(cfg, spec) || !jointFlow(cfg)) return false;
  const s = spec.shape;
  const K = cfg.nComponents;
  if (K > 1) return s[0] === K && (s.length === 1 || (s.length === 2 && s[1] === cfg.nGenes));
  return s.length === 0 || (s.length === 1 && s[0] === cfg.nGenes);
}

/**
 * The flow-able core sites a mixture's joint flow leaves to mean-field factors (those shared by
 * the components, no component axis): non-empty means one component's joint flow differs from
 * the non-mixture one over the same parameters (`getComponent` refuses it).
 */
export function jointFlowSharedSites(cfg: ModelConfig, specs: readonly SiteSpec[]): string[] {
  if (!jointFlow(cfg) || cfg.nComponents < 2) return [];
  return specs.filter((s) => flowable(cfg, s) && !isJointFlowSite(cfg, s)).map((s) => s.name);
}

/** The flow guide's parameter names of a site (the flow's own from `flow.paramNames`). */
export function flowParamNames(cfg: ModelConfig, spec: SiteSpec): string[] {
  const p = `${spec.name}_flow`;
  return [
    `${p}_loc`,
    `${p}_scale`,
    ...siteFlow(cfg, spec.shape[spec.shape.length - 1]!).paramNames.map((n) => `${p}$params.${n}`),
  ];
}

// One flow object per kind, size and settings: its layers hold constant masks kept across steps.
const FLOWS = new Map<string, NormalizingFlow>();

function siteFlow(cfg: ModelConfig, D: number): NormalizingFlow {
  const kind = cfg.guideFlow;
  if (kind === null) throw new Error("flow guide: no guideFlow configured");
  const { initScale: _s, independent: _i, ...flowOpts } = cfg.guideFlowOptions;
  const opts: NormalizingFlowOptions = { ...GUIDE_FLOW_DEFAULTS, ...flowOpts };
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
 * flow layers a new tensor and make them invert too). Draws go through the inner transform's
 * portable draw map (`drawForward`), log-densities through its ordinary one.
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
    return this.#remember(x, this.inner.forward(x));
  }
  override drawForward(x: Tensor): Tensor {
    return this.#remember(x, this.inner.drawForward(x));
  }
  inverse(y: Tensor): Tensor {
    return this.#recall(y) ?? this.inner.inverse(y);
  }
  override drawInverse(y: Tensor): Tensor {
    return this.#recall(y) ?? this.inner.drawInverse(y);
  }
  #remember(x: Tensor, y: Tensor): Tensor {
    this.#last = { x, y };
    return y;
  }
  /** The remembered x of `y`, if `y` is the last forward output. */
  #recall(y: Tensor): Tensor | null {
    const c = this.#last;
    return c && c.y === y && !c.x.isDisposed ? c.x : null;
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
 * The flow factor of one site: the law of T(loc + scale ⊙ f(z)), z ~ N(0, I), event shape
 * [G] (or [K, G] for a mixture site: f acts on each component's row).
 * @example
 * // fragment: the factor of r in fitted results with guideFlow "affine_coupling"
 * const q = flowFactor(cfg, rSpec, (name) => params[name]!);
 * q.sample(key(0), [100]).shape; // [100, G]
 */
export class FlowGuideFactor extends TransformedDistribution {
  /** Location of the affine map u = loc + scale ⊙ x (shape of the site). */
  readonly loc: Tensor;
  /** Scale of the affine map. */
  readonly scale: Tensor;

  constructor(
    /** Shape of one draw: [G] or [K, G]. */
    readonly siteShape: readonly number[],
    /** The flow layers' bijections, first applied first. */
    readonly flowTransforms: readonly FlowTransform[],
    loc: Tensor,
    scale: Tensor,
    /** The site's constraining transform (exp, softplus, sigmoid, identity). */
    readonly siteTransform: Transform,
    dtype: DType = "float32",
  ) {
    const f = dtype === "float64" ? "float64" : "float32";
    // [G]: the flow's own affine (it remembers its pair); [K, G]: an elementwise affine, remembered here
    const affine =
      siteShape.length === 1
        ? new ElementwiseAffine(loc, scale)
        : new RememberingTransform(new AffineTransform(loc, scale, real));
    super(new Normal(zeros([...siteShape], f), zeros([...siteShape], f).add(1)).toEvent(siteShape.length), [
      ...flowTransforms,
      affine,
      new RememberingTransform(siteTransform),
    ]);
    this.loc = loc;
    this.scale = scale;
  }

  /**
   * The image of the base distribution's centre (z = 0) in the site's constrained space: a
   * central point of the guide (NumPyro's flow-guide median), used as its point estimate. For
   * a flow that mixes coordinates it is not the coordinatewise median of the marginals.
   */
  centralValue(): Tensor {
    const z = zeros([...this.siteShape], this.loc.dtype === "float64" ? "float64" : "float32");
    const u = this.flowTransforms.reduce((x, t) => t.forward(x), z);
    return this.siteTransform.forward(u.mul(this.scale).add(this.loc));
  }
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * The site's constraining transform and the start of the affine map (shape of the site): loc0
 * the prior's centre, scale0 the spread the site's mean-field factor starts with (the prior's:
 * σ of a LogNormal or Normal + transform; for a Beta(a, b) the standard deviation of its logit,
 * √(ψ′(a) + ψ′(b))), so that with the layers' zero output the flow guide starts where the
 * mean-field guide does (a narrower start, AutoNormal's 0.1, left nbdm's p factor stuck wide:
 * ELBO −223.6 against mean-field's −110.8 on test/models/flow-guide-init.test.ts's data).
 */
function siteSpace(spec: SiteSpec): { transform: TransformName; loc0: Tensor; scale0: number } {
  const f = spec.family;
  const shape = [...spec.shape];
  switch (f.kind) {
    case "lognormal":
      return {
        transform: "exp",
        loc0: f.geneLoc ? geneLocTensor(f.geneLoc, shape) : zeros(shape).add(f.loc),
        scale0: f.scale,
      };
    case "tnormal":
      return {
        transform: f.transform,
        loc0: f.geneLoc
          ? geneLocTensor(f.geneLoc, shape)
          : zeros(shape).add(typeof f.loc === "number" ? f.loc : 0),
        scale0: typeof f.scale === "number" ? f.scale : 1,
      };
    case "beta":
      return {
        transform: "sigmoid",
        loc0: zeros(shape).add(logit(f.a / (f.a + f.b))),
        scale0: Math.sqrt(specialScalar.trigamma(f.a) + specialScalar.trigamma(f.b)),
      };
    default:
      throw new Error(`guideFlow: site '${spec.name}' has a ${f.kind} prior; no flow factor for it`);
  }
}

/** The initial scale of the flows' affine map: `guideFlowOptions.initScale` (checked), else the site's `scale0`. */
function initScaleOf(cfg: ModelConfig, scale0: number): number {
  const initScale = cfg.guideFlowOptions.initScale ?? scale0;
  if (!(initScale > 0)) throw new Error(`guideFlowOptions.initScale must be positive, got ${initScale}`);
  return initScale;
}

/** The flow's params under prefix `p` through `get` (as core's `module`: init runs once, with the first key needed). */
function flowParams(flow: NormalizingFlow, p: string, get: ParamGetter): Record<string, Tensor> {
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
  return params;
}

/**
 * The flow factor of a gene-level site (see the module doc), its params through `get`:
 * `param()` in the guide, a lookup in fitted results. `initLoc`: the unconstrained start of
 * loc (a mixture's k-means component start), else the prior's centre.
 */
export function flowFactor(
  cfg: ModelConfig,
  spec: SiteSpec,
  get: ParamGetter,
  opts: { initLoc?: Tensor | undefined } = {},
): FlowGuideFactor {
  const shape = [...spec.shape];
  const G = shape[shape.length - 1]!;
  const flow = siteFlow(cfg, G);
  const p = `${spec.name}_flow`;
  const { transform, loc0, scale0 } = siteSpace(spec);
  const loc = get(`${p}_loc`, opts.initLoc ?? loc0, {});
  const scale = get(`${p}_scale`, zeros(shape).add(initScaleOf(cfg, scale0)), { positive: true });
  const params = flowParams(flow, p, get);
  if (loc.shape.length !== shape.length || loc.shape.some((d, i) => d !== shape[i]))
    throw new Error(
      `guideFlow: site '${spec.name}': ${p}_loc has shape [${loc.shape}], expected [${shape}] (flow-guide results cannot be subset by genes)`,
    );
  return new FlowGuideFactor(
    shape,
    flow.transforms(params),
    loc,
    scale,
    makeTransform(transform),
    flow.dtype,
  );
}

/** The joint flow's parameter-name prefix and its auxiliary latent site. */
const JOINT = "joint_flow";
/** The guide's auxiliary site holding the joint flow's unconstrained draw u [D]. */
export const JOINT_FLOW_LATENT = `${JOINT}$latent`;

/**
 * One site of the joint flow: its offset and size along u's last axis; `scalar` when the site
 * has no gene axis ([] or, in a mixture, [K]), whose slice of size 1 drops that axis.
 */
interface JointSlot {
  spec: SiteSpec;
  offset: number;
  size: number;
  scalar: boolean;
}

/** The joint flow's sites in order, u's batch shape ([K] in a mixture, else []) and its size D. */
function jointLayout(cfg: ModelConfig, specs: readonly SiteSpec[]) {
  const batch = cfg.nComponents > 1 ? [cfg.nComponents] : [];
  const sites: JointSlot[] = [];
  let D = 0;
  for (const spec of specs) {
    if (!isJointFlowSite(cfg, spec)) continue;
    const scalar = spec.shape.length === batch.length;
    const size = scalar ? 1 : spec.shape[spec.shape.length - 1]!;
    sites.push({ spec, offset: D, size, scalar });
    D += size;
  }
  if (D < 2)
    throw new Error(
      `guideFlowOptions.independent false: the joint flow needs at least 2 coordinates, got ${D} (sites: ${sites.map((s) => s.spec.name).join(", ") || "none"})`,
    );
  return { sites, D, batch };
}

/** The joint flow's parameter names (all attributed to its first site). */
export function jointFlowParamNames(cfg: ModelConfig, specs: readonly SiteSpec[]): string[] {
  const { D } = jointLayout(cfg, specs);
  return [
    `${JOINT}_loc`,
    `${JOINT}_scale`,
    ...siteFlow(cfg, D).paramNames.map((n) => `${JOINT}$params.${n}`),
  ];
}

/**
 * The law of the joint flow's unconstrained u [D] ([K, D] in a mixture) and each site's slice
 * of it. `initLocs`: unconstrained starts of some sites' locs (the k-means component start of
 * the gene parameter), else the prior's centre.
 */
function jointLatent(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  initLocs: ReadonlyMap<string, Tensor>,
) {
  const layout = jointLayout(cfg, specs);
  const flow = siteFlow(cfg, layout.D);
  const shape = [...layout.batch, layout.D];
  const spaces = layout.sites.map(({ spec, size }) => ({ ...siteSpace(spec), spec, size }));
  const axis = layout.batch.length;
  const loc0 = concat(
    spaces.map((s) => (initLocs.get(s.spec.name) ?? s.loc0).reshape([...layout.batch, s.size])),
    axis,
  );
  const scale0 = concat(
    spaces.map((s) => zeros([...layout.batch, s.size]).add(initScaleOf(cfg, s.scale0))),
    axis,
  );
  const loc = get(`${JOINT}_loc`, loc0, {});
  const scale = get(`${JOINT}_scale`, scale0, { positive: true });
  if (loc.shape.length !== shape.length || loc.shape.some((d, i) => d !== shape[i]))
    throw new Error(
      `guideFlow: ${JOINT}_loc has shape [${loc.shape}], expected [${shape}] (flow-guide results cannot be subset by genes)`,
    );
  const q = new FlowGuideFactor(
    shape,
    flow.transforms(flowParams(flow, JOINT, get)),
    loc,
    scale,
    makeTransform("identity"),
    flow.dtype,
  );
  return { q, sites: layout.sites };
}

/** One site's value T(u_site) from the joint draw u [..., D] (T's portable draw map), with the slice u_site (last axis). */
function jointSiteValue(u: Tensor, site: JointSlot, transform: Transform): { x: Tensor; y: Tensor } {
  const lead = u.shape.slice(0, -1);
  let x = u.slice([...lead.map(() => 0), site.offset], [...lead, site.offset + site.size]);
  if (site.scalar) x = x.reshape(lead);
  return { x, y: transform.drawForward(x) };
}

/**
 * The joint flow in the guide: u from the flow as the auxiliary site {@link JOINT_FLOW_LATENT},
 * then each joint site as a Delta at its transformed slice, carrying −log|det T'| (module notes).
 */
export function sampleJointFlow(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  initLocs: ReadonlyMap<string, Tensor> = new Map(),
): void {
  const { q, sites } = jointLatent(cfg, specs, get, initLocs);
  const u = sample(JOINT_FLOW_LATENT, q, { infer: { isAuxiliary: true } });
  for (const site of sites) {
    const t = makeTransform(siteSpace(site.spec).transform);
    const { x, y } = jointSiteValue(u, site, t);
    let ladj = t.logAbsDetJacobian(x, y);
    // the Delta's event is the whole site ([G], [K, G], [K]): −log|det T'| sums over all its axes
    const eventDim = site.spec.shape.length;
    if (eventDim > 0) ladj = ladj.sum(Array.from({ length: eventDim }, (_, i) => -1 - i));
    sample(site.spec.name, new Delta(y, ladj.neg(), eventDim));
  }
}

/**
 * One site of the joint flow in fitted results: its marginal law (the flow's draw, sliced and
 * transformed) and the central value. The sites of one joint flow share their latest draw:
 * sampling each site once in turn (as `posteriorSamples` does, with its own key per site)
 * takes them from one joint draw, so the parameters keep the flow's dependence; a site drawn
 * again before its siblings gets a fresh draw. Its density has no closed form (logProb throws).
 */
export class JointFlowSite extends Distribution {
  static override readonly reparametrized = true;

  constructor(
    readonly latent: FlowGuideFactor,
    readonly site: JointSlot,
    readonly transform: Transform,
    private readonly shared: { last: { u: Tensor; shape: string; used: Set<string> } | null },
  ) {
    super([], [...site.spec.shape]);
  }

  override get support(): Constraint {
    return this.transform.codomain;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const name = this.site.spec.name;
    const shape = JSON.stringify(sampleShape);
    let last = this.shared.last;
    if (!last || last.used.has(name) || last.shape !== shape || last.u.isDisposed) {
      last = { u: this.latent.sample(key, sampleShape), shape, used: new Set() };
      this.shared.last = last;
    }
    last.used.add(name);
    return jointSiteValue(last.u, this.site, this.transform).y;
  }

  logProb(_value: Tensor): Tensor {
    throw new Error(
      `site '${this.site.spec.name}': the joint flow guide has no closed-form marginal density; use its draws`,
    );
  }

  /** The site's slice of the joint flow's central value (z = 0), transformed. */
  centralValue(): Tensor {
    return jointSiteValue(this.latent.centralValue(), this.site, this.transform).y;
  }
}

/** Each joint-flow site's {@link JointFlowSite} from fitted params. */
export function jointFlowMarginals(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  initLocs: ReadonlyMap<string, Tensor> = new Map(),
): Map<string, JointFlowSite> {
  const { q, sites } = jointLatent(cfg, specs, get, initLocs);
  const shared = { last: null };
  return new Map(
    sites.map((site) => [
      site.spec.name,
      new JointFlowSite(q, site, makeTransform(siteSpace(site.spec).transform), shared),
    ]),
  );
}
