import {
  add,
  betainc,
  betaln,
  broadcastTo,
  digamma,
  div,
  gt,
  type Key,
  log,
  mul,
  random,
  type Shape,
  splitKey,
  sqrt,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { constant, log1pSquare, stdNormal } from "./helpers.js";

/**
 * Student's t distribution with `df` degrees of freedom, location `loc` and scale `scale`.
 * @example
 * new StudentT(3, 0, 1).logProb(tensor([0]));
 */
export class StudentT extends Distribution {
  static override readonly argConstraints = { df: positive, loc: real, scale: positive };
  static override readonly support = real;
  static override readonly reparametrized = true;

  /** Degrees of freedom ν. */
  readonly df: Tensor;
  /** Location. */
  readonly loc: Tensor;
  /** Scale. */
  readonly scale: Tensor;

  constructor(df: ParamLike, loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("StudentT", { df, loc, scale });
    super(batchShape, [], validateArgs);
    this.df = values.df;
    this.loc = values.loc;
    this.scale = values.scale;
    if (this.validateArgs) check("StudentT", values, StudentT.argConstraints);
  }

  /** loc + scale · ε · √(ν / χ²_ν) with χ²_ν = 2·Gamma(ν/2); differentiable (implicit gamma gradient). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [k1, k2] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const eps = stdNormal(k1, shape, this.df.dtype);
    const g = random.gamma(k2, mul(this.df, 0.5), shape, { dtype: this.df.dtype });
    return add(this.loc, mul(this.scale, mul(eps, sqrt(div(this.df, mul(g, 2))))));
  }

  /** −log B(ν/2, ½) − ½ log ν − log scale − (ν+1)/2 · log(1 + z²/ν); betaln keeps large ν exact. */
  logProb(value: Tensor): Tensor {
    const nu = this.df;
    const z = div(div(sub(value, this.loc), this.scale), sqrt(nu));
    const head = add(betaln(mul(nu, 0.5), 0.5), add(mul(log(nu), 0.5), log(this.scale)));
    return sub(mul(mul(add(nu, 1), -0.5), log1pSquare(z)), head);
  }

  /** loc for ν > 1, +∞ otherwise. */
  override get mean(): Tensor {
    return where(gt(this.df, 1), this.loc, constant(this.batchShape, Infinity, this.loc.dtype));
  }

  /** scale²·ν/(ν−2) for ν > 2, +∞ for 1 < ν ≤ 2, NaN for ν ≤ 1. */
  override get variance(): Tensor {
    const nu = this.df;
    const v = div(mul(square(this.scale), nu), sub(nu, 2));
    return where(gt(nu, 2), v, where(gt(nu, 1), Infinity, NaN));
  }

  override cdf(value: Tensor): Tensor {
    const nu = this.df;
    const t = div(sub(value, this.loc), this.scale);
    const x = div(nu, add(nu, square(t)));
    const half = mul(betainc(mul(nu, 0.5), 0.5, x), 0.5);
    return where(gt(t, 0), sub(1, half), half);
  }

  override entropy(): Tensor {
    const nu = this.df;
    const a = mul(add(nu, 1), 0.5);
    const t1 = mul(a, sub(digamma(a), digamma(mul(nu, 0.5))));
    const e = add(add(t1, mul(log(nu), 0.5)), add(betaln(mul(nu, 0.5), 0.5), log(this.scale)));
    return broadcastTo(e, this.batchShape);
  }
}
