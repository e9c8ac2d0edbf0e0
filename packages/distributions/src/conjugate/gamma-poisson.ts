import {
  add,
  betainc,
  div,
  floor,
  type Key,
  lt,
  mul,
  random,
  type Shape,
  splitKey,
  square,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, nonnegativeInteger, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { nb2LogProb } from "../kernels/negative-binomial.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";

/**
 * GammaPoisson(concentration α, rate β): a Poisson whose rate is Gamma(α, β) distributed,
 * i.e. a negative binomial with mean α/β and variance α(1 + β)/β². The log-pmf is the
 * core's fused, count-aware NB2 kernel at (mean α/β, concentration α).
 * @example
 * new GammaPoisson(tensor([2]), tensor([0.5])).logProb(tensor([3]));
 */
export class GammaPoisson extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {
    concentration: positive,
    rate: positive,
  };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Gamma shape α, broadcast to the batch shape. */
  readonly concentration: Tensor;
  /** Gamma rate β, broadcast to the batch shape. */
  readonly rate: Tensor;

  constructor(concentration: ParamLike, rate: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("GammaPoisson", { concentration, rate });
    super(batchShape, [], validateArgs);
    this.concentration = values.concentration;
    this.rate = values.rate;
    checkArgs(this, values);
  }

  /** Ancestral draw: λ ~ Gamma(α, β), then Poisson(λ). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kg, kp] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const g = random.gamma(kg, this.concentration, shape, { dtype: this.concentration.dtype });
    return random.poisson(kp, this.poissonMean(g), shape, { dtype: this.concentration.dtype });
  }

  /** The Poisson mean of a Gamma(concentration, 1) draw g: g / rate. */
  protected poissonMean(g: Tensor): Tensor {
    return div(g, this.rate);
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.concentration.dtype);
    return maskOutOfSupport(this, value, nb2LogProb(k, this.mean, this.concentration));
  }

  override get mean(): Tensor {
    return div(this.concentration, this.rate);
  }

  override get variance(): Tensor {
    return div(mul(this.concentration, add(this.rate, 1)), square(this.rate));
  }

  /** P(X ≤ k) = I_{β/(1+β)}(α, ⌊k⌋ + 1). */
  override cdf(value: Tensor): Tensor {
    const k = floor(asValue(value, this.concentration.dtype));
    const x = div(this.rate, add(this.rate, 1));
    return where(lt(k, 0), 0, betainc(this.concentration, add(where(lt(k, 0), 0, k), 1), x));
  }
}
