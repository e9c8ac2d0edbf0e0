import {
  add,
  broadcastShapes,
  broadcastTo,
  cholesky,
  choleskySolve,
  eye,
  type Key,
  log,
  matmul,
  mT,
  mul,
  reshape,
  type Shape,
  square,
  squeeze,
  sub,
  sum,
  type Tensor,
  triangularSolve,
  unsqueeze,
} from "@scribe/core";
import { lowerCholesky, positiveDefinite, realVector } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { diagonal } from "../linalg-utils.js";
import { asFloat, type ParamLike, paramDtype } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { HALF_LOG_2PI, stdNormal } from "./helpers.js";

/** Exactly one of these fixes the covariance. */
export interface MultivariateNormalOptions {
  /** Σ (symmetric positive definite). */
  covarianceMatrix?: Tensor;
  /** Σ⁻¹. */
  precisionMatrix?: Tensor;
  /** Lower Cholesky factor L with Σ = L Lᵀ. */
  scaleTril?: Tensor;
  validateArgs?: boolean;
}

/**
 * Multivariate normal distribution with mean `loc` (event shape [K]) and covariance given by
 * exactly one of `covarianceMatrix`, `precisionMatrix` or `scaleTril`. Computations go
 * through the Cholesky factor.
 * @example
 * const d = new MultivariateNormal(tensor([0, 0]), { covarianceMatrix: tensor([[2, 0.5], [0.5, 1]]) });
 * d.logProb(tensor([1, -1]));
 */
export class MultivariateNormal extends Distribution {
  static override readonly argConstraints = {
    loc: realVector,
    covarianceMatrix: positiveDefinite,
    precisionMatrix: positiveDefinite,
    scaleTril: lowerCholesky,
  };
  static override readonly support = realVector;
  static override readonly reparametrized = true;

  /** Mean, shape batchShape + [K]. */
  readonly loc: Tensor;
  /** L with Σ = L Lᵀ, shape batchShape + [K, K]. */
  readonly scaleTril: Tensor;

  constructor(loc: ParamLike, opts: MultivariateNormalOptions) {
    const given = (["covarianceMatrix", "precisionMatrix", "scaleTril"] as const).filter(
      (k) => opts[k] !== undefined,
    );
    if (given.length !== 1)
      throw new Error(
        `MultivariateNormal: pass exactly one of covarianceMatrix, precisionMatrix or scaleTril (got ${given.length})`,
      );
    const which = given[0]!;
    const mat0 = opts[which]!;
    const dtype = paramDtype([loc, mat0]);
    const mat = asFloat(mat0, dtype);
    if (mat.rank < 2 || mat.shape[mat.rank - 1] !== mat.shape[mat.rank - 2])
      throw new Error(`MultivariateNormal: ${which} must be square matrices, got shape [${mat.shape}]`);
    const k = mat.shape[mat.rank - 1]!;
    let locT = asFloat(loc, dtype);
    if (locT.rank === 0) locT = broadcastTo(locT, [k]);
    if (locT.shape[locT.rank - 1] !== k)
      throw new Error(
        `MultivariateNormal: loc shape [${locT.shape}] does not match ${which} shape [${mat.shape}]`,
      );
    let batch: number[];
    try {
      batch = broadcastShapes(locT.shape.slice(0, -1), mat.shape.slice(0, -2));
    } catch {
      throw new Error(
        `MultivariateNormal: batch shapes of loc [${locT.shape}] and ${which} [${mat.shape}] do not broadcast`,
      );
    }
    const validate = opts.validateArgs;
    super(batch, [k], validate);
    if (this.validateArgs)
      check("MultivariateNormal", { loc: locT, [which]: mat }, MultivariateNormal.argConstraints);
    let tril: Tensor;
    if (which === "scaleTril") tril = mat;
    else if (which === "covarianceMatrix") tril = cholesky(mat);
    else tril = cholesky(choleskySolve(cholesky(mat), broadcastTo(eye(k, k, dtype), mat.shape)));
    this.loc = broadcastTo(locT, [...batch, k]);
    this.scaleTril = broadcastTo(tril, [...batch, k, k]);
  }

  /** Σ = L Lᵀ. */
  get covarianceMatrix(): Tensor {
    return matmul(this.scaleTril, mT(this.scaleTril));
  }

  /** Σ⁻¹. */
  get precisionMatrix(): Tensor {
    const k = this.eventShape[0]!;
    return choleskySolve(this.scaleTril, broadcastTo(eye(k, k, this.loc.dtype), this.scaleTril.shape));
  }

  /** loc + L ε. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const eps = stdNormal(key, this.shape(sampleShape), this.loc.dtype);
    return add(this.loc, squeeze(matmul(this.scaleTril, unsqueeze(eps, -1)), -1));
  }

  /** −½ |L⁻¹(x − μ)|² − Σ log Lᵢᵢ − (K/2) log 2π. */
  logProb(value: Tensor): Tensor {
    const k = this.eventShape[0]!;
    const diff = sub(value, this.loc);
    const white = triangularSolve(this.scaleTril, unsqueeze(diff, -1), { lower: true });
    const maha = sum(square(reshape(white, white.shape.slice(0, -1))), -1);
    const halfLogDet = sum(log(diagonal(this.scaleTril)), -1);
    return sub(sub(mul(maha, -0.5), halfLogDet), k * HALF_LOG_2PI);
  }

  override get mean(): Tensor {
    return this.loc;
  }

  /** The marginal variances diag(Σ). */
  override get variance(): Tensor {
    return sum(square(this.scaleTril), -1);
  }

  override entropy(): Tensor {
    const k = this.eventShape[0]!;
    return add(sum(log(diagonal(this.scaleTril)), -1), k * (0.5 + HALF_LOG_2PI));
  }
}
