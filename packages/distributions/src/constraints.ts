import {
  add,
  broadcastTo,
  div,
  eq,
  floor,
  fullLike,
  ge,
  gt,
  isfinite,
  le,
  logicalAnd,
  logicalOr,
  lt,
  type Tensor,
  zerosLike,
} from "@scribe/core";
import { allRightmost, BaseConstraint, type Constraint, fmtBound } from "./constraint.js";

export type { Constraint } from "./constraint.js";
export {
  corrCholesky,
  lowerCholesky,
  orderedVector,
  positiveDefinite,
  simplex,
} from "./constraints-structured.js";

type Bound = Tensor | number;

function fillLike(x: Tensor, v: Bound): Tensor {
  return typeof v === "number" ? fullLike(x, v) : broadcastTo(add(zerosLike(x), v), x.shape);
}

function shift(b: Bound, d: number): Bound {
  return typeof b === "number" ? b + d : add(b, d);
}

function midpoint(a: Bound, b: Bound): Bound {
  return typeof a === "number" && typeof b === "number" ? (a + b) / 2 : div(add(a, b), 2);
}

function isInt(x: Tensor): Tensor {
  return logicalAnd(isfinite(x), eq(floor(x), x));
}

class Real extends BaseConstraint {
  readonly name = "real";
  check(x: Tensor): Tensor {
    return isfinite(x);
  }
  feasibleLike(x: Tensor): Tensor {
    return zerosLike(x);
  }
}

class GreaterThan extends BaseConstraint {
  constructor(
    readonly name: string,
    readonly lowerBound: Bound,
    readonly inclusive = false,
  ) {
    super();
  }
  check(x: Tensor): Tensor {
    return this.inclusive ? ge(x, this.lowerBound) : gt(x, this.lowerBound);
  }
  feasibleLike(x: Tensor): Tensor {
    return fillLike(x, this.inclusive ? this.lowerBound : shift(this.lowerBound, 1));
  }
  override toString(): string {
    return this.name === "positive" || this.name === "nonnegative"
      ? this.name
      : `${this.name}(lowerBound=${fmtBound(this.lowerBound)})`;
  }
}

class LessThan extends BaseConstraint {
  constructor(
    readonly name: string,
    readonly upperBound: Bound,
    readonly inclusive = false,
  ) {
    super();
  }
  check(x: Tensor): Tensor {
    return this.inclusive ? le(x, this.upperBound) : lt(x, this.upperBound);
  }
  feasibleLike(x: Tensor): Tensor {
    return fillLike(x, shift(this.upperBound, -1));
  }
  override toString(): string {
    return `${this.name}(upperBound=${fmtBound(this.upperBound)})`;
  }
}

class Interval extends BaseConstraint {
  constructor(
    readonly name: string,
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(x: Tensor): Tensor {
    return logicalAnd(ge(x, this.lowerBound), le(x, this.upperBound));
  }
  feasibleLike(x: Tensor): Tensor {
    return fillLike(x, midpoint(this.lowerBound, this.upperBound));
  }
  override toString(): string {
    return this.name === "unitInterval"
      ? this.name
      : `${this.name}(lowerBound=${fmtBound(this.lowerBound)}, upperBound=${fmtBound(this.upperBound)})`;
  }
}

class IntegerInterval extends BaseConstraint {
  override readonly isDiscrete = true;
  constructor(
    readonly name: string,
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(x: Tensor): Tensor {
    return logicalAnd(isInt(x), logicalAnd(ge(x, this.lowerBound), le(x, this.upperBound)));
  }
  feasibleLike(x: Tensor): Tensor {
    return fillLike(x, this.lowerBound);
  }
  override toString(): string {
    return `${this.name}(lowerBound=${fmtBound(this.lowerBound)}, upperBound=${fmtBound(this.upperBound)})`;
  }
}

class IntegerGreaterThanEq extends BaseConstraint {
  override readonly isDiscrete = true;
  constructor(
    readonly name: string,
    readonly lowerBound: number,
  ) {
    super();
  }
  check(x: Tensor): Tensor {
    return logicalAnd(isInt(x), ge(x, this.lowerBound));
  }
  feasibleLike(x: Tensor): Tensor {
    return fullLike(x, this.lowerBound);
  }
}

class BooleanC extends BaseConstraint {
  readonly name = "boolean";
  override readonly isDiscrete = true;
  check(x: Tensor): Tensor {
    return logicalOr(eq(x, 0), eq(x, 1));
  }
  feasibleLike(x: Tensor): Tensor {
    return zerosLike(x);
  }
}

/** Reinterprets `n` batch axes of a base constraint as event axes (checked jointly). */
export class IndependentConstraint extends BaseConstraint {
  readonly name = "independent";
  override readonly eventDim: number;
  override readonly isDiscrete: boolean;
  constructor(
    readonly base: Constraint,
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
    if (!Number.isInteger(reinterpretedBatchNdims) || reinterpretedBatchNdims < 0)
      throw new Error(
        `independent: reinterpretedBatchNdims must be a non-negative integer, got ${reinterpretedBatchNdims}`,
      );
    this.eventDim = base.eventDim + reinterpretedBatchNdims;
    this.isDiscrete = base.isDiscrete;
  }
  check(x: Tensor): Tensor {
    return allRightmost(this.base.check(x), this.reinterpretedBatchNdims);
  }
  feasibleLike(x: Tensor): Tensor {
    return this.base.feasibleLike(x);
  }
  override toString(): string {
    return `independent(${this.base.toString()}, ${this.reinterpretedBatchNdims})`;
  }
}

/**
 * Placeholder for a support or parameter range that depends on other parameters (e.g. the
 * support of Uniform(low, high)); it cannot be checked, and validation skips it.
 */
export class Dependent extends BaseConstraint {
  readonly name = "dependent";
  override readonly isDiscrete: boolean;
  override readonly eventDim: number;
  constructor(opts: { isDiscrete?: boolean; eventDim?: number } = {}) {
    super();
    this.isDiscrete = opts.isDiscrete ?? false;
    this.eventDim = opts.eventDim ?? 0;
  }
  check(_x: Tensor): Tensor {
    throw new Error(
      "dependent: a parameter-dependent constraint cannot be checked; use the distribution instance's `support`",
    );
  }
  feasibleLike(_x: Tensor): Tensor {
    throw new Error(
      "dependent: a parameter-dependent constraint has no feasible value; use the distribution instance's `support`",
    );
  }
}

/** All finite reals (NaN and ±∞ fail the check). */
export const real: Constraint = new Real();
/** Vectors of finite reals (event dim 1). */
export const realVector: Constraint = new IndependentConstraint(real, 1);
/** x > 0. */
export const positive: Constraint = new GreaterThan("positive", 0);
/** x ≥ 0. */
export const nonnegative: Constraint = new GreaterThan("nonnegative", 0, true);
/** 0 ≤ x ≤ 1. */
export const unitInterval: Constraint = new Interval("unitInterval", 0, 1);
/** 0 or 1. */
export const boolean: Constraint = new BooleanC();
/** Integers ≥ 0 (counts). */
export const nonnegativeInteger: Constraint = new IntegerGreaterThanEq("nonnegativeInteger", 0);
/** Integers ≥ 1. */
export const positiveInteger: Constraint = new IntegerGreaterThanEq("positiveInteger", 1);
/** A parameter-dependent constraint (see {@link Dependent}). */
export const dependent: Constraint = new Dependent();

/** lo ≤ x ≤ hi (closed, as in NumPyro). */
export function interval(lowerBound: Bound, upperBound: Bound): Constraint {
  return new Interval("interval", lowerBound, upperBound);
}
/** x > lowerBound. */
export function greaterThan(lowerBound: Bound): Constraint {
  return new GreaterThan("greaterThan", lowerBound);
}
/** x ≥ lowerBound. */
export function greaterThanEq(lowerBound: Bound): Constraint {
  return new GreaterThan("greaterThanEq", lowerBound, true);
}
/** x < upperBound. */
export function lessThan(upperBound: Bound): Constraint {
  return new LessThan("lessThan", upperBound);
}
/** Integers in [lo, hi]. */
export function integerInterval(lowerBound: Bound, upperBound: Bound): Constraint {
  return new IntegerInterval("integerInterval", lowerBound, upperBound);
}
/** Reinterpret the rightmost `n` axes of `base` as one event. */
export function independent(base: Constraint, n: number): Constraint {
  return n === 0 ? base : new IndependentConstraint(base, n);
}

/** The bounds of an interval-like constraint, if it has them (used by `bijectTo`). @internal */
export function boundsOf(c: Constraint): { lowerBound?: Bound; upperBound?: Bound } {
  const o = c as unknown as { lowerBound?: Bound; upperBound?: Bound };
  return { lowerBound: o.lowerBound, upperBound: o.upperBound };
}
