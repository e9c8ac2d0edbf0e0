import { astype, eq, logicalNot, sum, type Tensor } from "@scribe/core";

/**
 * A region of values (a distribution's support, or the admissible set of a parameter).
 * `check(x)` answers elementwise over the batch: the rightmost `eventDim` axes of `x` are
 * one event and are reduced (all must hold).
 */
export interface Constraint {
  /** The constraint's kind ("positive", "interval", "independent", ...); `bijectTo` looks it up by this. */
  readonly name: string;
  /** How many rightmost axes make one event (0 for scalar constraints, 1 for simplex, 2 for matrices). */
  readonly eventDim: number;
  /** True for integer-valued supports (counts, booleans). */
  readonly isDiscrete: boolean;
  /** A bool tensor of shape `x.shape` minus the rightmost `eventDim` axes: true where `x` satisfies it. */
  check(x: Tensor): Tensor;
  /** A tensor shaped like `x` whose every event satisfies the constraint (used to mask safely). */
  feasibleLike(x: Tensor): Tensor;
  /** A readable description with the parameters, e.g. `greaterThan(lowerBound=0)`. */
  toString(): string;
}

/**
 * Shared plumbing for the built-in constraints.
 * @internal
 */
export abstract class BaseConstraint implements Constraint {
  abstract readonly name: string;
  readonly eventDim: number = 0;
  readonly isDiscrete: boolean = false;
  abstract check(x: Tensor): Tensor;
  abstract feasibleLike(x: Tensor): Tensor;
  toString(): string {
    return this.name;
  }
}

/**
 * Reduce a bool tensor with "all" over its rightmost `n` axes.
 * @internal
 */
export function allRightmost(c: Tensor, n: number): Tensor {
  if (n <= 0) return c;
  const axes = Array.from({ length: n }, (_, i) => c.rank - n + i);
  return eq(sum(astype(logicalNot(c), "float32"), axes), 0);
}

/**
 * Format a bound (number or tensor) for messages without reading a tensor back, so a message
 * is the same on every backend: a scalar made from plain numbers shows its value, any other
 * tensor its shape.
 * @internal
 */
export function fmtBound(b: Tensor | number): string {
  if (typeof b === "number") return String(b);
  if (b._weakValue !== null) return String(b._weakValue);
  return `tensor[${b.shape.join(", ")}]`;
}
