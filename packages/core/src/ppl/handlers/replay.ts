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
 * // fragment: continues code that defines its inputs (a model, data, ...)
 * const guideTr = trace(seed(guide, key(1))).getTrace(data);
 * const modelTr = trace(replay(seed(model, key(2)), guideTr)).getTrace(data);
 */
export function replay<A extends unknown[], R>(fn: (...args: A) => R, guideTrace: Trace): (...args: A) => R {
  return wrapWith(fn, () => new ReplayMessenger(guideTrace));
}
