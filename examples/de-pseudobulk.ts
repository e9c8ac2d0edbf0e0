/**
 * Differential expression with the NB-GLM (glmGamPoi-style QL test) and the
 * method-of-moments fast path, on simulated pseudobulk counts.
 *
 * Run: npx tsx examples/de-pseudobulk.ts
 */
import {
  deTableRows,
  momTest,
  nbFit,
  nbTest,
  simulateTwoGroup,
} from "../packages/scribe-models/src/de/index.js";

// 1. Simulated data (labelled as such): 2,000 genes, 6 vs 6 samples, 10 % DE.
const sim = simulateTwoGroup({ nGenes: 2000, nPerGroup: 6, seed: 42 });

// 2. Fit once (size factors, Cox–Reid dispersions, trend, QL shrinkage) ...
const fit = nbFit(sim.counts, { conditions: sim.conditions, reference: "A" });
console.log(`design columns: ${fit.design.columns.join(", ")}; prior df d0 = ${fit.ql?.d0.toFixed(2)}`);

// 3. ... and test a contrast (QL F-test by default; method: "lrt" for the χ² LRT).
const table = nbTest(fit, { contrast: "conditionB" });
const top = deTableRows(table).slice(0, 5);
console.table(top);

// 4. The method-of-moments path: closed form, for two groups at very large scale.
const mom = momTest(sim.counts, { conditions: sim.conditions, reference: "A" });
const callsQL = Array.from(table.padj).filter((q) => q < 0.05).length;
const callsMoM = Array.from(mom.padj).filter((q) => q < 0.05).length;
console.log(
  `calls at padj < 0.05: QL ${callsQL}, MoM ${callsMoM}; truly DE: ${sim.isDE.reduce((a, b) => a + b, 0)}`,
);
