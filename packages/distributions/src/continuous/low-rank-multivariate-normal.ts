import {
  add,
  broadcastShapes,
  broadcastTo,
  cholesky,
  div,
  eye,
  type Key,
  log,
  matmul,
  mT,
  mul,
  type Shape,
  splitKey,
  sqrt,
  square,
  squeeze,
  sub,
  sum,
  type Tensor,
  triangularSolve,
  unsqueeze,
} from "@scribe/core";
import { independent, positive, real, realVector } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { diagEmbed, diagonal } from "../linalg-utils.js";
import { asFloat, type ParamLike, paramDtype } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { HALF_LOG_2PI, stdNormal } from "./helpers.js";

/**
 * Multivariate normal with covariance Σ = W Wᵀ + diag(D), W = `covFactor` [K, r] of low rank r
 * and D = `covDiag` [K] > 0. Densities use the Woodbury identity and the r×r capacitance
 * matrix C = I + Wᵀ D⁻¹ W, so the cost is O(K r²) rather than O(K³).
 * @example
 * const d = new LowRankMultivariateNormal(zeros([3]), tensor([[1], [0.5], [0]]), tensor([1, 1, 1]));
 * d.logProb(tensor([0.1, 0.2, 0.3]));
 */
export class LowRankMultivariateNormal extends Distribution {
  static override readonly argConstraints = {
    loc: realVector,
    covFactor: independent(real, 2),
    covDiag: independent(positive, 1),
  };
  static override readonly support = realVector;
  static override readonly reparametrized = true;

  /** Mean, batchShape + [K]. */
  readonly loc: Tensor;
  /** W, batchShape + [K, r]. */
  readonly covFactor: Tensor;
  /** D, batchShape + [K]. */
  readonly covDiag: Tensor;

  constructor(loc: ParamLike, covFactor: Tensor, covDiag: ParamLike, validateArgs?: boolean) {
    const dtype = paramDtype([loc, covFactor, covDiag]);
    const w = asFloat(covFactor, dtype);
    if (w.rank < 2)
      throw new Error(`LowRankMultivariateNormal: covFactor must be [..., K, r], got shape [${w.shape}]`);
    const [k, r] = w.shape.slice(-2) as [number, number];
    const l = asFloat(loc, dtype);
    const dg = asFloat(covDiag, dtype);
    let batch: number[];
    try {
      batch = broadcastShapes(
        l.rank ? l.shape.slice(0, -1) : [],
        w.shape.slice(0, -2),
        dg.rank ? dg.shape.slice(0, -1) : [],
      );
      if ((l.rank && l.shape[l.rank - 1] !== k) || (dg.rank && dg.shape[dg.rank - 1] !== k))
        throw new Error();
    } catch {
      throw new Error(
        `LowRankMultivariateNormal: shapes do not match: loc [${l.shape}], covFactor [${w.shape}], covDiag [${dg.shape}] (need [..., K], [..., K, r], [..., K])`,
      );
    }
    super(batch, [k], validateArgs);
    this.loc = broadcastTo(l, [...batch, k]);
    this.covFactor = broadcastTo(w, [...batch, k, r]);
    this.covDiag = broadcastTo(dg, [...batch, k]);
    if (this.validateArgs)
      check(
        "LowRankMultivariateNormal",
        { loc: this.loc, covFactor: this.covFactor, covDiag: this.covDiag },
        LowRankMultivariateNormal.argConstraints,
      );
  }

  /** Lower Cholesky factor of the capacitance matrix I + Wᵀ D⁻¹ W. */
  private capacitanceTril(): Tensor {
    const r = this.covFactor.shape[this.covFactor.rank - 1]!;
    const wtDinvW = matmul(mT(this.covFactor), div(this.covFactor, unsqueeze(this.covDiag, -1)));
    return cholesky(add(wtDinvW, eye(r, r, this.loc.dtype)));
  }

  /** Σ = W Wᵀ + diag(D). */
  get covarianceMatrix(): Tensor {
    return add(matmul(this.covFactor, mT(this.covFactor)), diagEmbed(this.covDiag));
  }

  /** Cholesky factor of Σ (O(K³); for interop with MultivariateNormal). */
  get scaleTril(): Tensor {
    return cholesky(this.covarianceMatrix);
  }

  /** loc + W ε₁ + √D ε₂. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [k1, k2] = splitKey(key, 2) as [Key, Key];
    const r = this.covFactor.shape[this.covFactor.rank - 1]!;
    const dt = this.loc.dtype;
    const epsW = stdNormal(k1, [...sampleShape, ...this.batchShape, r], dt);
    const epsD = stdNormal(k2, this.shape(sampleShape), dt);
    const wPart = squeeze(matmul(this.covFactor, unsqueeze(epsW, -1)), -1);
    return add(add(this.loc, wPart), mul(sqrt(this.covDiag), epsD));
  }

  /** log |Σ| = 2 Σ log diag(L_C) + Σ log D. */
  private logDet(lc: Tensor): Tensor {
    return add(mul(sum(log(diagonal(lc)), -1), 2), sum(log(this.covDiag), -1));
  }

  logProb(value: Tensor): Tensor {
    const k = this.eventShape[0]!;
    const lc = this.capacitanceTril();
    const d = sub(value, this.loc);
    const dOverD = div(d, this.covDiag);
    const u = matmul(mT(this.covFactor), unsqueeze(dOverD, -1));
    const v = triangularSolve(lc, u, { lower: true });
    const maha = sub(sum(mul(d, dOverD), -1), sum(square(squeeze(v, -1)), -1));
    return sub(mul(add(maha, this.logDet(lc)), -0.5), k * HALF_LOG_2PI);
  }

  override get mean(): Tensor {
    return this.loc;
  }

  /** diag(Σ) = Σⱼ Wᵢⱼ² + Dᵢ. */
  override get variance(): Tensor {
    return add(sum(square(this.covFactor), -1), this.covDiag);
  }

  override entropy(): Tensor {
    const k = this.eventShape[0]!;
    return add(mul(this.logDet(this.capacitanceTril()), 0.5), k * (0.5 + HALF_LOG_2PI));
  }
}
