import {
  add,
  div,
  type Key,
  maximum,
  mul,
  random,
  type Shape,
  splitKey,
  square,
  type Tensor,
} from "@scribe/core";
import { nonnegativeInteger, positive, unitInterval } from "./constraints.js";
import { Distribution } from "./distribution.js";
import { poissonBetaLogProb } from "./kernels/poisson-beta.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "./param-utils.js";
import { maskOutOfSupport } from "./validation.js";

/**
 * The quadrature of the log-pmf works on the unnormalized posterior of q,
 * f(q) = q^(A−1) (1−q)^(B−1) e^(−λq) with A = α + u and B = β, and writes its integral as the
 * sum of five pieces, each with a Gauss–Legendre rule in a variable where that piece is smooth:
 *
 * - L, q ∈ [0, c₀] with q = c₀ v^p and p = m/A (m a positive integer): the substitution turns
 *   q^(A−1) dq into c₀^A p v^(m−1) dv, so the endpoint singularity of α < 1 (or the fractional
 *   power of 1 < A < 4) disappears exactly;
 * - M0, M1, M2 in the logit x = log(q/(1−q)), where the integrand e^(h(x)),
 *   h(x) = A log σ(x) + B log σ(−x) − λσ(x), is smooth and unimodal: M1 = [x₀, x₁] spans the
 *   peak (where h is within T of its maximum, at most W either side of the mode); M0 = [xₐ, x₀]
 *   and M2 = [x₁, x_b] reach out to xₐ = min(x₀, 0) and
 *   x_b = max(x₁, 0, logit(1 − min(1, B)/(λ + A + 1))), with nodes graded (∝ t²) towards x₀, x₁;
 * - R, 1 − q ∈ [0, 1 − c_b] with 1 − q = (1 − c_b) w^p, p = m/B, for the (1−q)^(β−1) end.
 *
 * On L (left of the mode, c₀ ≤ ½) the integrand's log-slope in log v is at most m; on R
 * (1 − q ≤ ½ and ≤ min(1, B)/(λ + A + 1)) the factor q^(A−1) e^(−λq) varies by at most
 * ~min(1, B) against the power w^(1/B): both are smooth, low-degree-like functions of v, w.
 * The pieces' positions are computed from detached parameters: the integral does not depend
 * on where it is split, so the gradient is the same rule applied to the parameter derivative
 * of the integrand (the power p = m/A, m/B follows the live exponent, so the log v term of
 * ∂(d^(A−1))/∂A cancels).
 *
 * The rule runs per element inside one fused kernel: `poissonBetaLogProb` (the `poissonBeta`
 * op of kernels/poisson-beta.ts: kernels/poisson-beta-rule.ts in float64 on the CPU,
 * kernels/poisson-beta-wgsl.ts in float32 on WebGPU), which returns the log-pmf and its
 * partials in α, β, λ together.
 */
/**
 * PoissonBeta(alpha α, beta β, rate r, capture ν = 1): the two-state (telegraph) promoter
 * marginal used by SCRIBE, u | q ~ Poisson(λq) with q ~ Beta(α, β) and λ = r·ν.
 *
 * The log-pmf is u log λ − log u! − log B(α, β) + log ∫₀¹ q^(α+u−1) (1−q)^(β−1) e^(−λq) dq, the
 * integral by a composite Gauss–Legendre rule placed per element (default 192 nodes in float64,
 * 120 in float32): power substitutions q = c v^p and 1 − q = c w^p at the two ends remove the
 * endpoint singularities of α, β < 1 exactly, and a window in logit(q) around the integrand's
 * mode (out to where it has fallen by e^40, at most 5 logit units either side) resolves sharp
 * peaks (large λ or u). Against mpmath, float64: ≤ 2e-13 (|error| / max(1, |log p|)) for
 * α, β ∈ [0.05, 50], λ ≤ 1e3, u ≤ 1000, U-shaped, bimodal and bursty laws included; ~1e-11 out
 * to α, β ∈ [0.01, 2000], λ ≤ 1e5 (~1e-10 for α ≈ 0.01 with λ ≈ 1e5 at u = 0); float32 ≲ 1e-5
 * (rounding of u log λ). Gradients reach α, β, r and ν (the same rule applied to the parameter
 * derivative of the integrand; see test/distributions/poisson-beta-refvec.test.ts).
 * Sampling is ancestral, with an independent q for every element of the output.
 * @example
 * new PoissonBeta(tensor([2]), tensor([20]), tensor([5])).logProb(tensor([1])); // ≈ −1.386917
 */
export class PoissonBeta extends Distribution {
  static override readonly argConstraints = {
    alpha: positive,
    beta: positive,
    rate: positive,
    capture: unitInterval,
  };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Beta shape α (promoter activation), broadcast to the batch shape. */
  readonly alpha: Tensor;
  /** Beta shape β (promoter deactivation), broadcast to the batch shape. */
  readonly beta: Tensor;
  /** Transcription rate r, broadcast to the batch shape. */
  readonly rate: Tensor;
  /** Capture probability ν, broadcast to the batch shape. */
  readonly capture: Tensor;
  /** Quadrature nodes per element (split 1 : 1 : 2 : 1 : 1 over the five pieces; at least 6). */
  readonly numNodes: number;

  constructor(
    alpha: ParamLike,
    beta: ParamLike,
    rate: ParamLike,
    capture: ParamLike = 1,
    opts: { numNodes?: number; validateArgs?: boolean } = {},
  ) {
    const { values, batchShape } = promoteParams("PoissonBeta", { alpha, beta, rate, capture });
    super(batchShape, [], opts.validateArgs);
    this.alpha = values.alpha;
    this.beta = values.beta;
    this.rate = values.rate;
    this.capture = values.capture;
    this.numNodes = opts.numNodes ?? (this.alpha.dtype === "float64" ? 192 : 120);
    if (!Number.isInteger(this.numNodes) || this.numNodes < 6)
      throw new Error(`PoissonBeta: numNodes must be an integer ≥ 6, got ${this.numNodes}`);
    checkArgs(this, values);
  }

  /** The effective Poisson scale λ = rate·capture. */
  get effectiveRate(): Tensor {
    return mul(this.rate, this.capture);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kq, ku] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const q = random.beta(kq, this.alpha, this.beta, shape, { dtype: this.alpha.dtype });
    return random.poisson(ku, maximum(mul(q, this.effectiveRate), 1e-30), shape, { dtype: this.alpha.dtype });
  }

  logProb(value: Tensor): Tensor {
    const u = asValue(value, this.alpha.dtype);
    // one fused kernel: the integral at max(u, 0) (so masked out-of-support values keep finite
    // gradients), − log B(α, β) + u log λ − lgamma(u + 1), and its partials in α, β, λ
    const lp = poissonBetaLogProb(u, this.alpha, this.beta, this.effectiveRate, this.numNodes);
    return maskOutOfSupport(this, value, lp);
  }

  /** λα/(α + β). */
  override get mean(): Tensor {
    return div(mul(this.effectiveRate, this.alpha), add(this.alpha, this.beta));
  }

  /** λα/(α+β) + λ²αβ/((α+β)²(α+β+1)). */
  override get variance(): Tensor {
    const s = add(this.alpha, this.beta);
    const lam = this.effectiveRate;
    return add(this.mean, div(mul(mul(square(lam), this.alpha), this.beta), mul(square(s), add(s, 1))));
  }
}
