/**
 * `block`: hide sites from the handlers outside it (they neither process nor post-process
 * them). Hidden sample sites and subsampled plates that still need randomness get a key
 * from the handlers outside the block, so blocking never changes the draws.
 * @module
 */
import { baseFields, type Message, type MessageType, type PrngKeyMessage } from "../message.js";
import { applyStackBelow, Messenger, stackIndexOf, wrapWith } from "../messenger.js";

/** Which sites {@link block} hides. Precedence: hideFn > hide > exposeTypes > expose; none: hide all. */
export interface BlockOptions {
  /** Hide the sites for which this returns true. */
  hideFn?: (msg: Message) => boolean;
  /** Hide these site names. */
  hide?: readonly string[];
  /** Hide every site whose type is not listed. */
  exposeTypes?: readonly MessageType[];
  /** Hide every site whose name is not listed. */
  expose?: readonly string[];
}

function makeHideFn(opts: BlockOptions): (msg: Message) => boolean {
  if (opts.hideFn) return opts.hideFn;
  if (opts.hide) {
    const s = new Set(opts.hide);
    return (m) => m.name !== null && s.has(m.name);
  }
  if (opts.exposeTypes) {
    const s = new Set<string>(opts.exposeTypes);
    return (m) => !s.has(m.type);
  }
  if (opts.expose) {
    const s = new Set(opts.expose);
    return (m) => m.name === null || !s.has(m.name);
  }
  return () => true;
}

/** The handler behind {@link block}. `prngKey` requests are plumbing and never hidden. */
export class BlockMessenger extends Messenger {
  private readonly hideFn: (msg: Message) => boolean;

  constructor(opts: BlockOptions = {}) {
    super();
    this.hideFn = makeHideFn(opts);
  }

  /** Stops hidden messages, first fetching a key for them from outside when they need one. */
  override processMessage(msg: Message): void {
    if (msg.type === "prngKey" || !this.hideFn(msg)) return;
    const needsKey =
      msg.value === null &&
      ((msg.type === "sample" && !msg.isObserved && msg.kwargs.rngKey === null) ||
        (msg.type === "plate" && msg.kwargs.rngKey === null));
    if (needsKey) {
      const req: PrngKeyMessage = {
        ...baseFields(null),
        type: "prngKey",
        name: null,
        kwargs: { rngKey: null },
        value: null,
      };
      const k = applyStackBelow(req, Math.max(stackIndexOf(this), 0)).value;
      (msg as { kwargs: { rngKey: unknown } }).kwargs.rngKey = k;
    }
    msg.stop = true;
  }
}

/**
 * Wrap `fn` so the selected sites are invisible to outer handlers (e.g. an outer `trace`).
 * @example
 * const model = () => {
 *   const z = sample("z", new Normal(0, 1));
 *   return sample("x", new Normal(z, 1));
 * };
 * [...trace(block(seed(model, 0), { hide: ["z"] })).getTrace().keys()]; // ["x"]
 */
export function block<A extends unknown[], R>(
  fn: (...args: A) => R,
  opts: BlockOptions = {},
): (...args: A) => R {
  return wrapWith(fn, () => new BlockMessenger(opts));
}
