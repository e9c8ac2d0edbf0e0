/**
 * `lift`: turn params into sample sites drawn from a prior (a param used twice under the
 * same name gets the first draw).
 * @module
 */
import type { Tensor } from "../../tensor/tensor.js";
import type { DistributionLike } from "../distribution-like.js";
import type { Message, SampleMessage } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** A prior for every param, one per name, or a function of the name (null: keep the param). */
export type LiftPrior =
  | DistributionLike
  | Readonly<Record<string, DistributionLike>>
  | ((name: string) => DistributionLike | null | undefined);

function isDist(x: unknown): x is DistributionLike {
  return x !== null && typeof x === "object" && typeof (x as DistributionLike).logProb === "function";
}

/** The handler behind {@link lift}. */
export class LiftMessenger extends Messenger {
  private readonly cache = new Map<string, Tensor | null>();

  constructor(private readonly prior: LiftPrior) {
    super();
  }

  private priorFor(name: string): DistributionLike | null {
    const p = this.prior;
    if (typeof p === "function") return p(name) ?? null;
    if (isDist(p)) return p;
    return Object.hasOwn(p, name) ? (p as Record<string, DistributionLike>)[name]! : null;
  }

  /** Rewrites a param message as a sample message from its prior. */
  override processMessage(msg: Message): void {
    if (msg.type !== "param") return;
    const fn = this.priorFor(msg.name);
    if (!fn) return;
    const m = msg as unknown as Record<string, unknown>;
    m.type = "sample";
    m.fn = fn;
    m.args = [];
    m.kwargs = { rngKey: null, sampleShape: [] };
    m.mask = null;
    m.intermediates = [];
    const s = msg as unknown as SampleMessage;
    if (this.cache.has(s.name)) {
      s.value = this.cache.get(s.name)!;
      s.isObserved = true;
      s.stop = true;
    } else {
      s.isObserved = false;
      this.cache.set(s.name, null);
    }
  }

  /** Remembers the drawn value for repeated params of the same name. */
  override postprocessMessage(msg: Message): void {
    if (msg.type === "sample" && this.cache.has(msg.name) && this.cache.get(msg.name) === null)
      this.cache.set(msg.name, msg.value);
  }
}

/**
 * Wrap `fn` so its params become random variables with the given prior(s).
 * @example
 * const model = () => {
 *   const w = param("w", tensor(0.5));
 *   return sample("y", new Normal(w, 1), { obs: tensor(1) });
 * };
 * const bayesian = lift(model, { w: new Normal(0, 1) });
 * trace(seed(bayesian, 0)).getTrace().get("w")!.type; // "sample": w is drawn from its prior
 */
export function lift<A extends unknown[], R>(fn: (...args: A) => R, prior: LiftPrior): (...args: A) => R {
  return wrapWith(fn, () => new LiftMessenger(prior));
}
