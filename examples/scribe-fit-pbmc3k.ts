/**
 * Fit SCRIBE's default model (nbvcp, canonical) to the bundled PBMC 3k subset and look at
 * the results: MAP parameters, capture probabilities, denoised counts and a predictive check.
 *
 *   npx tsx examples/scribe-fit-pbmc3k.ts
 */
import { fit } from "../packages/scribe-models/src/index.js";
import { read10x } from "../packages/scribe-models/src/io/node.js";

// 1. Data: 283 cells × 914 genes of raw UMI counts.
const adata = read10x("examples/data/pbmc3k_sctransform", { dtype: "float64" });
console.log(`cells × genes: ${adata.X.shape.join(" × ")}`);

// 2. Fit: minibatches of 64 cells, 2000 Adam steps at 0.01.
const t0 = performance.now();
const { results } = await fit(adata, { model: "nbvcp", nSteps: 2000, batchSize: 64, learningRate: 0.01 });
console.log(
  `fit: ${((performance.now() - t0) / 1000).toFixed(1)} s, final loss ${results.lossHistory.at(-1)?.toExponential(3)}`,
);

// 3. MAP estimates: shared p, per-gene r and mu, per-cell capture.
const map = results.getMap();
const mu = Array.from(map.mu!.dataSync(), Number);
const top = mu
  .map((m, g) => [m, results.varNames[g]!] as const)
  .sort((a, b) => b[0] - a[0])
  .slice(0, 5);
console.log(
  `p = ${map.p!.item().toFixed(4)}; highest mean expression: ${top.map(([m, g]) => `${g} (${m.toFixed(1)})`).join(", ")}`,
);
const nu = Array.from(map.p_capture!.dataSync(), Number).sort((a, b) => a - b);
console.log(
  `capture probability: median ${nu[Math.floor(nu.length / 2)]!.toFixed(3)}, range ${nu[0]!.toFixed(3)}–${nu.at(-1)!.toFixed(3)}`,
);

// 4. Denoised counts (posterior mean of the pre-capture counts) and a predictive check.
const { prepareCounts } = await import("../packages/scribe-models/src/fit.js");
const { counts } = prepareCounts(adata);
const denoised = results.denoiseCountsMap(counts, { method: "mean" });
console.log(
  `observed total ${counts.sum().item().toFixed(0)} → denoised total ${denoised.sum().item().toFixed(0)}`,
);
const ppc = results.getPpcSamples({ nSamples: 20 });
console.log(
  `mean count: observed ${counts.mean().item().toFixed(3)}, predictive ${ppc.mean().item().toFixed(3)}`,
);
