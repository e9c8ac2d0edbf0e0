/**
 * Writes sim_two_group_de.h5ad: SIMULATED single-cell counts of two conditions drawn from the
 * nbdm model itself, with known differentially expressed genes, for the Bayesian DE section
 * of examples/notebooks/04 (see README.md here for the generative model).
 *
 * Run: npx tsx examples/data/sim_two_group_de/simulate.ts
 */
import { fileURLToPath } from "node:url";
import { randGamma, randNormal, randPoisson } from "../../../packages/scribe-models/src/de/simulate.js";
import { categorical, createAnnData } from "../../../packages/scribe-models/src/io/index.js";
import { writeH5ad } from "../../../packages/scribe-models/src/io/node.js";
import { makeRng } from "../../../packages/scribe-models/src/seeded-rng.js";

const SEED = 11;
const CELLS_PER_CONDITION = 150;
const GENES = 200;
const DE_GENES = 20;
/** Shared NB success probability p of the nbdm model (mean = r·p/(1−p) = r at 0.5). */
const P = 0.5;
/** log r_g ~ Normal(log 30, 0.5): r large enough that a cell's composition is informative. */
const LOG_R_MEAN = Math.log(30);
const LOG_R_SD = 0.5;
/** |log r_B − log r_A| of a DE gene ~ Uniform(0.7, 1.5), random sign. */
const LFC_MIN = 0.7;
const LFC_MAX = 1.5;

const rng = makeRng(SEED);
const rControl = Float64Array.from({ length: GENES }, () => Math.exp(LOG_R_MEAN + LOG_R_SD * randNormal(rng)));
// The first DE_GENES of a random permutation are the DE genes (so they are spread over the index).
const order = Int32Array.from({ length: GENES }, (_, g) => g);
for (let i = GENES - 1; i > 0; i--) {
  const j = Math.floor(rng() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const trueLfc = new Float64Array(GENES);
for (const g of order.subarray(0, DE_GENES))
  trueLfc[g] = (rng() < 0.5 ? -1 : 1) * (LFC_MIN + (LFC_MAX - LFC_MIN) * rng());
const rTreated = rControl.map((r, g) => r * Math.exp(trueLfc[g]!));

// nbdm: y_cg ~ Poisson(λ), λ ~ Gamma(r_g, scale p/(1−p)) (NB with mean r_g·p/(1−p)).
const nCells = 2 * CELLS_PER_CONDITION;
const X = new Float32Array(nCells * GENES);
const condition: string[] = [];
for (let c = 0; c < nCells; c++) {
  const treated = c >= CELLS_PER_CONDITION;
  condition.push(treated ? "treated" : "control");
  const r = treated ? rTreated : rControl;
  for (let g = 0; g < GENES; g++) X[c * GENES + g] = randPoisson(rng, randGamma(rng, r[g]!) * (P / (1 - P)));
}

const adata = createAnnData({
  X: { format: "dense", data: X, shape: [nCells, GENES] },
  obs: {
    index: Array.from({ length: nCells }, (_, c) => `cell${c}`),
    columns: { condition: categorical(condition) },
  },
  var: {
    index: Array.from({ length: GENES }, (_, g) => `gene${g}`),
    columns: {
      true_lfc: Array.from(trueLfc),
      is_de: Array.from(trueLfc, (l) => l !== 0),
      r_control: Array.from(rControl),
      r_treated: Array.from(rTreated),
    },
  },
  uns: { simulated: true, seed: SEED, model: "nbdm", p: P },
});
const out = fileURLToPath(new URL("sim_two_group_de.h5ad", import.meta.url));
await writeH5ad(out, adata, { compression: 6 });
console.log(`wrote ${out}: ${nCells} cells × ${GENES} genes, ${DE_GENES} DE genes (simulated, seed ${SEED})`);
