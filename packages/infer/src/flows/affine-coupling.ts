/**
 * Affine coupling (Real NVP: Dinh et al. 2017, "Density estimation using Real NVP", §3.3):
 * the kept coordinates x_k pass through; the others become x·exp(s(x_k)) + t(x_k), with
 * log |det J| = Σ s over the transformed coordinates.
 * @module
 */
import { type DType, type Key, split, type Tensor, where } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { type ConditionerOptions, DenseConditioner } from "./conditioner.js";
import { CouplingMask } from "./coupling-mask.js";
import { type FlowLayer, type FlowPass, FlowTransform, pickParams, softClamp } from "./flow-transform.js";

/** Options of the coupling flows. */
export interface CouplingOptions extends ConditionerOptions {
  /** Which coordinates are kept: 0 the even ones, 1 the odd ones (default 0). */
  parity?: 0 | 1;
  /** Soft clamp c of the log-scales: s = c·tanh(s_raw/c) (default 5; null: none). */
  logScaleClamp?: number | null;
}

/** Checked clamp bound. */
export function clampBound(opts: { logScaleClamp?: number | null }, where: string): number | null {
  const c = opts.logScaleClamp === undefined ? 5 : opts.logScaleClamp;
  if (c !== null && !(c > 0)) throw new Error(`${where}: logScaleClamp must be positive or null, got ${c}`);
  return c;
}

/**
 * An affine coupling layer over R^dim. Its conditioner's output layer starts at zero, so a
 * fresh layer is the identity.
 * @example
 * const layer = new AffineCoupling(2);
 * const t = layer.bind(layer.init(key(0)));
 * t.forward(tensor([[0.5, -1]])); // [[0.5, -1]]: identity at initialisation
 */
export class AffineCoupling implements FlowLayer {
  readonly paramNames: readonly string[];
  /** The kept/transformed split. */
  readonly mask: CouplingMask;
  /** The network giving (shift, raw log-scale) for every coordinate from the kept ones. */
  readonly conditioner: DenseConditioner;
  readonly #clamp: number | null;
  readonly #dtype: DType;

  constructor(
    readonly dim: number,
    opts: CouplingOptions = {},
  ) {
    this.mask = new CouplingMask(dim, opts.parity ?? 0);
    this.conditioner = new DenseConditioner(dim, 2 * dim, opts);
    this.#clamp = clampBound(opts, "AffineCoupling");
    this.#dtype = opts.dtype ?? "float32";
    this.paramNames = this.conditioner.paramNames;
  }

  init(k: Key | null): Record<string, Tensor> {
    return this.conditioner.init(k);
  }

  bind(params: Record<string, Tensor>): FlowTransform {
    return new AffineCouplingTransform(this, pickParams("AffineCoupling", this.paramNames, params));
  }

  /** Shift and (clamped) log-scale of every coordinate, from the kept coordinates of `x`, with `math`. */
  shiftAndLogScale(
    params: Record<string, Tensor>,
    x: Tensor,
    math: ElementwiseMath = engineMath,
  ): { shift: Tensor; logScale: Tensor } {
    const kept = x.mul(this.mask.keptTensor(x.dtype === "float64" ? "float64" : this.#dtype));
    const [shift, raw] = split(this.conditioner.apply(params, kept, math), 2, -1) as [Tensor, Tensor];
    return { shift, logScale: softClamp(raw, this.#clamp, math) };
  }
}

/** The bijection of an {@link AffineCoupling} layer under fixed params. */
export class AffineCouplingTransform extends FlowTransform {
  constructor(
    readonly layer: AffineCoupling,
    readonly params: Record<string, Tensor>,
  ) {
    super();
  }

  get dim(): number {
    return this.layer.dim;
  }

  forwardPass(x: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    const { shift, logScale } = this.layer.shiftAndLogScale(this.params, x, math);
    const keep = this.layer.mask.keptBool();
    const out = where(keep, x, x.mul(math.exp(logScale)).add(shift));
    return { out, logDet: where(keep, 0, logScale).sum([-1]) };
  }

  inversePass(y: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    // The kept coordinates of y are those of x, so the conditioner sees the same input.
    const { shift, logScale } = this.layer.shiftAndLogScale(this.params, y, math);
    const keep = this.layer.mask.keptBool();
    const out = where(keep, y, y.sub(shift).mul(math.exp(logScale.neg())));
    return { out, logDet: where(keep, 0, logScale).sum([-1]) };
  }
}
