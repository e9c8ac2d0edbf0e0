/**
 * `do`: causal intervention. The intervened site is still sampled (and seen by outer
 * handlers) under its own name, but the model continues with the intervention value,
 * carried by a stopped, observed copy named `${name}__CF`.
 * @module
 */
import { copyMessage, type Message } from "../message.js";
import { applyStackBelow, Messenger, stackIndexOf, wrapWith } from "../messenger.js";
import { lookup, type SiteValues, siteValueTensor } from "./substitute.js";

/** The handler behind {@link doIntervene}. */
export class DoMessenger extends Messenger {
  constructor(private readonly data: SiteValues) {
    super();
  }

  /** Splits an intervened site into the sampled original and the fixed counterfactual. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const given = lookup(this.data, msg.name);
    if (given === undefined || given === null) return;
    const intervention = siteValueTensor(given, "do", msg.name);
    const fresh = copyMessage(msg);
    applyStackBelow(fresh, Math.max(stackIndexOf(this), 0));
    msg.name = `${msg.name}__CF`;
    msg.value = intervention;
    msg.isObserved = true;
    msg.stop = true;
  }
}

/**
 * Wrap `fn` so the named sites are intervened on (NumPyro's `do`; `do` is a reserved word).
 * @example
 * const model = () => {
 *   const z = sample("z", new Normal(0, 1));
 *   return sample("x", new Normal(z, 0.1));
 * };
 * const intervened = doIntervene(model, { z: tensor(3) });
 * seed(intervened, 0)().item(); // ≈ 3: x follows the forced z
 */
export function doIntervene<A extends unknown[], R>(
  fn: (...args: A) => R,
  data: SiteValues,
): (...args: A) => R {
  return wrapWith(fn, () => new DoMessenger(data));
}
