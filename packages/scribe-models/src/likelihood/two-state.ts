/**
 * Per-cell and per-gene log-likelihoods of the TwoState models (SCRIBE two-state models): the Poisson–Beta
 * compound u_cg ~ ∫ Poisson(u | r̂_g·ν_c·q) Beta(q | α_g, β_g) dq, evaluated by `PoissonBeta`
 * (PoissonBeta's piecewise Gauss–Legendre rule, TWO_STATE_DEFAULT_NODES nodes by default). Same reductions, weights
 * and mixture semantics as the NB family (`nbFamilyLogLikelihood`); the capture probability is
 * floored at 1e−6 like the NB family's p.
 * @module
 */
import { clamp, concat, scope, type Tensor } from "@scribe/core";
import { PoissonBeta } from "@scribe/distributions";
import { TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { type LogLikelihoodOptions, reduceLogLikelihood } from "./nb-family.js";

/** Floor of the capture probability in the log-likelihood (SCRIBE's p_floor). */
const CAPTURE_FLOOR = 1e-6;

/**
 * Parameters of the Poisson–Beta compound after the TwoState map: α, β and r̂ per gene [G]
 * (mixtures: [K, G], or [G] shared by all components), capture ν per cell [C] (twostatevcp),
 * and the mixing weights [K] for mixtures.
 */
export interface TwoStateParams {
  readonly alpha: Tensor;
  readonly beta: Tensor;
  readonly rHat: Tensor;
  readonly pCapture?: Tensor;
  readonly mixingWeights?: Tensor;
}

/** Options of the TwoState log-likelihood: those of the NB family plus the quadrature size. */
export interface TwoStateLogLikelihoodOptions extends Omit<LogLikelihoodOptions, "rFloor" | "pFloor"> {
  /** Quadrature nodes per element (default TWO_STATE_DEFAULT_NODES). */
  readonly nQuadNodes?: number;
  /** Cells per chunk; the quadrature holds [cells, K?, G, nodes] values (default: ~4M values per chunk). */
  readonly cellChunk?: number;
}

/**
 * Elementwise log-pmf of each count: [C, G], or [C, K, G] for mixtures (without the mixing
 * weights). Evaluated in chunks of cells to bound the [cells, K?, G, nodes] quadrature arrays.
 * @example
 * twoStateElementLogLikelihood(counts, { alpha: tensor([2]), beta: tensor([20]), rHat: tensor([5]) }); // [C, 1]
 */
export function twoStateElementLogLikelihood(
  counts: Tensor,
  params: TwoStateParams,
  opts: TwoStateLogLikelihoodOptions = {},
): Tensor {
  const mixture = params.mixingWeights !== undefined;
  const [C, G] = counts.shape as [number, number];
  const nodes = opts.nQuadNodes ?? TWO_STATE_DEFAULT_NODES;
  let { alpha, beta, rHat } = params;
  if (mixture) {
    const K = params.mixingWeights!.shape[0]!;
    const kg = (x: Tensor) => (x.rank === 1 ? x.reshape([1, G]).expand([K, G]) : x);
    alpha = kg(alpha);
    beta = kg(beta);
    rHat = kg(rHat);
  }
  const perCell = G * nodes * (mixture ? alpha.shape[0]! : 1);
  const chunk = Math.max(1, Math.min(C, opts.cellChunk ?? Math.floor(4_194_304 / perCell)));
  const parts: Tensor[] = [];
  for (let c0 = 0; c0 < C; c0 += chunk) {
    const c1 = Math.min(C, c0 + chunk);
    parts.push(
      scope(() => {
        const n = c1 - c0;
        const u0 = c0 === 0 && c1 === C ? counts : counts.slice([c0, 0], [c1, G]);
        const u = mixture ? u0.reshape([n, 1, G]) : u0;
        let nu: Tensor | number = 1;
        if (params.pCapture) {
          const pc = c0 === 0 && c1 === C ? params.pCapture : params.pCapture.slice([c0], [c1]);
          // ν floored at 1e−6 (SCRIBE's p_floor): a boundary MAP ν = 0 would make every u > 0 impossible
          nu = clamp(pc, CAPTURE_FLOOR, 1).reshape(mixture ? [n, 1, 1] : [n, 1]);
        }
        return new PoissonBeta(alpha, beta, rHat, nu, { numNodes: nodes, validateArgs: false }).logProb(u);
      }),
    );
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/**
 * The TwoState per-cell [C] or per-gene [G] log-likelihood (mixtures: logsumexp over
 * components of log π_k + the summed log-pmf, or the split values with `splitComponents`).
 * @example
 * twoStateLogLikelihood(counts, { alpha, beta, rHat, pCapture }, { returnBy: "gene" }); // [G]
 */
export function twoStateLogLikelihood(
  counts: Tensor,
  params: TwoStateParams,
  opts: TwoStateLogLikelihoodOptions = {},
): Tensor {
  return reduceLogLikelihood(
    twoStateElementLogLikelihood(counts, params, opts),
    counts,
    params.mixingWeights,
    opts,
  );
}
