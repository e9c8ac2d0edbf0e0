import {
  concat,
  eq,
  floor,
  ge,
  logicalAnd,
  slice,
  sum,
  type Tensor,
  unsqueeze,
  zerosLike,
} from "@scribe/core";
import { allRightmost, BaseConstraint, type Constraint, fmtBound } from "../constraint.js";

/**
 * Support of Multinomial / DirichletMultinomial: vectors of non-negative integers (last axis)
 * summing to `totalCount`.
 * @internal
 */
class MultinomialSupport extends BaseConstraint {
  readonly name = "multinomial";
  override readonly eventDim = 1;
  override readonly isDiscrete = true;
  constructor(readonly upperBound: Tensor | number) {
    super();
  }
  check(x: Tensor): Tensor {
    const cellsOk = allRightmost(logicalAnd(eq(floor(x), x), ge(x, 0)), 1);
    return logicalAnd(cellsOk, eq(sum(x, -1), this.upperBound));
  }
  feasibleLike(x: Tensor): Tensor {
    const z = zerosLike(x);
    const K = x.shape[x.rank - 1]!;
    const first = slice(
      z,
      x.shape.map(() => 0),
      x.shape.map((d, i) => (i === x.rank - 1 ? 1 : d)),
    );
    const rest = slice(
      z,
      x.shape.map((_, i) => (i === x.rank - 1 ? 1 : 0)),
      x.shape.map((d, i) => (i === x.rank - 1 ? K : d)),
    );
    const n =
      typeof this.upperBound === "number"
        ? first.add(this.upperBound)
        : first.add(unsqueeze(this.upperBound, this.upperBound.rank));
    return concat([n, rest], -1);
  }
  override toString(): string {
    return `multinomial(upperBound=${fmtBound(this.upperBound)})`;
  }
}

/**
 * Non-negative integer vectors summing to `totalCount` (event dim 1).
 * @example
 * multinomial(5).check(tensor([2, 3])); // true
 */
export function multinomial(totalCount: Tensor | number): Constraint {
  return new MultinomialSupport(totalCount);
}
