import {
  add,
  div,
  type Key,
  lfactorial,
  lgammaShiftDiff,
  mul,
  random,
  type Shape,
  splitKey,
  sub,
  sum,
  type Tensor,
  unsqueeze,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { nonnegativeInteger, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { sampleMultinomial } from "./multinomial-sampler.js";
import { multinomial } from "./multinomial-support.js";

/**
 * DirichletMultinomial(concentration α [..., K], totalCount n): Multinomial(n, p) with
 * p ~ Dirichlet(α). log p(x) = log n! − Σ log xᵢ! + Σ log (αᵢ)_{xᵢ} − log (α₀)_n with rising
 * factorials (a)_m = Γ(a + m)/Γ(a) taken by `lgammaShiftDiff`.
 * @example
 * new DirichletMultinomial(tensor([1, 2, 3]), 5).logProb(tensor([1, 1, 3]));
 */
export class DirichletMultinomial extends Distribution {
  static override readonly argConstraints = { concentration: positive, totalCount: nonnegativeInteger };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Dirichlet concentration, shape batchShape + [K]. */
  readonly concentration: Tensor;
  /** Number of draws, shape batchShape. */
  readonly totalCount: Tensor;

  constructor(concentration: ParamLike, totalCount: ParamLike = 1, validateArgs?: boolean) {
    if (typeof concentration === "number" || concentration.rank < 1)
      throw new Error("DirichletMultinomial: concentration needs a category axis (shape [..., K])");
    const { values, batchShape } = promoteParams(
      "DirichletMultinomial",
      { concentration, totalCount },
      { concentration: 1 },
    );
    super(batchShape, [values.concentration.shape[values.concentration.rank - 1]!], validateArgs);
    this.concentration = values.concentration;
    this.totalCount = values.totalCount;
    checkArgs(this, values);
  }

  override get support(): Constraint {
    return multinomial(this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kp, kx] = splitKey(key, 2) as [Key, Key];
    const shape = [...sampleShape, ...this.batchShape];
    const p = random.dirichlet(kp, this.concentration, shape, { dtype: this.concentration.dtype });
    return sampleMultinomial(kx, this.totalCount, p, shape);
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.concentration.dtype);
    const a = this.concentration;
    const a0 = sum(a, -1);
    const n = this.totalCount;
    return maskOutOfSupport(
      this,
      value,
      lfactorial(n)
        .sub(sum(lfactorial(x), -1))
        .add(sum(lgammaShiftDiff(a, x), -1))
        .sub(lgammaShiftDiff(a0, n)),
    );
  }

  override get mean(): Tensor {
    const p = div(this.concentration, sum(this.concentration, -1, true));
    return mul(p, unsqueeze(this.totalCount, this.totalCount.rank));
  }

  override get variance(): Tensor {
    const a0 = sum(this.concentration, -1, true);
    const p = div(this.concentration, a0);
    const n = unsqueeze(this.totalCount, this.totalCount.rank);
    return div(mul(mul(mul(n, p), sub(1, p)), add(n, a0)), add(a0, 1));
  }
}
