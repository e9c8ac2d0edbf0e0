/**
 * Acceptance simulation for NB-GLM DE: 28 samples (14 vs 14), 16,000 genes, a
 * realistic mean–dispersion trend (θ = (0.05 + 1.5/mean)·LogNormal(0, 0.5)), 10 %
 * truly DE, fixed seed (packages/scribe-models/src/de/simulate.ts). Fits the QL
 * pipeline and the MoM test and prints FDR and power at padj < 0.05. With
 * `--out DIR` also writes counts.tsv (genes × samples), conditions.txt and truth.tsv
 * (is_de, true_lfc_log2, true_theta, true_mean) — simulated data, say so when used.
 *
 * Usage: npx tsx bench/simulate-pseudobulk.ts [--seed 1] [--genes 16000] [--per-group 14] [--out DIR]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { momTest, nbFit, nbTest, simulateTwoGroup } from "../packages/scribe-models/src/de/index.js";

const args = process.argv.slice(2);
const num = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const sim = simulateTwoGroup({
  nGenes: num("--genes", 16000),
  nPerGroup: num("--per-group", 14),
  seed: num("--seed", 1),
});
const { data, nGenes: G, nSamples: n } = sim.counts;
const report = (name: string, padj: Float64Array) => {
  let calls = 0;
  let tp = 0;
  let nde = 0;
  for (let g = 0; g < G; g++) {
    nde += sim.isDE[g]!;
    if (padj[g]! < 0.05) {
      calls++;
      tp += sim.isDE[g]!;
    }
  }
  console.log(
    `${name}: calls ${calls}, FDR ${((100 * (calls - tp)) / Math.max(calls, 1)).toFixed(2)} %, power ${((100 * tp) / nde).toFixed(2)} %`,
  );
};
report(
  "QL (nbFit + nbTest)",
  nbTest(nbFit(sim.counts, { conditions: sim.conditions, reference: "A" }), { contrast: "conditionB" }).padj,
);
report("MoM (momTest)", momTest(sim.counts, { conditions: sim.conditions, reference: "A" }).padj);
if (args.includes("--out")) {
  const dir = args[args.indexOf("--out") + 1]!;
  mkdirSync(dir, { recursive: true });
  const rows: string[] = [];
  for (let g = 0; g < G; g++) rows.push(Array.from(data.subarray(g * n, (g + 1) * n)).join("\t"));
  writeFileSync(join(dir, "counts.tsv"), `${rows.join("\n")}\n`);
  writeFileSync(join(dir, "conditions.txt"), `${sim.conditions.join("\n")}\n`);
  const truth = ["is_de\ttrue_lfc_log2\ttrue_theta\ttrue_mean"];
  for (let g = 0; g < G; g++)
    truth.push([sim.isDE[g], sim.trueLfc[g]! / Math.LN2, sim.trueTheta[g], sim.trueMean[g]].join("\t"));
  writeFileSync(join(dir, "truth.tsv"), `${truth.join("\n")}\n`);
  console.log(`wrote simulated data (seed ${sim.seed}) to ${dir}`);
}
