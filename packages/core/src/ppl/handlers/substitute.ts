/**
 * `substitute`: set the value of sample, param, plate and deterministic sites from a
 * record (or map) or from a function of the message. Observedness is unchanged.
 * @module
 */
import type { Tensor } from "../../tensor/tensor.js";
import type { Message } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** Values keyed by site name: a plain record or a Map. */
export type SiteValues = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

/** A function choosing a value for a message (`null`/`undefined`: leave it alone). */
export type SubstituteFn = (msg: Message) => Tensor | null | undefined;

/** Look a site up in a record or map. @internal */
export function lookup(data: SiteValues, name: string): Tensor | undefined {
  if (data instanceof Map) return data.get(name);
  return Object.hasOwn(data, name) ? (data as Record<string, Tensor>)[name] : undefined;
}

/** The handler behind {@link substitute}. */
export class SubstituteMessenger extends Messenger {
  constructor(private readonly source: SiteValues | SubstituteFn) {
    super();
  }

  /** Sets `value` for matching sample/param/plate/deterministic sites. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" && msg.type !== "param" && msg.type !== "plate" && msg.type !== "deterministic")
      return;
    const v = typeof this.source === "function" ? this.source(msg) : lookup(this.source, msg.name);
    if (v !== null && v !== undefined) msg.value = v;
  }
}

/**
 * Wrap `fn` so named sites take the given values (data) or the values `substituteFn(msg)`
 * returns.
 * @example
 * const model = () => sample("z", new Normal(0, 1));
 * substitute(model, { z: tensor(1.5) })().item(); // 1.5, no key needed
 */
export function substitute<A extends unknown[], R>(
  fn: (...args: A) => R,
  data: SiteValues | SubstituteFn,
): (...args: A) => R {
  return wrapWith(fn, () => new SubstituteMessenger(data));
}
