/**
 * Rational-quadratic spline coupling (Durkan et al. 2019, "Neural Spline Flows", §3.2): the
 * kept coordinates pass through and parametrise, through a conditioner network, a monotone
 * rational-quadratic spline on [−B, B] (identity outside) applied to each transformed one.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import { split, where } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { type ConditionerOptions, DenseConditioner } from "./conditioner.js";
import { CouplingMask } from "./coupling-mask.js";
import { type FlowLayer, type FlowPass, FlowTransform, pickParams } from "./flow-transform.js";
import {
  rationalQuadraticSpline,
  type SplineFloors,
  type SplineParams,
} from "./rational-quadratic-spline.js";

/** Options of {@link SplineCoupling}. */
export interface SplineCouplingOptions extends ConditionerOptions, SplineFloors {
  /** Which coordinates are kept: 0 the even ones, 1 the odd ones (default 0). */
  parity?: 0 | 1;
  /** Number of bins K (default 8). */
  numBins?: number;
  /** Tail bound B: the spline acts on [−B, B] (default 3). */
  tailBound?: number;
}

/**
 * A rational-quadratic spline coupling layer over R^dim. All-zero conditioner outputs give
 * equal bins and unit slopes, i.e. the identity, and the output layer starts at zero.
 * @example
 * const layer = new SplineCoupling(3, { numBins: 8, tailBound: 3 });
 * const t = layer.bind(layer.init(key(0)));
 * t.forward(tensor([[0.5, -1, 4]])); // [[0.5, -1, 4]] at initialisation
 */
export class SplineCoupling implements FlowLayer {
  readonly paramNames: readonly string[];
  /** The kept/transformed split. */
  readonly mask: CouplingMask;
  /** The network giving every coordinate's 3K − 1 spline parameters from the kept ones. */
  readonly conditioner: DenseConditioner;
  /** Number of bins. */
  readonly numBins: number;
  /** Tail bound B. */
  readonly tailBound: number;
  readonly #floors: SplineFloors;

  constructor(
    readonly dim: number,
    opts: SplineCouplingOptions = {},
  ) {
    this.numBins = opts.numBins ?? 8;
    this.tailBound = opts.tailBound ?? 3;
    if (!(Number.isInteger(this.numBins) && this.numBins >= 2))
      throw new Error(`SplineCoupling: numBins must be an integer ≥ 2, got ${opts.numBins}`);
    if (!(this.tailBound > 0))
      throw new Error(`SplineCoupling: tailBound must be positive, got ${opts.tailBound}`);
    this.mask = new CouplingMask(dim, opts.parity ?? 0);
    this.conditioner = new DenseConditioner(dim, dim * (3 * this.numBins - 1), opts);
    this.paramNames = this.conditioner.paramNames;
    this.#floors = {
      minBinWidth: opts.minBinWidth,
      minBinHeight: opts.minBinHeight,
      minDerivative: opts.minDerivative,
    };
  }

  init(k: Key | null): Record<string, Tensor> {
    return this.conditioner.init(k);
  }

  bind(params: Record<string, Tensor>): FlowTransform {
    return new SplineCouplingTransform(this, pickParams("SplineCoupling", this.paramNames, params));
  }

  /** Spline parameters of every coordinate, from the kept coordinates of `x` (network evaluated with `math`). */
  splineParams(params: Record<string, Tensor>, x: Tensor, math: ElementwiseMath = engineMath): SplineParams {
    const kept = x.mul(this.mask.keptTensor(x.dtype === "float64" ? "float64" : "float32"));
    const raw = this.conditioner.apply(params, kept, math);
    const k = this.numBins;
    const shaped = raw.reshape([...raw.shape.slice(0, -1), this.dim, 3 * k - 1]);
    const [widths, heights, derivatives] = split(shaped, [k, k, k - 1], -1) as [Tensor, Tensor, Tensor];
    return { widths, heights, derivatives };
  }

  /** Spline pass over `v` (the transformed coordinates change, the kept ones stay), with `math`. */
  pass(
    params: Record<string, Tensor>,
    v: Tensor,
    inverse: boolean,
    math: ElementwiseMath = engineMath,
  ): FlowPass {
    const sp = this.splineParams(params, v, math);
    const { out, logDet } = rationalQuadraticSpline(v, sp, this.tailBound, inverse, this.#floors, math);
    const keep = this.mask.keptBool();
    return { out: where(keep, v, out), logDet: where(keep, 0, logDet).sum([-1]) };
  }
}

/** The bijection of a {@link SplineCoupling} layer under fixed params. */
export class SplineCouplingTransform extends FlowTransform {
  constructor(
    readonly layer: SplineCoupling,
    readonly params: Record<string, Tensor>,
  ) {
    super();
  }

  get dim(): number {
    return this.layer.dim;
  }

  forwardPass(x: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    return this.layer.pass(this.params, x, false, math);
  }

  inversePass(y: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    return this.layer.pass(this.params, y, true, math);
  }
}
