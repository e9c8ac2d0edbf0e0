/**
 * `substitute`: set the value of sample, param, plate and deterministic sites from a
 * record (or map) or from a function of the message. Observedness is unchanged.
 * @module
 */
import { tensor } from "../../tensor/creation.js";
import { Tensor } from "../../tensor/tensor.js";
import type { Message } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/**
 * A site value as handlers accept it: a tensor, or a plain number (NumPyro takes Python
 * floats), made a scalar tensor of the default dtype on the current backend.
 */
export type SiteValue = Tensor | number;

/** Values keyed by site name: a plain record or a Map. */
export type SiteValues = Readonly<Record<string, SiteValue>> | ReadonlyMap<string, SiteValue>;

/** A function choosing a value for a message (`null`/`undefined`: leave it alone). */
export type SubstituteFn = (msg: Message) => SiteValue | null | undefined;

/** Look a site up in a record or map. @internal */
export function lookup(data: SiteValues, name: string): SiteValue | undefined {
  if (data instanceof Map) return data.get(name);
  return Object.hasOwn(data, name) ? (data as Record<string, SiteValue>)[name] : undefined;
}

/**
 * A handler's value as a tensor: tensors pass, numbers become scalar tensors, anything
 * else is an error naming the handler and the site. @internal
 */
export function siteValueTensor(v: SiteValue, handler: string, site: string | null): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === "number") return tensor(v);
  throw new Error(
    `${handler}: the value for site '${site}' must be a Tensor or a number, got ${v === null ? "null" : typeof v}`,
  );
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
    if (v !== null && v !== undefined) msg.value = siteValueTensor(v, "substitute", msg.name);
  }
}

/**
 * Wrap `fn` so named sites take the given values (data) or the values `substituteFn(msg)`
 * returns.
 * @example
 * const model = () => sample("z", new Normal(0, 1));
 * (await substitute(model, { z: tensor(1.5) })().data())[0]; // 1.5, no key needed
 * (await substitute(model, { z: 0.5 })().data())[0]; // 0.5: plain numbers work too, as in NumPyro
 */
export function substitute<A extends unknown[], R>(
  fn: (...args: A) => R,
  data: SiteValues | SubstituteFn,
): (...args: A) => R {
  return wrapWith(fn, () => new SubstituteMessenger(data));
}
