/**
 * The CDF pair (F(u − 1), F(u)) of the TwoState (Poisson–Beta) observation for randomized
 * quantile residuals. The Poisson–Beta law has no closed-form CDF, so F(u) = Σ_{k≤u} p(k) is
 * summed in float64 on the host from the pmf of `PoissonBeta` (its Gauss–Legendre rule,
 * ≤ 2e-13 relative in float64): for `twostate` one table per gene (λ = r̂ is the same in every
 * cell) up to the largest count of the chunk; for `twostatevcp` (λ = r̂·ν_c per cell) the terms
 * 0 … u_cg of every count, so the work is the number of molecules in the chunk. Mixtures take
 * the π-weighted CDF. The pmf evaluations run in batches, one read-back per batch.
 * @module
 */
import { currentBackend, dispose, scope, type Tensor, tensor } from "@scribe/core";
import { PoissonBeta } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { twoStateDrawParams } from "../models/two-state.js";

/** Floor of the capture probability (as in the TwoState log-likelihood, likelihood/two-state.ts). */
const CAPTURE_FLOOR = 1e-6;
/** pmf terms per batch of the quadrature kernel. */
const BATCH_TERMS = 1 << 18;

/** Host copies of one draw's Poisson–Beta parameters: α, β, r̂ as [K, G] (K = 1 without mixture). */
export interface TwoStateHostParams {
  readonly K: number;
  readonly G: number;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly rHat: Float64Array;
  /** Capture probability per cell of the whole fit [C], or null (`twostate`). */
  readonly pCapture: Float64Array | null;
  /** Mixing weights [K], or null. */
  readonly weights: Float64Array | null;
}

/**
 * Read one draw's Poisson–Beta parameters to the host (one await). α, β, r̂ shared by the
 * components of a mixture ([G]) are repeated over K.
 * @example
 * const p = await twoStateHostParams(res.config, res.getMap());
 */
export async function twoStateHostParams(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
): Promise<TwoStateHostParams> {
  const G = cfg.nGenes;
  const K = cfg.nComponents;
  const params = scope(() => twoStateDrawParams(cfg, draw));
  const [a, b, r, nu, w] = await Promise.all([
    params.alpha.data(),
    params.beta.data(),
    params.rHat.data(),
    params.pCapture ? params.pCapture.data() : null,
    params.mixingWeights ? params.mixingWeights.data() : null,
  ]);
  const owned = [params.alpha, params.beta, params.rHat].filter((t) => !Object.values(draw).includes(t));
  dispose(owned);
  const perKG = (x: ArrayLike<number | bigint | boolean>, name: string): Float64Array => {
    if (x.length !== G && x.length !== K * G)
      throw new Error(`TwoState CDF: ${name} has ${x.length} values, expected ${G} genes or ${K} × ${G}`);
    return Float64Array.from({ length: K * G }, (_, j) => Number(x[x.length === G ? j % G : j]));
  };
  return {
    K,
    G,
    alpha: perKG(a, "alpha"),
    beta: perKG(b, "beta"),
    rHat: perKG(r, "r_hat"),
    pCapture: nu ? Float64Array.from(nu as ArrayLike<number>, Number) : null,
    weights: w ? Float64Array.from(w as ArrayLike<number>, Number) : null,
  };
}

/**
 * Evaluates Poisson–Beta pmfs of many (α, β, λ, k) terms in batches; `push` returns the
 * term's index, `run` fills `pmf`.
 */
class PmfTerms {
  private a: number[] = [];
  private b: number[] = [];
  private lam: number[] = [];
  private k: number[] = [];
  pmf = new Float64Array(0);

  constructor(private readonly nQuadNodes: number) {}

  push(alpha: number, beta: number, lambda: number, k: number): number {
    this.a.push(alpha);
    this.b.push(beta);
    this.lam.push(lambda);
    this.k.push(k);
    return this.a.length - 1;
  }

  async run(): Promise<void> {
    const n = this.a.length;
    this.pmf = new Float64Array(n);
    const dtype = currentBackend().supportsFloat64 ? "float64" : "float32";
    for (let s = 0; s < n; s += BATCH_TERMS) {
      const e = Math.min(n, s + BATCH_TERMS);
      const col = (x: number[]) => tensor(Float64Array.from(x.slice(s, e)), { dtype });
      const lp = scope(() =>
        new PoissonBeta(col(this.a), col(this.b), col(this.lam), 1, {
          numNodes: this.nQuadNodes,
          validateArgs: false,
        }).logProb(col(this.k)),
      );
      const data = await lp.data();
      lp.dispose();
      for (let j = s; j < e; j++) this.pmf[j] = Math.exp(Number(data[j - s]));
    }
  }
}

/**
 * F(u − 1) and F(u) [Cc·G] row-major for the counts `u` [Cc·G] of cells c0 … c0 + Cc − 1 under
 * one draw (see the module comment); F(−1) = 0, values clamped to [0, 1].
 * @example
 * const { lo, hi } = await twoStateCdfPair(u, 0, C, await twoStateHostParams(cfg, map), 128);
 */
export async function twoStateCdfPair(
  u: ArrayLike<number>,
  c0: number,
  Cc: number,
  p: TwoStateHostParams,
  nQuadNodes: number,
): Promise<{ lo: Float64Array; hi: Float64Array }> {
  const { K, G } = p;
  if (u.length !== Cc * G) throw new Error(`TwoState CDF: ${u.length} counts for ${Cc} cells × ${G} genes`);
  for (let j = 0; j < u.length; j++) {
    const v = u[j]!;
    if (!(Number.isInteger(v) && v >= 0))
      throw new Error(
        `TwoState CDF: count ${v} at cell ${c0 + Math.floor(j / G)}, gene ${j % G} is not a non-negative integer`,
      );
  }
  const terms = new PmfTerms(nQuadNodes);
  // start[(c?, k, g)]: index of the term k' = 0 of that group; terms k' = 0 … max follow in order
  const perCell = p.pCapture !== null;
  const start = new Int32Array(perCell ? Cc * K * G : K * G);
  if (!perCell) {
    const maxU = new Int32Array(G);
    for (let j = 0; j < u.length; j++) maxU[j % G] = Math.max(maxU[j % G]!, u[j]!);
    for (let k = 0; k < K; k++)
      for (let g = 0; g < G; g++) {
        const kg = k * G + g;
        start[kg] = terms.push(p.alpha[kg]!, p.beta[kg]!, p.rHat[kg]!, 0);
        for (let n = 1; n <= maxU[g]!; n++) terms.push(p.alpha[kg]!, p.beta[kg]!, p.rHat[kg]!, n);
      }
  } else {
    for (let c = 0; c < Cc; c++) {
      const nu = Math.min(1, Math.max(CAPTURE_FLOOR, p.pCapture![c0 + c]!));
      for (let k = 0; k < K; k++)
        for (let g = 0; g < G; g++) {
          const kg = k * G + g;
          const lam = p.rHat[kg]! * nu;
          start[(c * K + k) * G + g] = terms.push(p.alpha[kg]!, p.beta[kg]!, lam, 0);
          for (let n = 1; n <= u[c * G + g]!; n++) terms.push(p.alpha[kg]!, p.beta[kg]!, lam, n);
        }
    }
  }
  await terms.run();
  const pmf = terms.pmf;
  // cumulative sums per group, in place of the pmf (F(k) at the term of k)
  const cdf = new Float64Array(pmf.length);
  for (let gi = 0; gi < start.length; gi++) {
    const s = start[gi]!;
    const e = gi + 1 < start.length ? start[gi + 1]! : pmf.length;
    let acc = 0;
    for (let j = s; j < e; j++) {
      acc += pmf[j]!;
      cdf[j] = acc;
    }
  }
  const lo = new Float64Array(Cc * G);
  const hi = new Float64Array(Cc * G);
  for (let c = 0; c < Cc; c++)
    for (let g = 0; g < G; g++) {
      const j = c * G + g;
      const n = u[j]!;
      let l = 0;
      let h = 0;
      for (let k = 0; k < K; k++) {
        const s = start[perCell ? (c * K + k) * G + g : k * G + g]!;
        const w = p.weights ? p.weights[k]! : 1;
        h += w * cdf[s + n]!;
        if (n > 0) l += w * cdf[s + n - 1]!;
      }
      lo[j] = Math.min(1, Math.max(0, l));
      hi[j] = Math.min(1, Math.max(0, h));
    }
  return { lo, hi };
}
