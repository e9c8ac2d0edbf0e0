/**
 * `scale`: multiply the log-probability of sample sites (and the scale of param and plate
 * messages) by a positive factor, e.g. to reweight a likelihood.
 * @module
 */
import type { Tensor } from "../../tensor/tensor.js";
import { combineScale, type Message } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** The handler behind {@link scale}. */
export class ScaleMessenger extends Messenger {
  constructor(readonly scale: number | Tensor) {
    super();
    if (typeof scale === "number" && !(scale > 0))
      throw new Error(`scale: the factor must be positive, got ${scale}`);
  }

  /** Multiplies `msg.scale`. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" && msg.type !== "param" && msg.type !== "plate") return;
    msg.scale = combineScale(this.scale, msg.scale);
  }
}

/**
 * Wrap `fn` so its log-probabilities are multiplied by `factor`.
 * @example
 * const model = () => sample("y", new Normal(0, 1), { obs: tensor(2) });
 * const tempered = scale(model, 0.5);
 * logDensity(tempered, [], {}).logJoint.item(); // ≈ −1.46, half of log N(2 | 0, 1)
 */
export function scale<A extends unknown[], R>(
  fn: (...args: A) => R,
  factor: number | Tensor,
): (...args: A) => R {
  return wrapWith(fn, () => new ScaleMessenger(factor));
}
