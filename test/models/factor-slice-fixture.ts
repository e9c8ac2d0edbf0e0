// The crossed design the factor-slicing tests share (factor-base-slice, factor-priors-slice):
// treat (t0, t1) × batch (b0, b1), one dataset per combination, dataset d = 2·treat + batch,
// two cell types, three genes, NB(mean μ, p = 0.5) counts with treat t1 doubling gene 0.
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { createAnnData } from "@scribe/models/io/index.js";

/** A tensor's values as plain numbers. */
export const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
/** Genes. */
export const G = 3;
/** Cell types (the mixture's components). */
export const K = 2;
/** Datasets: treat × batch, dataset d = 2·treat + batch. */
export const D = 4;

/**
 * `cellsPerGroup` cells of each of 2 types in each treat × batch combination, NB(mean μ,
 * p = 0.5): μ 15 for type 0, 3 for type 1, gene 0 doubled under treat t1; seeded.
 */
export function simulateCrossedDesign(cellsPerGroup: number) {
  const cells: { type: number; treat: number; batch: number }[] = [];
  for (let treat = 0; treat < 2; treat++)
    for (let batch = 0; batch < 2; batch++)
      for (let type = 0; type < 2; type++)
        for (let i = 0; i < cellsPerGroup; i++) cells.push({ type, treat, batch });
  const C = cells.length;
  const mu = cells.flatMap(({ type, treat }) =>
    Array.from({ length: G }, (_, g) => (type ? 3 : 15) * (treat && g === 0 ? 2 : 1)),
  );
  const counts = new NegativeBinomialProbs(
    tensor(mu).reshape([C, G]),
    tensor(0.5).expand([C, G]),
    false,
  ).sample(key(5));
  return createAnnData({
    X: { format: "dense", data: Float32Array.from(counts.dataSync() as ArrayLike<number>), shape: [C, G] },
    obs: {
      index: cells.map((_, c) => `c${c}`),
      columns: { treat: cells.map((x) => `t${x.treat}`), batch: cells.map((x) => `b${x.batch}`) },
    },
  });
}
