import {
  type DType, type Key, type Shape, type Tensor, add, betaln, div, fromTypedArray, lfactorial, logsumexp, maximum, mul,
  random, splitKey, square, sub, unsqueeze, xlogy,
} from "@scribe/core";
import { Distribution } from "./distribution.js";
import { nonnegativeInteger, positive, unitInterval } from "./constraints.js";
import { maskOutOfSupport } from "./validation.js";
import { gaussLegendre01 } from "./gauss-legendre.js";
import { type ParamLike, asValue, checkArgs, promoteParams } from "./param-utils.js";

/** Node tables per (order, dtype), as constant tensors. */
const tables = new Map<string, { logW: Tensor; logX: Tensor; log1mX: Tensor; x: Tensor }>();

function nodeTable(K: number, dtype: DType): { logW: Tensor; logX: Tensor; log1mX: Tensor; x: Tensor } {
  const id = `${K}:${dtype}`;
  const hit = tables.get(id);
  if (hit) return hit;
  const { nodes, weights } = gaussLegendre01(K);
  const make = (f: (i: number) => number) => {
    const a = dtype === "float64" ? new Float64Array(K) : new Float32Array(K);
    for (let i = 0; i < K; i++) a[i] = f(i);
    return fromTypedArray(a, [K]);
  };
  const t = {
    logW: make((i) => Math.log(weights[i]!)),
    logX: make((i) => Math.log(nodes[i]!)),
    log1mX: make((i) => Math.log1p(-nodes[i]!)),
    x: make((i) => nodes[i]!),
  };
  tables.set(id, t);
  return t;
}

/**
 * PoissonBeta(alpha α, beta β, rate r, capture ν = 1): the two-state (telegraph) promoter
 * marginal used by SCRIBE, u | q ~ Poisson(λq) with q ~ Beta(α, β) and λ = r·ν.
 *
 * The log-pmf is a fixed K-node Gauss–Legendre quadrature of ∫₀¹ Poisson(u | λq) Beta(q | α, β) dq
 * (default K = 256), as logsumexp over nodes of log wₖ + log Beta(xₖ | α, β) + u log xₖ − λxₖ,
 * plus u log λ − log u! (0 at u = 0, with no 0·log 0). The Beta density is written with tensor
 * ops, so gradients reach α, β, r and ν. The rule is exact for smooth integrands; for
 * U-shaped or bursty Beta laws (α or β well below 1), whose density is singular at an end of
 * [0, 1], it converges only algebraically and needs more nodes for tight accuracy.
 * Sampling is ancestral, with an independent q for every element of the output.
 * @example
 * new PoissonBeta(tensor([2]), tensor([20]), tensor([5])).logProb(tensor([1])); // ≈ −1.386917
 */
export class PoissonBeta extends Distribution {
  static override readonly argConstraints = { alpha: positive, beta: positive, rate: positive, capture: unitInterval };
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
  /** Number of quadrature nodes. */
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
    this.numNodes = opts.numNodes ?? 256;
    if (!Number.isInteger(this.numNodes) || this.numNodes < 1)
      throw new Error(`PoissonBeta: numNodes must be a positive integer, got ${this.numNodes}`);
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
    const dtype = this.alpha.dtype;
    const u = asValue(value, dtype);
    const { logW, logX, log1mX, x } = nodeTable(this.numNodes, dtype);
    const lam = this.effectiveRate;
    const a = unsqueeze(this.alpha, this.alpha.rank);
    const b = unsqueeze(this.beta, this.beta.rank);
    const uK = unsqueeze(u, u.rank);
    const lamK = unsqueeze(lam, lam.rank);
    // per node: log w + log Beta(x | α, β) + u log x − λ x   (shape [..., K])
    const logBeta = add(mul(sub(a, 1), logX), mul(sub(b, 1), log1mX));
    const terms = add(add(logW, logBeta), sub(mul(uK, logX), mul(lamK, x)));
    const integral = logsumexp(terms, -1);
    const lp = add(sub(integral, betaln(this.alpha, this.beta)), sub(xlogy(u, lam), lfactorial(u)));
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
