/**
 * `inferConfig`: merge per-site inference hints into `msg.infer` of sample sites.
 * @module
 */
import type { InferConfig, Message, SampleMessage } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** The handler behind {@link inferConfig}. */
export class InferConfigMessenger extends Messenger {
  constructor(private readonly configFn: (msg: SampleMessage) => InferConfig | null | undefined) {
    super();
  }

  /** Merges `configFn(msg)` into `msg.infer`. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const extra = this.configFn(msg);
    if (extra) msg.infer = { ...msg.infer, ...extra };
  }
}

/**
 * Wrap `fn` so each sample site's `infer` gets the hints `configFn(msg)` returns.
 * @example
 * import type { SampleMessage } from "@scribe/core";
 * const model = () => sample("z", Bernoulli({ probs: 0.3 }));
 * const configured = inferConfig(model, (m) => (m.name === "z" ? { enumerate: "parallel" } : {}));
 * (trace(seed(configured, 0)).getTrace().get("z") as SampleMessage).infer; // { enumerate: "parallel" }
 */
export function inferConfig<A extends unknown[], R>(
  fn: (...args: A) => R,
  configFn: (msg: SampleMessage) => InferConfig | null | undefined,
): (...args: A) => R {
  return wrapWith(fn, () => new InferConfigMessenger(configFn));
}
