/**
 * Goodness of fit by posterior predictive checks (SCRIBE `scribe.mc` `compute_ppc_gof_mask`): per gene,
 * the histogram of the observed counts over cells against the histograms of posterior
 * predictive draws. A bin fails calibration when its observed share lies outside the central
 * credible band of the predictive shares; the gene's calibration-failure rate is the share of
 * failing bins among those with any observed or predicted mass, and its L1 distance is
 * Σ_b |observed − mean predicted| share.
 * @module
 */
import { dispose, type Key, key as makeKey, scope, splitKey, type Tensor } from "@scribe/core";
import { drawAt } from "../results/log-likelihood.js";
import { predictiveDraw } from "../results/predictive.js";
import type { ScribeResults } from "../results/results.js";
import { checkCountsShape } from "./pointwise-log-likelihood.js";

/** Options of {@link ppcGoodnessOfFit}. */
export interface PpcGoodnessOfFitOptions {
  /** Posterior predictive draws (default 500). */
  nSamples?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Central credible mass of the bands (default 0.95). */
  credibleMass?: number;
  /** Bins 0, 1, …, B − 1 and "≥ B", with B = min(maxBins, the gene's largest count) (default 20). */
  maxBins?: number;
  /** Bins count as populated above this share (default 1e-3). */
  minShare?: number;
}

/** Per-gene PPC goodness of fit. */
export interface PpcGoodnessOfFit {
  /** Share of populated bins whose observed share is outside the credible band. */
  readonly failureRate: Float64Array;
  /** Σ_b |observed share − mean predictive share|. */
  readonly l1: Float64Array;
  /** Populated bins per gene. */
  readonly nBins: Int32Array;
}

/**
 * PPC goodness of fit of every gene (see the module comment); draws are made one at a time
 * from the fit's posterior (capture and gate included) and read back as counts.
 * @example
 * const ppc = await ppcGoodnessOfFit(results, counts, { nSamples: 200 });
 * const ok = ppcGoodnessOfFitMask(ppc, { maxFailureRate: 0.25 });
 */
export async function ppcGoodnessOfFit(
  res: ScribeResults,
  counts: Tensor,
  opts: PpcGoodnessOfFitOptions = {},
): Promise<PpcGoodnessOfFit> {
  checkCountsShape(res, counts, "ppcGoodnessOfFit");
  const [C, G] = counts.shape as [number, number];
  const S = opts.nSamples ?? 500;
  const mass = opts.credibleMass ?? 0.95;
  if (!(mass > 0 && mass < 1))
    throw new Error(`ppcGoodnessOfFit: credibleMass must be in (0, 1), got ${mass}`);
  const maxBins = opts.maxBins ?? 20;
  const obs = await counts.data();
  // bins per gene: B_g + 1 (the last one open)
  const B = new Int32Array(G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) B[g] = Math.max(B[g]!, Math.min(maxBins, Number(obs[c * G + g])));
  const off = new Int32Array(G + 1);
  for (let g = 0; g < G; g++) off[g + 1] = off[g]! + B[g]! + 1;
  const nb = off[G]!;
  const obsHist = new Float64Array(nb);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) obsHist[off[g]! + Math.min(B[g]!, Number(obs[c * G + g]))]! += 1 / C;
  const [kPost, kPred] = splitKey(makeKey(opts.seed ?? 0), 2) as [Key, Key];
  const samples = res.getPosteriorSamples({ nSamples: S, seed: kPost, counts });
  const keys = splitKey(kPred, S);
  const hist = new Float32Array(S * nb); // predictive shares per draw
  for (let s = 0; s < S; s++) {
    const y = scope(() => predictiveDraw(res.config, drawAt(samples, s), keys[s]!));
    const yd = await y.data();
    y.dispose();
    const row = s * nb;
    for (let c = 0; c < C; c++)
      for (let g = 0; g < G; g++) hist[row + off[g]! + Math.min(B[g]!, Number(yd[c * G + g]))]! += 1 / C;
  }
  dispose(samples);
  const failureRate = new Float64Array(G);
  const l1 = new Float64Array(G);
  const nBins = new Int32Array(G);
  const shares = new Float64Array(S);
  const minShare = opts.minShare ?? 1e-3;
  for (let g = 0; g < G; g++) {
    let fail = 0;
    let used = 0;
    let dist = 0;
    for (let b = off[g]!; b < off[g + 1]!; b++) {
      let mean = 0;
      for (let s = 0; s < S; s++) {
        shares[s] = hist[s * nb + b]!;
        mean += shares[s]!;
      }
      mean /= S;
      dist += Math.abs(obsHist[b]! - mean);
      if (obsHist[b]! <= minShare && mean <= minShare) continue;
      used++;
      shares.sort();
      const lo = quantileSorted(shares, (1 - mass) / 2);
      const hi = quantileSorted(shares, (1 + mass) / 2);
      if (obsHist[b]! < lo || obsHist[b]! > hi) fail++;
    }
    failureRate[g] = used > 0 ? fail / used : 0;
    l1[g] = dist;
    nBins[g] = used;
  }
  return { failureRate, l1, nBins };
}

/** Linear-interpolation quantile of sorted values (R type 7). */
function quantileSorted(x: Float64Array, q: number): number {
  const h = (x.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < x.length ? x[i]! + (h - i) * (x[i + 1]! - x[i]!) : x[i]!;
}

/**
 * Genes that pass the PPC check: failure rate ≤ maxFailureRate (default 0.25; a calibrated
 * model fails about 1 − credibleMass of its bins) and, when given, L1 ≤ maxL1.
 * @example
 * ppcGoodnessOfFitMask(ppc, { maxFailureRate: 0.2, maxL1: 0.3 });
 */
export function ppcGoodnessOfFitMask(
  ppc: Pick<PpcGoodnessOfFit, "failureRate" | "l1">,
  opts: { maxFailureRate?: number; maxL1?: number } = {},
): boolean[] {
  const maxRate = opts.maxFailureRate ?? 0.25;
  return Array.from(
    ppc.failureRate,
    (r, g) => r <= maxRate && (opts.maxL1 === undefined || ppc.l1[g]! <= opts.maxL1),
  );
}
