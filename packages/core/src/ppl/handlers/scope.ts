/**
 * `scope`: prefix site names (and the plate names in their frames) so one function can be
 * used several times in a model without name clashes.
 * @module
 */
import type { Message, MessageType } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** Options of {@link scope}. */
export interface ScopeOptions {
  /** Separator between prefix and name (default "/"). */
  divider?: string;
  /** Message types left unprefixed ("plate" also leaves plate frames alone). */
  hideTypes?: readonly MessageType[];
}

/** The handler behind {@link scope}. */
export class ScopeMessenger extends Messenger {
  private readonly divider: string;
  private readonly hideTypes: ReadonlySet<string>;

  constructor(
    readonly prefix: string,
    opts: ScopeOptions = {},
  ) {
    super();
    this.divider = opts.divider ?? "/";
    this.hideTypes = new Set(opts.hideTypes ?? []);
  }

  /** Prefixes the name and the frames' plate names. */
  override processMessage(msg: Message): void {
    const p = `${this.prefix}${this.divider}`;
    if (msg.name !== null && !this.hideTypes.has(msg.type)) msg.name = p + msg.name;
    if (msg.condIndepStack.length > 0 && !this.hideTypes.has("plate"))
      msg.condIndepStack = msg.condIndepStack.map((f) => ({ ...f, name: p + f.name }));
  }
}

/**
 * Wrap `fn` so its site names read `${prefix}/${name}`.
 * @example
 * // exported from @scribe/core as `nameScope` (and `handlers.scope`): `scope` is the memory scope
 * const layer = () => sample("w", new Normal(0, 1));
 * const model = () => [nameScope(layer, "a")(), nameScope(layer, "b")()];
 * [...trace(seed(model, 0)).getTrace().keys()]; // ["a/w", "b/w"]
 */
export function scope<A extends unknown[], R>(
  fn: (...args: A) => R,
  prefix: string,
  opts: ScopeOptions = {},
): (...args: A) => R {
  return wrapWith(fn, () => new ScopeMessenger(prefix, opts));
}
