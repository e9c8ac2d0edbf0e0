/**
 * `mask`: zero the log-probability of sample sites where a boolean mask is false (sampling
 * is unchanged). Uses the distribution's own `mask` when it has one, otherwise records the
 * mask on the message for the log-density code to apply.
 * @module
 */
import { logicalAnd } from "../../ops/elementwise.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Message } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** A mask: `true`/`false`, or a boolean tensor broadcasting with the batch shape. */
export type MaskValue = boolean | Tensor;

/** Combine two masks (null means no mask). @internal */
export function andMask(a: MaskValue | null, b: MaskValue): MaskValue {
  if (a === null || a === true) return b;
  if (b === true) return a;
  if (a === false || b === false) return false;
  return logicalAnd(a, b);
}

/** The handler behind {@link mask}. */
export class MaskMessenger extends Messenger {
  readonly mask: MaskValue;

  constructor(mask: MaskValue) {
    super();
    if (typeof mask !== "boolean" && mask.dtype !== "bool") this.mask = mask.ne(0);
    else this.mask = mask;
  }

  /** Masks the site's distribution. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    if (typeof msg.fn.mask === "function") msg.fn = msg.fn.mask(this.mask);
    else msg.mask = andMask(msg.mask, this.mask);
  }
}

/**
 * Wrap `fn` so sample sites only count where `mask` is true.
 * @example
 * const y = tensor([0.5, 9, 1.2]); // the 9 is a known bad reading
 * const model = () => plate("N", 3, () => sample("y", new Normal(0, 1), { obs: y }));
 * const partial = mask(model, tensor([1, 0, 1]).gt(0));
 * logDensity(partial, [], {}).logJoint.item(); // ≈ −2.68 = log N(0.5) + log N(1.2): the 9 does not count
 */
export function mask<A extends unknown[], R>(fn: (...args: A) => R, m: MaskValue): (...args: A) => R {
  return wrapWith(fn, () => new MaskMessenger(m));
}
