/**
 * `replay`: run a function with the latent values (and `infer`) of a recorded trace, and
 * with the same plate subsample indices. This is how a model sees the guide's draws and
 * minibatch.
 * @module
 */
import type { Message, Trace } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** The handler behind {@link replay}. */
export class ReplayMessenger extends Messenger {
  constructor(private readonly guideTrace: Trace) {
    super();
  }

  /** Copies values for latent sample sites and indices for plates present in the trace. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" && msg.type !== "plate") return;
    const site = this.guideTrace.get(msg.name);
    if (!site) return;
    if (msg.type === "plate") {
      if (site.type !== "plate")
        throw new Error(
          `replay: site '${msg.name}' is a plate in the model but a ${site.type} site in the trace`,
        );
      msg.value = site.value;
      return;
    }
    if (msg.isObserved) return;
    if (site.type !== "sample" || site.isObserved)
      throw new Error(
        `replay: site '${msg.name}' is latent in the model but ${site.type === "sample" ? "observed" : `a ${site.type} site`} in the trace; it must be sampled there`,
      );
    msg.value = site.value;
    msg.infer = { ...site.infer };
  }
}

/**
 * Wrap `fn` so its latent sites take the values recorded in `guideTrace`.
 * @example
 * const model = (y: Tensor) => {
 *   const z = sample("z", new Normal(0, 1));
 *   sample("y", new Normal(z, 1), { obs: y });
 * };
 * const guide = (_y: Tensor) => sample("z", new Normal(param("loc", tensor(0.5)), 0.1));
 * const y = tensor(0.8);
 * const guideTr = trace(seed(guide, key(1))).getTrace(y);
 * const modelTr = trace(replay(seed(model, key(2)), guideTr)).getTrace(y);
 * modelTr.get("z")!.value === guideTr.get("z")!.value; // true: z comes from the guide's trace
 */
export function replay<A extends unknown[], R>(fn: (...args: A) => R, guideTrace: Trace): (...args: A) => R {
  return wrapWith(fn, () => new ReplayMessenger(guideTrace));
}
