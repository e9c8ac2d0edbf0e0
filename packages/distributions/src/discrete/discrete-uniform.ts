import {
  add,
  floor,
  type Key,
  log,
  mul,
  neg,
  random,
  type Shape,
  sub,
  type Tensor,
  zerosLike,
} from "@scribe/core";
import { type Constraint, integerInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { integerRangeSupport } from "./enumerate-support.js";

/**
 * The uniform distribution over the integers low, low + 1, …, high (NumPyro's
 * `DiscreteUniform`); log p(x) = −log(high − low + 1) on the support.
 * @example
 * const d = new DiscreteUniform(0, 3);
 * d.logProb(tensor([2])); // [−log 4]
 * d.enumerateSupport(false); // [0, 1, 2, 3]
 */
export class DiscreteUniform extends Distribution {
  static override readonly argConstraints = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Lower and upper bounds (inclusive), broadcast to the batch shape. */
  readonly low: Tensor;
  readonly high: Tensor;
  /** The bounds as given when they were plain numbers (needed to enumerate the support). */
  private readonly numericBounds: readonly [number, number] | null;

  constructor(low: ParamLike = 0, high: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("DiscreteUniform", { low, high });
    super(batchShape, [], validateArgs);
    this.low = values.low;
    this.high = values.high;
    this.numericBounds = typeof low === "number" && typeof high === "number" ? [low, high] : null;
    if (this.numericBounds && !(Number.isInteger(low) && Number.isInteger(high) && low <= high))
      throw new Error(
        `DiscreteUniform: low and high must be integers with low <= high, got ${low} and ${high}`,
      );
    checkArgs(this, values);
  }

  override get support(): Constraint {
    return integerInterval(this.low, this.high);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = random.uniform(key, this.shape(sampleShape), 0, 1, { dtype: this.low.dtype });
    return floor(add(this.low, mul(u, add(sub(this.high, this.low), 1))));
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.low.dtype);
    const lp = neg(log(add(sub(this.high, this.low), 1)));
    return maskOutOfSupport(this, value, add(lp, zerosLike(x)));
  }

  /**
   * The K = high − low + 1 support values on a leading axis (NumPyro's `enumerate_support`):
   * shape [K, 1, …] with one unit axis per batch axis, or [K, ...batchShape] with `expand`.
   * Needs number bounds (a homogeneous support), as NumPyro does.
   */
  enumerateSupport(expand = true): Tensor {
    if (!this.numericBounds)
      throw new Error(
        "DiscreteUniform.enumerateSupport: the bounds must be plain numbers (one support shared by the whole batch)",
      );
    return integerRangeSupport(this.numericBounds[0], this.numericBounds[1], this.batchShape, expand);
  }
}
