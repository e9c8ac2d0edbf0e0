/**
 * `reparam`: rewrite sample sites with reparameterizers (e.g. a loc-scale decentering). A
 * reparameterizer gets the site and returns a new distribution and/or a value; returning
 * no distribution with a value turns the site into a deterministic one.
 * @module
 */
import type { Tensor } from "../../tensor/tensor.js";
import type { DistributionLike } from "../distribution-like.js";
import type { Message, SampleMessage } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** What a reparameterizer sees of a sample site. */
export interface ReparamSite {
  readonly name: string;
  readonly fn: DistributionLike;
  readonly value: Tensor | null;
  readonly isObserved: boolean;
}

/** The outcome: the site's new distribution (or null) and its value (or null to sample). */
export interface ReparamResult {
  fn: DistributionLike | null;
  value: Tensor | null;
}

/** A reparameterization strategy; `apply` may emit auxiliary sample sites of its own. */
export interface Reparameterizer {
  apply(site: ReparamSite): ReparamResult;
}

/** Site name → reparameterizer, as a record, a map, or a function of the site. */
export type ReparamConfig =
  | Readonly<Record<string, Reparameterizer>>
  | ReadonlyMap<string, Reparameterizer>
  | ((msg: SampleMessage) => Reparameterizer | null | undefined);

/** Turn a sample message into a deterministic one in place. @internal */
export function makeDeterministic(msg: SampleMessage, value: Tensor): void {
  const m = msg as unknown as Record<string, unknown>;
  for (const k of ["fn", "args", "kwargs", "isObserved", "mask", "intermediates"]) delete m[k];
  m.type = "deterministic";
  m.value = value;
}

/** The handler behind {@link reparam}. */
export class ReparamMessenger extends Messenger {
  constructor(private readonly config: ReparamConfig) {
    super();
  }

  private lookup(msg: SampleMessage): Reparameterizer | null {
    const c = this.config;
    if (typeof c === "function") return c(msg) ?? null;
    if (c instanceof Map) return c.get(msg.name) ?? null;
    const r = c as Readonly<Record<string, Reparameterizer>>;
    return Object.hasOwn(r, msg.name) ? r[msg.name]! : null;
  }

  /** Applies the site's reparameterizer, if any. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const r = this.lookup(msg);
    if (!r) return;
    const res = r.apply({ name: msg.name, fn: msg.fn, value: msg.value, isObserved: msg.isObserved });
    if (res.value !== null) {
      if (res.fn === null) {
        makeDeterministic(msg, res.value);
        return;
      }
      if (msg.value === null) msg.isObserved = true;
      msg.value = res.value;
    }
    if (res.fn === null)
      throw new Error(
        `reparam: site '${msg.name}': the reparameterizer returned neither a distribution nor a value`,
      );
    msg.fn = res.fn;
  }
}

/**
 * Wrap `fn` so the configured sites are reparameterized.
 * @example
 * const model = () => {
 *   const tau = sample("tau", new HalfNormal(1));
 *   return plate("J", 8, () => sample("theta", new Normal(0, tau)));
 * };
 * const decentered = reparam(model, { theta: new LocScaleReparam(0) }); // theta = tau · theta_decentered
 * [...trace(seed(decentered, 0)).getTrace().keys()]; // ["tau", "J", "theta_decentered", "theta"]
 */
export function reparam<A extends unknown[], R>(
  fn: (...args: A) => R,
  config: ReparamConfig,
): (...args: A) => R {
  return wrapWith(fn, () => new ReparamMessenger(config));
}
