/**
 * Normalizing-flow autoguides (NumPyro's AutoNormalizingFlow family): the flat vector of all
 * latent sites in unconstrained space is u = loc + scale ⊙ f(z), z ~ N(0, I), with f a stack
 * of flow layers (affine coupling, spline coupling, MAF or IAF). The flows start at the
 * identity (zero-initialised output layers), so the guide starts as AutoDiagonalNormal with
 * the same loc and scale, and learns the dependence and skew a Normal cannot express.
 * @module
 */
import { full, param, type Tensor, zeros } from "@scribe/core";
import { type Distribution, Normal, positive, TransformedDistribution } from "@scribe/distributions";
import { ElementwiseAffine } from "../flows/elementwise-affine.js";
import {
  FLOW_KINDS,
  type FlowKind,
  type NormalizingFlow,
  type NormalizingFlowOptions,
  normalizingFlow,
} from "../flows/normalizing-flow.js";
import { AutoContinuous, type GuideParams } from "./auto-continuous.js";
import type { AutoGuideOptions } from "./auto-guide.js";

/** Options of the flow autoguides: the flow's own options plus the guide's. */
export interface AutoFlowOptions extends AutoGuideOptions, NormalizingFlowOptions {
  /** Initial scale of the final elementwise affine map (default 0.1, as AutoNormal). */
  initScale?: number;
}

/** Options of {@link AutoNormalizingFlow}: which flow, and its options. */
export interface AutoNormalizingFlowOptions extends AutoFlowOptions {
  /** The flow kind (SCRIBE's `guide_flow` names). */
  flow: FlowKind;
}

/**
 * A flow guide over the flat unconstrained latent vector. Params: `${prefix}_loc`,
 * `${prefix}_scale` (positive) and the flow's `${prefix}_flow$params.${layer}.${name}`.
 * Sampling costs one pass per layer for coupling flows and IAF, D passes per layer for MAF
 * (its inverse is the fast direction). Like the other flat-vector guides it needs full plates.
 * @example
 * const model = () => {
 *   const x1 = sample("x1", new Normal(0, 1));
 *   sample("x2", new Normal(x1.square().sub(1), 1)); // a banana
 * };
 * const guide = new AutoNormalizingFlow(model, { flow: "affine_coupling", numLayers: 2, hiddenDims: [16] });
 * const { params } = await new SVI(model, guide, adam(0.01), new TraceELBO()).run(key(0), 100, []);
 * guide.samplePosterior(key(1), params, [500]).x2!.shape; // [500]
 */
export class AutoNormalizingFlow<A extends unknown[]> extends AutoContinuous<A> {
  /** The flow kind. */
  readonly flowKind: FlowKind;
  /** Initial scale of the final affine map. */
  readonly initScale: number;
  readonly #flowOpts: NormalizingFlowOptions;
  #flow: NormalizingFlow | null = null;

  constructor(model: (...args: A) => unknown, opts: AutoNormalizingFlowOptions) {
    super(model, opts);
    const name = new.target?.name ?? "AutoNormalizingFlow";
    if (!FLOW_KINDS.includes(opts.flow))
      throw new Error(`${name}: unknown flow '${String(opts.flow)}' (known: ${FLOW_KINDS.join(", ")})`);
    this.flowKind = opts.flow;
    this.initScale = opts.initScale ?? 0.1;
    if (!(this.initScale > 0)) throw new Error(`${name}: initScale must be positive, got ${opts.initScale}`);
    const { flow: _f, prefix: _p, initLocFn: _i, initScale: _s, ...flowOpts } = opts;
    this.#flowOpts = flowOpts;
  }

  /** The flow over the latent vector (built on the guide's first call, when D is known). */
  get flow(): NormalizingFlow {
    if (!this.#flow) {
      this.requirePrototype("flow");
      const dtype = this.initLatent().dtype === "float64" ? "float64" : (this.#flowOpts.dtype ?? "float32");
      this.#flow = normalizingFlow(this.flowKind, this.latentDim, { ...this.#flowOpts, dtype });
    }
    return this.#flow;
  }

  /** Name of a flow param in the params record. */
  #flowParam(p: string): string {
    return `${this.prefix}_flow$params.${p}`;
  }

  protected declareParams(): Record<string, Tensor> {
    const u0 = this.initLatent();
    const flow = this.flow;
    const out: Record<string, Tensor> = {
      [`${this.prefix}_loc`]: param(`${this.prefix}_loc`, u0),
      [`${this.prefix}_scale`]: param(`${this.prefix}_scale`, full(u0.shape, this.initScale, u0.dtype), {
        constraint: positive,
      }),
    };
    // As core's `module`: the flow's init runs once, with the key of the first param needing it.
    let initial: Record<string, Tensor> | null = null;
    for (const p of flow.paramNames) {
      const name = this.#flowParam(p);
      out[name] = param(name, (k) => {
        initial ??= flow.init(k);
        const v = initial[p];
        if (!v) throw new Error(`${this.constructor.name}: the flow's init did not return '${p}'`);
        return v;
      });
    }
    return out;
  }

  /** The flow's params, by the flow's own names. */
  #flowParams(params: GuideParams): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const p of this.flow.paramNames) out[p] = this.need(params, `flow$params.${p}`);
    return out;
  }

  latentDistribution(params: GuideParams): Distribution {
    const d = this.latentDim;
    const f = this.flow.dtype === "float64" ? "float64" : "float32";
    const base = new Normal(zeros([d], f), full([d], 1, f)).toEvent(1);
    const affine = new ElementwiseAffine(this.need(params, "loc"), this.need(params, "scale"));
    return new TransformedDistribution(base, [...this.flow.transforms(this.#flowParams(params)), affine]);
  }

  protected marginals(): { loc: Tensor; scale: Tensor } {
    throw new Error(
      `${this.constructor.name}: a flow guide's marginals are not Normal; use samplePosterior (or median for the image of the base median)`,
    );
  }

  /**
   * The image of the base distribution's median (z = 0) under the flow, constrained. For a
   * flow that mixes coordinates this is a central point of the guide, not the coordinatewise
   * median of its marginals (as NumPyro's flow guides).
   */
  override median(params: GuideParams): Record<string, Tensor> {
    const f = this.flow.dtype === "float64" ? "float64" : "float32";
    const z = zeros([this.latentDim], f);
    const u = this.flow
      .transforms(this.#flowParams(params))
      .reduce((x, t) => t.forward(x), z)
      .mul(this.need(params, "scale"))
      .add(this.need(params, "loc"));
    return this.constrain(this.unpackLatent(u));
  }

  /** Not available: a flow's marginal quantiles have no closed form (draw with samplePosterior). */
  override quantiles(): Record<string, Tensor> {
    throw new Error(
      `${this.constructor.name}.quantiles: a flow guide's marginal quantiles have no closed form; estimate them from samplePosterior draws`,
    );
  }
}

/**
 * Inverse autoregressive flow guide (NumPyro's AutoIAFNormal; Kingma et al. 2016): fast
 * sampling, and the draws' densities come from the same pass.
 * @example
 * // fragment: `model` as in AutoNormalizingFlow's example
 * const guide = new AutoIAFNormal(model, { numLayers: 3, hiddenDims: [32, 32] });
 */
export class AutoIAFNormal<A extends unknown[]> extends AutoNormalizingFlow<A> {
  constructor(model: (...args: A) => unknown, opts: AutoFlowOptions = {}) {
    super(model, { ...opts, flow: "iaf" });
  }
}

/**
 * Masked autoregressive flow guide (Papamakarios et al. 2017): fast densities, sampling takes
 * D passes per layer.
 * @example
 * // fragment: `model` as in AutoNormalizingFlow's example
 * const guide = new AutoMAFNormal(model, { numLayers: 2 });
 */
export class AutoMAFNormal<A extends unknown[]> extends AutoNormalizingFlow<A> {
  constructor(model: (...args: A) => unknown, opts: AutoFlowOptions = {}) {
    super(model, { ...opts, flow: "maf" });
  }
}

/**
 * Affine coupling (Real NVP) flow guide.
 * @example
 * // fragment: `model` as in AutoNormalizingFlow's example
 * const guide = new AutoAffineCouplingFlow(model, { numLayers: 4, hiddenDims: [64, 64], layerNorm: true });
 */
export class AutoAffineCouplingFlow<A extends unknown[]> extends AutoNormalizingFlow<A> {
  constructor(model: (...args: A) => unknown, opts: AutoFlowOptions = {}) {
    super(model, { ...opts, flow: "affine_coupling" });
  }
}

/**
 * Rational-quadratic spline coupling flow guide (Durkan et al. 2019).
 * @example
 * // fragment: `model` as in AutoNormalizingFlow's example
 * const guide = new AutoSplineCouplingFlow(model, { numLayers: 4, numBins: 8, tailBound: 3 });
 */
export class AutoSplineCouplingFlow<A extends unknown[]> extends AutoNormalizingFlow<A> {
  constructor(model: (...args: A) => unknown, opts: AutoFlowOptions = {}) {
    super(model, { ...opts, flow: "spline_coupling" });
  }
}
