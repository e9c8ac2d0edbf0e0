import { broadcastShapes, type Key, type Shape, type Tensor } from "@scribe/core";
import type { Constraint } from "./constraints.js";

/** Global switch for argument validation (on by default; turn off for speed in hot loops). */
let validateByDefault = true;

/** Turn argument and sample validation on or off for distributions created afterwards. */
export function enableValidation(on: boolean): void {
  validateByDefault = on;
}

export function validationEnabled(): boolean {
  return validateByDefault;
}

/** The wrapper constructors behind `expand`, `toEvent` and `mask` (wrappers/*.ts). */
export interface DistributionWrappers {
  readonly expand: (d: Distribution, batchShape: Shape) => Distribution;
  readonly toEvent: (d: Distribution, n: number) => Distribution;
  readonly mask: (d: Distribution, mask: Tensor | boolean) => Distribution;
}

// The wrapper classes extend Distribution, so this module cannot import them: distribution.ts
// (which every distribution imports the base from) imports both and connects them.
let wrappers: DistributionWrappers | null = null;

/**
 * Connect the wrapper constructors to `Distribution`'s `expand`, `toEvent` and `mask`.
 * Called once by distribution.ts; calling it again with the same functions is harmless.
 * @internal
 */
export function installWrappers(w: DistributionWrappers): void {
  wrappers = w;
}

function wrappersOf(method: string): DistributionWrappers {
  if (wrappers === null)
    throw new Error(
      `Distribution.${method}: the wrappers are not installed; import Distribution from distribution.ts (or @scribe/distributions), not from distribution-base.ts`,
    );
  return wrappers;
}

/** Static metadata every distribution class declares; drives validation, bijectTo and docs. */
export interface DistributionClass {
  readonly argConstraints: Readonly<Record<string, Constraint>>;
  readonly support: Constraint | null;
  readonly reparametrized: boolean;
}

/**
 * The base of every distribution, with NumPyro's semantics and camelCase names. A draw of
 * `sample(key, sampleShape)` has shape sampleShape + batchShape + eventShape; `logProb(x)`
 * sums over the event dims and returns batch-shaped log-densities.
 */
export abstract class Distribution {
  static readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static readonly support: Constraint | null = null;
  static readonly reparametrized: boolean = false;

  readonly batchShape: Shape;
  readonly eventShape: Shape;
  readonly validateArgs: boolean;

  constructor(batchShape: Shape, eventShape: Shape = [], validateArgs?: boolean) {
    this.batchShape = [...batchShape];
    this.eventShape = [...eventShape];
    this.validateArgs = validateArgs ?? validateByDefault;
  }

  /** The class's metadata (static fields), reachable from an instance. */
  get meta(): DistributionClass {
    return this.constructor as unknown as DistributionClass;
  }

  /** The support; a parameter-dependent support (interval(low, high)) overrides this getter. */
  get support(): Constraint {
    const s = this.meta.support;
    if (!s) throw new Error(`${this.constructor.name} declares no support`);
    return s;
  }

  get reparametrized(): boolean {
    return this.meta.reparametrized;
  }

  get eventDim(): number {
    return this.eventShape.length;
  }

  /** sampleShape + batchShape + eventShape. */
  shape(sampleShape: Shape = []): number[] {
    return [...sampleShape, ...this.batchShape, ...this.eventShape];
  }

  /** Draw samples of shape sampleShape + batchShape + eventShape. */
  abstract sample(key: Key, sampleShape?: Shape): Tensor;

  /** Reparameterized draw (differentiable in the parameters); only when `reparametrized`. */
  rsample(key: Key, sampleShape: Shape = []): Tensor {
    if (!this.reparametrized)
      throw new Error(
        `${this.constructor.name} has no reparameterized sampler (rsample); use a score-function estimator`,
      );
    return this.sample(key, sampleShape);
  }

  /** Log-density (or log-pmf) of `value`, summed over event dims. */
  abstract logProb(value: Tensor): Tensor;

  get mean(): Tensor {
    throw new Error(`${this.constructor.name} has no closed-form mean`);
  }

  get variance(): Tensor {
    throw new Error(`${this.constructor.name} has no closed-form variance`);
  }

  cdf(_value: Tensor): Tensor {
    throw new Error(`${this.constructor.name} has no cdf`);
  }

  icdf(_q: Tensor): Tensor {
    throw new Error(`${this.constructor.name} has no icdf`);
  }

  entropy(): Tensor {
    throw new Error(`${this.constructor.name} has no closed-form entropy`);
  }

  /** Broadcast the batch shape to `batchShape` (NumPyro's ExpandedDistribution). */
  expand(batchShape: Shape): Distribution {
    return wrappersOf("expand").expand(this, batchShape);
  }

  /** Reinterpret the rightmost `n` batch dims as event dims (NumPyro's to_event). */
  toEvent(n?: number): Distribution {
    return wrappersOf("toEvent").toEvent(this, n ?? this.batchShape.length);
  }

  /** Mask log-probabilities (false → 0) without changing sampling. */
  mask(mask: Tensor | boolean): Distribution {
    return wrappersOf("mask").mask(this, mask);
  }
}

/** Broadcast parameter shapes, naming the distribution and the parameters on failure. */
export function batchShapeOf(name: string, params: Record<string, Tensor | number>): number[] {
  const shapes = Object.values(params).map((p) => (typeof p === "number" ? [] : p.shape));
  try {
    return broadcastShapes(...shapes);
  } catch {
    const desc = Object.entries(params)
      .map(([k, p]) => `${k} [${typeof p === "number" ? "" : p.shape.join(", ")}]`)
      .join(", ");
    throw new Error(`${name}: parameter shapes do not broadcast: ${desc}`);
  }
}
