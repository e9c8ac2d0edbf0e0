/**
 * Pointwise log-likelihood matrices of a SCRIBE fit for model comparison (SCRIBE `scribe.mc`): per cell
 * (summed over genes; mixtures marginalised per cell) [S, C], and per gene (summed over
 * cells; mixtures logsumexp_k(log π_k + Σ_c log f_k)) [S, G], for S posterior draws. Computed
 * in chunks of draws and cells through the elementwise likelihoods of `likelihood/` (the
 * machinery behind `results.logLikelihood`), each chunk read back once, so memory is the two
 * output matrices plus one chunk: 10,000 cells × 2,000 genes × 500 draws needs ≈ 50 MB of
 * output and ≈ 100 MB of chunk.
 * @module
 */
import { dispose, scope, stack, sum, type Tensor } from "@scribe/core";
import type { LogLikMatrix } from "@scribe/infer";
import { familyOf } from "../families/registry.js";
import type { FamilyName } from "../families/traits.js";
import { elementLogLikelihood, type LogLikelihoodOptions } from "../likelihood/nb-family.js";
import { twoStateElementLogLikelihood } from "../likelihood/two-state.js";
import { type ModelConfig, TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { twoStateDrawParams } from "../models/two-state.js";
import { drawAt, familyParams } from "../results/log-likelihood.js";
import type { ScribeResults } from "../results/results.js";

/** Options of {@link pointwiseLogLikelihoods}. */
export interface PointwiseLogLikOptions {
  /** Posterior draws S (default 1000; MCMC results use their stored draws). */
  nSamples?: number;
  /** Seed of the posterior draws (default 0). */
  seed?: number;
  /** Also compute the per-gene matrix (default true). */
  perGene?: boolean;
  /** Elements (draws × cells × genes × components) per chunk (default 4,194,304). */
  chunkElements?: number;
  /** Floors of r and p (SCRIBE's r_floor, p_floor; default 1e-6). */
  rFloor?: number;
  pFloor?: number;
}

/** Per-cell and per-gene log-likelihood matrices of one fit. */
export interface PointwiseLogLik {
  /** `[S, C]`: log p(u_c | θ_s) summed over genes. */
  readonly perCell: LogLikMatrix;
  /** `[S, G]`: log p(u_·g | θ_s) summed over cells; null when not requested. */
  readonly perGene: LogLikMatrix | null;
}

/**
 * The elementwise log-likelihood [Cc, G] (or [Cc, K, G]) of counts `u` under one draw, per
 * family (a typed table on the family's name, so a new family is a compile error here).
 */
const ELEMENT_LOG_LIKELIHOOD: Readonly<
  Record<
    FamilyName,
    (cfg: ModelConfig, u: Tensor, draw: Record<string, Tensor>, floors: LogLikelihoodOptions) => Tensor
  >
> = {
  nb: (cfg, u, draw, floors) => elementLogLikelihood(u, familyParams(cfg, draw), floors),
  two_state: (cfg, u, draw) =>
    twoStateElementLogLikelihood(u, twoStateDrawParams(cfg, draw), {
      nQuadNodes: cfg.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
    }),
};

/** Check that `counts` is the cells × genes matrix the fit was made on. */
export function checkCountsShape(res: ScribeResults, counts: Tensor, what: string): void {
  const [C, G] = counts.shape;
  if (counts.rank !== 2 || C !== res.nCells || G !== res.nGenes)
    throw new Error(
      `${what}: counts have shape [${counts.shape}], the fit was made on ${res.nCells} cells × ${res.nGenes} genes`,
    );
}

/**
 * Draws × cells and draws × genes log-likelihood matrices of a fit (see the module comment).
 * @example
 * const { perCell } = await pointwiseLogLikelihoods(results, counts, { nSamples: 500 });
 * psisLoo(perCell);
 */
export async function pointwiseLogLikelihoods(
  res: ScribeResults,
  counts: Tensor,
  opts: PointwiseLogLikOptions = {},
): Promise<PointwiseLogLik> {
  checkCountsShape(res, counts, "pointwiseLogLikelihoods");
  const cfg = res.config;
  const [C, G] = counts.shape as [number, number];
  const K = cfg.nComponents;
  const mixture = K > 1;
  const wantGene = opts.perGene ?? true;
  const samples = res.getPosteriorSamples({ nSamples: opts.nSamples ?? 1000, seed: opts.seed ?? 0, counts });
  const S = Object.values(samples)[0]!.shape[0]!;
  const budget = opts.chunkElements ?? 4_194_304;
  const cellChunk = Math.max(1, Math.min(C, Math.floor(budget / (G * K))));
  const drawChunk = Math.max(1, Math.min(S, Math.floor(budget / (cellChunk * G * K))));
  const floors = {
    ...(opts.rFloor !== undefined ? { rFloor: opts.rFloor } : {}),
    ...(opts.pFloor !== undefined ? { pFloor: opts.pFloor } : {}),
  };
  const perCell = new Float64Array(S * C);
  // per gene: Σ_c log f over cells, per component for mixtures ([S, K, G])
  const geneAcc = wantGene ? new Float64Array(S * K * G) : null;
  const logPi = mixture ? await readLogMixingWeights(samples, S, K) : null;

  for (let c0 = 0; c0 < C; c0 += cellChunk) {
    const c1 = Math.min(C, c0 + cellChunk);
    for (let d0 = 0; d0 < S; d0 += drawChunk) {
      const d1 = Math.min(S, d0 + drawChunk);
      const out = scope(() => {
        const u = counts.slice([c0, 0], [c1, G]);
        const cells: Tensor[] = [];
        const genes: Tensor[] = [];
        for (let d = d0; d < d1; d++) {
          const draw = drawAt(samples, d);
          if (draw.p_capture) draw.p_capture = draw.p_capture.slice([c0], [c1]);
          const elem = ELEMENT_LOG_LIKELIHOOD[familyOf(cfg).traits.name](cfg, u, draw, floors);
          // [Cc, G] or [Cc, K, G]: per cell over genes; per gene over cells
          cells.push(sum(elem, -1));
          if (wantGene) genes.push(sum(elem, 0));
        }
        return { cells: stack(cells, 0), genes: wantGene ? stack(genes, 0) : null };
      });
      const [cellData, geneData] = await Promise.all([
        out.cells.data(),
        out.genes ? out.genes.data() : Promise.resolve(null),
      ]);
      dispose(out);
      const Cc = c1 - c0;
      for (let d = d0; d < d1; d++) {
        const row = (d - d0) * Cc * K;
        for (let c = 0; c < Cc; c++) {
          let v: number;
          if (!mixture) v = Number(cellData[row + c]);
          else {
            const terms = Array.from(
              { length: K },
              (_, k) => Number(cellData[row + c * K + k]) + logPi![d * K + k]!,
            );
            v = logSumExpArr(terms);
          }
          if (Number.isNaN(v))
            throw new Error(
              `pointwiseLogLikelihoods: NaN log-likelihood at draw ${d}, cell ${c0 + c} (check the counts and the fitted parameters)`,
            );
          perCell[d * C + c0 + c] = v;
        }
        if (geneAcc && geneData) {
          const gRow = (d - d0) * K * G;
          for (let j = 0; j < K * G; j++)
            geneAcc[d * K * G + j] = geneAcc[d * K * G + j]! + Number(geneData[gRow + j]);
        }
      }
    }
  }
  let perGene: LogLikMatrix | null = null;
  if (geneAcc) {
    const data = new Float64Array(S * G);
    for (let d = 0; d < S; d++)
      for (let g = 0; g < G; g++) {
        if (!mixture) data[d * G + g] = geneAcc[d * G + g]!;
        else
          data[d * G + g] = logSumExpArr(
            Array.from({ length: K }, (_, k) => geneAcc[d * K * G + k * G + g]! + logPi![d * K + k]!),
          );
      }
    perGene = { nDraws: S, nObs: G, data };
  }
  return { perCell: { nDraws: S, nObs: C, data: perCell }, perGene };
}

async function readLogMixingWeights(
  samples: Readonly<Record<string, Tensor>>,
  S: number,
  K: number,
): Promise<Float64Array> {
  const w = samples.mixing_weights;
  if (!w) throw new Error("pointwiseLogLikelihoods: a mixture fit without mixing_weights samples");
  const data = await w.data();
  if (data.length !== S * K)
    throw new Error(
      `pointwiseLogLikelihoods: mixing_weights has ${data.length} values, expected ${S} draws × ${K} components`,
    );
  return Float64Array.from(data as ArrayLike<number>, (v) => Math.log(Number(v)));
}

function logSumExpArr(x: readonly number[]): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (const v of x) if (v > mx) mx = v;
  if (mx === Number.NEGATIVE_INFINITY) return mx;
  let s = 0;
  for (const v of x) s += Math.exp(v - mx);
  return mx + Math.log(s);
}
