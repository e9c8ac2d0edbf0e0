/**
 * The shared shape of a normalizing-flow layer: a bijection of R^D (event dim 1) that
 * returns its exact log |det ∂y/∂x| with each pass, and a {@link FlowLayer} that owns the
 * layer's params (core's `ModuleLike` convention: `paramNames`, `init`) and binds them into
 * a transform.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import {
  type Constraint,
  drawMath,
  type ElementwiseMath,
  engineMath,
  realVector,
  Transform,
} from "@scribe/distributions";

/** A pass through a flow layer: the output and log |det ∂y/∂x| (shape: input minus its last axis). */
export interface FlowPass {
  readonly out: Tensor;
  /** log |det ∂y/∂x| of the forward map, evaluated at the pair (x, y) of this pass. */
  readonly logDet: Tensor;
}

/**
 * A bijection of R^D whose forward and inverse passes each also give the forward
 * log-determinant. The last (x, y, log det) triple is remembered, as Pyro and NumPyro's
 * cached flow transforms do: `inverse(y)` of the `y` that `forward` just returned gives back
 * the very `x` (so a guide that samples through an IAF and then scores the draw needs no
 * sequential inverse, and the gradient reaches the params through the forward pass).
 */
export abstract class FlowTransform extends Transform {
  #last: { x: Tensor; y: Tensor; logDet: Tensor } | null = null;

  /** Size of the event (the D in R^D). */
  abstract get dim(): number;

  /**
   * y = f(x) and log |det ∂y/∂x|, with the elementwise functions of `math`: core's ordinary
   * ops (`engineMath`, log-densities) or the portable ones (`drawMath`, draws that have the
   * same bits in every JavaScript engine; see `Transform.drawForward`).
   */
  abstract forwardPass(x: Tensor, math?: ElementwiseMath): FlowPass;

  /** x = f⁻¹(y) and log |det ∂y/∂x| at that x, with the elementwise functions of `math`. */
  abstract inversePass(y: Tensor, math?: ElementwiseMath): FlowPass;

  get domain(): Constraint {
    return realVector;
  }

  get codomain(): Constraint {
    return realVector;
  }

  /** Throws unless the last axis of `t` is the flow's dim. */
  protected checkEvent(t: Tensor, what: string): void {
    if (t.rank === 0 || t.shape[t.rank - 1] !== this.dim)
      throw new Error(
        `${this.constructor.name}: ${what} has shape [${t.shape}]; its last axis must be the flow's dim ${this.dim}`,
      );
  }

  forward(x: Tensor): Tensor {
    return this.#forwardWith(x, engineMath);
  }

  inverse(y: Tensor): Tensor {
    return this.#inverseWith(y, engineMath);
  }

  /** The forward pass with the portable ops (a draw; remembered like {@link forward}'s). */
  override drawForward(x: Tensor): Tensor {
    return this.#forwardWith(x, drawMath);
  }

  /** The inverse pass with the portable ops (a draw; remembered like {@link inverse}'s). */
  override drawInverse(y: Tensor): Tensor {
    return this.#inverseWith(y, drawMath);
  }

  #forwardWith(x: Tensor, math: ElementwiseMath): Tensor {
    this.checkEvent(x, "forward input");
    const { out, logDet } = this.forwardPass(x, math);
    this.#last = { x, y: out, logDet };
    return out;
  }

  #inverseWith(y: Tensor, math: ElementwiseMath): Tensor {
    const c = this.#last;
    if (c && c.y === y && !c.x.isDisposed) return c.x;
    this.checkEvent(y, "inverse input");
    const { out, logDet } = this.inversePass(y, math);
    this.#last = { x: out, y, logDet };
    return out;
  }

  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const c = this.#last;
    if (c && c.x === x && c.y === y && !c.logDet.isDisposed) return c.logDet;
    this.checkEvent(x, "logAbsDetJacobian input");
    return this.forwardPass(x).logDet;
  }

  /** Forget the remembered pass (e.g. before timing an inverse). */
  clearCache(): void {
    this.#last = null;
  }
}

/**
 * A flow layer with its own params: `init(key)` makes them (zero-initialised output layers,
 * so a fresh layer is the identity) and `bind(params)` gives the bijection they define.
 */
export interface FlowLayer {
  /** Size of the event. */
  readonly dim: number;
  /** Names of the params `init` returns. */
  readonly paramNames: readonly string[];
  /** Initial params; a null key uses key(0). */
  init(key: Key | null): Record<string, Tensor>;
  /** The bijection under `params`. */
  bind(params: Record<string, Tensor>): FlowTransform;
}

/** The params of `names` from `params`, or an error naming the layer and the missing one. */
export function pickParams(
  layer: string,
  names: readonly string[],
  params: Record<string, Tensor>,
  prefix = "",
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const n of names) {
    const v = params[`${prefix}${n}`];
    if (!v) throw new Error(`${layer}: missing param '${prefix}${n}'`);
    out[n] = v;
  }
  return out;
}

/** c·tanh(s/c): a log-scale that behaves like s near 0 and never leaves (−c, c). */
export function softClamp(s: Tensor, bound: number | null, math: ElementwiseMath = engineMath): Tensor {
  if (bound === null || bound === Number.POSITIVE_INFINITY) return s;
  return math.tanh(s.div(bound)).mul(bound);
}
