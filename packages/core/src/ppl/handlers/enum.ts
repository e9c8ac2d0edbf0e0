/**
 * `enumerate` and `configEnumerate`: parallel enumeration of discrete sample sites, as
 * NumPyro's `numpyro.contrib.funsor.enum` / `config_enumerate`. A latent site marked
 * `infer: { enumerate: "parallel" }` does not draw: its value is the whole finite support,
 * laid out along a fresh batch dim to the left of every plate dim (the first one at
 * `−maxPlateNesting − 1`, the next one further left, ...), so downstream sites broadcast over
 * all its values at once and an inference algorithm can sum it out exactly
 * (`TraceEnumELBO`, the HMC/NUTS potential, `inferDiscrete` in `@scribe/infer`).
 * @module
 */
import { reshape } from "../../ops/movement.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { DistributionLike } from "../distribution-like.js";
import type { InferConfig, Message, SampleMessage } from "../message.js";
import { handlerStack, Messenger, wrapWith } from "../messenger.js";
import { InferConfigMessenger } from "./infer-config.js";

/** Options of {@link enumerate}. */
export interface EnumerateOptions {
  /**
   * The number of plate dims the model uses (NumPyro's `max_plate_nesting`); enumeration
   * dims start at `−maxPlateNesting − 1`. Default 0.
   */
  maxPlateNesting?: number;
}

/** The `infer` fields an enumerated site carries (set by {@link EnumMessenger}). */
export interface EnumInfo {
  /** The (negative) batch dim holding the site's support values. */
  readonly _enumDim: number;
  /** The number of support values. */
  readonly _enumSize: number;
}

/** A distribution that can list its support (NumPyro's `enumerate_support`). */
interface Enumerable {
  enumerateSupport(expand?: boolean): Tensor;
}

function hasEnumerateSupport(fn: unknown): fn is Enumerable {
  return typeof (fn as Partial<Enumerable> | null)?.enumerateSupport === "function";
}

/**
 * The support of `fn` as a tensor of shape [K, 1, …, 1, ...eventShape] (unit batch axes),
 * looking through wrappers that keep a `base` (expanded, masked), or `null` when `fn`
 * has no finite support to enumerate.
 */
export function enumerateSupportOf(fn: DistributionLike): Tensor | null {
  let d: unknown = fn;
  for (let depth = 0; depth < 16 && d; depth++) {
    if (hasEnumerateSupport(d)) return d.enumerateSupport(false);
    d = (d as { base?: unknown }).base;
  }
  return null;
}

/** The enumeration dim of a traced sample site, or `undefined` when it was not enumerated. */
export function enumDimOf(site: SampleMessage): number | undefined {
  const d = (site.infer as Partial<EnumInfo>)._enumDim;
  return typeof d === "number" ? d : undefined;
}

/** The handler behind {@link enumerate}. */
export class EnumMessenger extends Messenger {
  /** The rightmost dim enumeration may use (`−maxPlateNesting − 1`). */
  readonly firstAvailableDim: number;
  private nextDim: number;

  constructor(opts: EnumerateOptions = {}) {
    super();
    const n = opts.maxPlateNesting ?? 0;
    if (!Number.isInteger(n) || n < 0)
      throw new Error(
        `enumerate: maxPlateNesting must be a non-negative integer, got ${opts.maxPlateNesting}`,
      );
    this.firstAvailableDim = -n - 1;
    this.nextDim = this.firstAvailableDim;
  }

  /** A fresh batch dim left of every dim handed out so far (also used by `scan` for its time dim). */
  allocateDim(): number {
    return this.nextDim--;
  }

  /** Replaces the value of a `parallel`-enumerated latent site by its support. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" || msg.isObserved || msg.value !== null) return;
    const mode = msg.infer.enumerate;
    if (mode === undefined || mode === null) return;
    if (mode !== "parallel")
      throw new Error(`site '${msg.name}': infer.enumerate must be "parallel" (got ${String(mode)})`);
    for (const f of msg.condIndepStack)
      if (f.dim <= this.firstAvailableDim)
        throw new Error(
          `site '${msg.name}': plate '${f.name}' uses dim ${f.dim}, which enumeration needs (it starts at ${this.firstAvailableDim}); set maxPlateNesting to at least ${-f.dim}`,
        );
    if (msg.kwargs.sampleShape.length > 0)
      throw new Error(`site '${msg.name}': an enumerated site cannot have a sampleShape (use a plate)`);
    const support = enumerateSupportOf(msg.fn);
    if (support === null)
      throw new Error(
        `site '${msg.name}': infer.enumerate is "parallel" but its distribution has no finite support to enumerate (enumerateSupport)`,
      );
    const size = support.shape[0] ?? 0;
    // `markov` (@scribe/infer) recycles the dim of the same site `history + 1` steps back
    const reuse = (msg.infer as { _enumDimReuse?: unknown })._enumDimReuse;
    const dim = typeof reuse === "number" ? reuse : this.allocateDim();
    const eventShape = msg.fn.eventShape;
    msg.value = reshape(support, [size, ...new Array<number>(-dim - 1).fill(1), ...eventShape]);
    const info: EnumInfo = { _enumDim: dim, _enumSize: size };
    msg.infer = { ...msg.infer, ...info };
  }
}

/** The innermost active {@link EnumMessenger}, if any. @internal */
export function activeEnumMessenger(): EnumMessenger | null {
  const stack = handlerStack();
  for (let i = stack.length - 1; i >= 0; i--) {
    const h = stack[i];
    if (h instanceof EnumMessenger) return h;
  }
  return null;
}

/**
 * Wrap `fn` so its sites marked `infer: { enumerate: "parallel" }` take their whole support
 * as value, along fresh dims left of the plates (NumPyro's `enum(fn, first_available_dim)`).
 * @example
 * const model = () => {
 *   const z = sample("z", Bernoulli({ probs: 0.3 }), { infer: { enumerate: "parallel" } });
 *   plate("N", 3, () => sample("x", new Normal(z, 1), { obs: tensor([0.1, 0.9, 1.2]) }));
 * };
 * const tr = trace(enumerate(model, { maxPlateNesting: 1 })).getTrace();
 * tr.get("z")!.value!.shape; // [2, 1]: both values of z, at dim −2
 */
export function enumerate<A extends unknown[], R>(
  fn: (...args: A) => R,
  opts: EnumerateOptions = {},
): (...args: A) => R {
  return wrapWith(fn, () => new EnumMessenger(opts));
}

/**
 * Mark every latent sample site whose distribution has a finite support (and no
 * `infer.enumerate` of its own) for parallel enumeration (NumPyro's `config_enumerate`).
 * @example
 * const model = () => sample("z", Categorical({ probs: tensor([0.2, 0.8]) }));
 * const tr = trace(seed(configEnumerate(model), 0)).getTrace();
 * (tr.get("z") as SampleMessage).infer.enumerate; // "parallel"
 */
export function configEnumerate<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return wrapWith(fn, () => new InferConfigMessenger(enumerateConfig));
}

function enumerateConfig(msg: SampleMessage): InferConfig | null {
  if (msg.isObserved || msg.infer.enumerate !== undefined) return null;
  let d: unknown = msg.fn;
  for (let depth = 0; depth < 16 && d; depth++) {
    if (hasEnumerateSupport(d)) return { enumerate: "parallel" };
    d = (d as { base?: unknown }).base;
  }
  return null;
}
