/**
 * The simulated DE data of issue 20 (28 samples, 14 vs 14, 16,000 genes, 10 % DE, seed 1;
 * de/simulate.ts, the same data as test/models/de-simulation.test.ts) written as an .h5ad
 * for the sharded-DE tests.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { simulateTwoGroup } from "@scribe/models/de/index.js";
import { categorical, createAnnData, writeH5ad } from "@scribe/models/io/node.js";

/** Write the simulated data to `dir/sim_de.h5ad` (obs column `condition`, levels A and B); its path. */
export async function writeSimulatedDe(dir: string, nGenes = 16000): Promise<string> {
  const sim = simulateTwoGroup({ nGenes, nPerGroup: 14, seed: 1 });
  const { nGenes: G, nSamples: N, data } = sim.counts;
  const X = new Float32Array(N * G);
  for (let g = 0; g < G; g++) for (let i = 0; i < N; i++) X[i * G + g] = data[g * N + i] ?? 0;
  const ad = createAnnData({
    X: { format: "dense", data: X, shape: [N, G] },
    obs: {
      index: Array.from({ length: N }, (_, i) => `s${i}`),
      columns: { condition: categorical(sim.conditions) },
    },
    var: Array.from({ length: G }, (_, g) => `gene${g}`),
  });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "sim_de.h5ad");
  await writeH5ad(path, ad);
  return path;
}

/** A DE CSV parsed: gene → [log2FC, statistic, pval, padj, dispersion] (NA → NaN), in file order. */
export function parseDeCsv(text: string): { genes: string[]; rows: Map<string, number[]> } {
  const lines = text.trimEnd().split("\n").slice(1);
  const genes: string[] = [];
  const rows = new Map<string, number[]>();
  for (const line of lines) {
    const [gene = "", ...vals] = line.split(",");
    genes.push(gene);
    rows.set(
      gene,
      vals.map((v) => (v === "NA" ? Number.NaN : Number(v))),
    );
  }
  return { genes, rows };
}
