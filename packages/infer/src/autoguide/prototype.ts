/**
 * The prototype run shared by the autoguides: run the model once (hidden from outer
 * handlers) with latent sites set by an init strategy, and record, per latent site, its
 * support transform, event dim, plates and full-size unconstrained initial value.
 * @module
 */
import {
  BlockMessenger,
  type CondIndepStackFrame,
  concat,
  type Key,
  keep,
  key as makeKey,
  prngKey,
  type SampleMessage,
  seed,
  slice,
  substitute,
  type Tensor,
  trace,
  withHandler,
} from "@scribe/core";
import {
  bijectTo,
  type Constraint,
  IdentityTransform,
  IndependentTransform,
  type Transform,
} from "@scribe/distributions";
import type { InitStrategy } from "./init-strategies.js";

/** What an autoguide knows about one latent site of the model. */
export interface LatentSiteInfo {
  readonly name: string;
  /** Maps the unconstrained space onto the site's support. */
  readonly transform: Transform;
  /** Whether the support is the real line (no transform needed). */
  readonly isReal: boolean;
  /** Event dims of the site's value. */
  readonly eventDim: number;
  /** The plates the site lives in, innermost first (sizes are subsample sizes). */
  readonly frames: readonly CondIndepStackFrame[];
  /** Unconstrained initial value at full plate sizes (kept). */
  readonly initUnconstrained: Tensor;
  /** Constrained initial value at full plate sizes (kept). */
  readonly initValue: Tensor;
}

/** A plate of the model: full size, subsample size and dim. */
export interface PlateInfo {
  readonly size: number;
  readonly subsampleSize: number;
  readonly dim: number;
}

/** Result of {@link setupPrototype}. */
export interface Prototype {
  readonly sites: LatentSiteInfo[];
  readonly plates: Map<string, PlateInfo>;
}

/** Tile `x` along `axis` to length `n` (NumPyro's periodic_repeat). */
export function periodicRepeat(x: Tensor, n: number, axis: number): Tensor {
  const a = axis < 0 ? x.rank + axis : axis;
  const m = x.shape[a]!;
  if (m === n) return x;
  const reps = Math.ceil(n / m);
  const tiled = concat(new Array<Tensor>(reps).fill(x), a);
  const end = tiled.shape.map((d, i) => (i === a ? n : d));
  return slice(
    tiled,
    tiled.shape.map(() => 0),
    end,
  );
}

function isIdentity(t: Transform): boolean {
  if (t instanceof IdentityTransform) return true;
  return t instanceof IndependentTransform && isIdentity(t.base);
}

/** Run the prototype; the key comes from the enclosing seed when not given. */
export function setupPrototype<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  init: InitStrategy,
  rngKey?: Key,
): Prototype {
  const k = rngKey ?? prngKey() ?? makeKey(0);
  const initFn = (msg: { type: string }) => (msg.type === "sample" ? init(msg as SampleMessage) : null);
  const tr = withHandler(new BlockMessenger(), () =>
    trace(seed(substitute(model, initFn), k)).getTrace(...args),
  );
  const plates = new Map<string, PlateInfo>();
  for (const s of tr.values())
    if (s.type === "plate") {
      const frameDim = [...tr.values()]
        .flatMap((x) => (x.type === "sample" ? x.condIndepStack : []))
        .find((f) => f.name === s.name)?.dim;
      plates.set(s.name, {
        size: s.args[0],
        subsampleSize: (s.value as Tensor).shape[0]!,
        dim: frameDim ?? -1,
      });
    }
  const sites: LatentSiteInfo[] = [];
  for (const s of tr.values()) {
    if (s.type !== "sample" || s.isObserved) continue;
    const support = s.fn.support as Constraint | undefined;
    if (!support) throw new Error(`autoguide: site '${s.name}': its distribution declares no support`);
    const transform = bijectTo(support);
    const eventDim = s.fn.eventShape.length;
    // the portable maps: the initial point of a seeded fit has the same bits in every engine
    let u = transform.drawInverse(s.value as Tensor);
    for (const f of s.condIndepStack) {
      const full = plates.get(f.name)?.size ?? f.size;
      if (full !== f.size) u = periodicRepeat(u, full, f.dim - eventDim);
    }
    const x = transform.drawForward(u);
    sites.push({
      name: s.name,
      transform,
      isReal: isIdentity(transform),
      eventDim,
      frames: s.condIndepStack,
      initUnconstrained: keep(u),
      initValue: keep(x),
    });
  }
  return { sites, plates };
}
