/**
 * `condition`: observe sample sites at given values (sets `value` and `isObserved`).
 * Unlike `substitute` it acts on sample sites only, and the sites become observations.
 * @module
 */
import type { Message, SampleMessage } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";
import { lookup, type SiteValue, type SiteValues, siteValueTensor } from "./substitute.js";

/** A function choosing an observation for a sample site (`null`/`undefined`: leave it latent). */
export type ConditionFn = (msg: SampleMessage) => SiteValue | null | undefined;

/** The handler behind {@link condition}. */
export class ConditionMessenger extends Messenger {
  constructor(private readonly source: SiteValues | ConditionFn) {
    super();
  }

  /** Observes matching sample sites. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const v = typeof this.source === "function" ? this.source(msg) : lookup(this.source, msg.name);
    if (v === null || v === undefined) return;
    msg.value = siteValueTensor(v, "condition", msg.name);
    msg.isObserved = true;
  }
}

/**
 * Wrap `fn` so the named sample sites are observed at the given values.
 * @example
 * const model = () => {
 *   const z = sample("z", new Normal(0, 1));
 *   return sample("y", new Normal(z, 1));
 * };
 * const conditioned = condition(model, { y: tensor(0.5) });
 * seed(conditioned, 0)().item(); // 0.5: y is observed now, only z is drawn
 * condition(model, { y: 0.5 }); // the same with a plain number, as in NumPyro
 */
export function condition<A extends unknown[], R>(
  fn: (...args: A) => R,
  data: SiteValues | ConditionFn,
): (...args: A) => R {
  return wrapWith(fn, () => new ConditionMessenger(data));
}
