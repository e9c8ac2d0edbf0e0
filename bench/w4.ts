/**
 * W4 — NB-GLM differential expression (BENCHMARKS.md §W4).
 *
 * Simulated pseudobulk (28 samples, 14 vs 14, 16,000 genes, 10 % DE, seed 1; see
 * packages/scribe-models/src/de/simulate.ts) → our full pipeline (nbFit + nbTest QL)
 * and the method-of-moments path (momTest), then — when `Rscript` with the packages
 * is installed — glmGamPoi, edgeR (QL) and DESeq2 on the same data in the same run
 * (bench/r/*.R), with their times, our speed ratios, and agreement with glmGamPoi
 * (Spearman of log2FC and of p-values, Jaccard of calls at padj < 0.05).
 * Prints figures; never asserts timings.
 *
 * Usage: npx tsx bench/w4.ts [--genes 16000] [--per-group 14] [--seed 1] [--reps 3] [--no-r]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CountMatrix } from "../packages/scribe-models/src/de/index.js";
import {
  type DeTable,
  momTest,
  nbFit,
  nbTest,
  simulateTwoGroup,
} from "../packages/scribe-models/src/de/index.js";
import { spearman } from "./stats.js";

export { spearman } from "./stats.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Jaccard index of the sets {padj < alpha}. */
export function jaccard(a: ArrayLike<number>, b: ArrayLike<number>, alpha = 0.05): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! < alpha;
    const y = b[i]! < alpha;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** A peer's results: columns lfc (log2), pval, padj, and its reported times. */
export interface PeerResult {
  name: string;
  lfc: Float64Array;
  pval: Float64Array;
  padj: Float64Array;
  elapsed: number;
  cpu: number;
}

/** Whether `Rscript` can load all the given packages. */
export function rHas(pkgs: string[]): boolean {
  try {
    execFileSync(
      "Rscript",
      ["-e", `suppressPackageStartupMessages({${pkgs.map((p) => `library(${p})`).join(";")}})`],
      {
        stdio: "ignore",
        timeout: 120_000,
      },
    );
    return true;
  } catch {
    return false;
  }
}

/** Write counts (TSV) and conditions to a temp dir and run bench/r/<script> on them. */
export function runPeer(
  script: string,
  name: string,
  counts: CountMatrix,
  conditions: readonly string[],
  reference: string,
): PeerResult {
  const dir = mkdtempSync(join(tmpdir(), "scribe-w4-"));
  try {
    const { data, nGenes: G, nSamples: n } = counts;
    const lines: string[] = new Array(G);
    for (let g = 0; g < G; g++) lines[g] = Array.from(data.subarray(g * n, (g + 1) * n)).join("\t");
    writeFileSync(join(dir, "counts.tsv"), `${lines.join("\n")}\n`);
    writeFileSync(join(dir, "conditions.txt"), `${conditions.join("\n")}\n`);
    const out = execFileSync(
      "Rscript",
      [
        join(HERE, "r", script),
        join(dir, "counts.tsv"),
        join(dir, "conditions.txt"),
        join(dir, "out.tsv"),
        reference,
      ],
      { encoding: "utf8", timeout: 900_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    const m = /elapsed ([\d.]+) cpu ([\d.]+)/.exec(out);
    const rows = readFileSync(join(dir, "out.tsv"), "utf8").trim().split("\n");
    const header = rows[0]!.split("\t");
    const col = (c: string) =>
      Float64Array.from(rows.slice(1), (r) => Number(r.split("\t")[header.indexOf(c)]));
    return {
      name,
      lfc: col("lfc"),
      pval: col("pval"),
      padj: col("padj"),
      elapsed: Number(m?.[1]),
      cpu: Number(m?.[2]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fdrPower(padj: ArrayLike<number>, isDE: Uint8Array): [number, number, number] {
  let calls = 0;
  let tp = 0;
  let nde = 0;
  for (let g = 0; g < isDE.length; g++) {
    nde += isDE[g]!;
    if (padj[g]! < 0.05) {
      calls++;
      tp += isDE[g]!;
    }
  }
  return [calls, calls ? (calls - tp) / calls : 0, tp / nde];
}

function timeIt<T>(reps: number, f: () => T): { value: T; elapsed: number; cpu: number } {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let value = f(); // warm-up (JIT)
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = f();
    const el = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    best = Math.min(best, el);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  return { value, elapsed: best, cpu: bestCpu };
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}

/** Run the W4 benchmark and print its figures. */
export async function runW4(args: string[]): Promise<void> {
  const G = arg(args, "--genes", 16000);
  const k = arg(args, "--per-group", 14);
  const seed = arg(args, "--seed", 1);
  const reps = arg(args, "--reps", 3);
  const sim = simulateTwoGroup({ nGenes: G, nPerGroup: k, seed });
  console.log(`W4: simulated ${G} genes × ${2 * k} samples (${k} vs ${k}), 10 % DE, seed ${seed}`);
  const full = timeIt(reps, () =>
    nbTest(nbFit(sim.counts, { conditions: sim.conditions, reference: "A" }), { contrast: "conditionB" }),
  );
  const mom = timeIt(reps, () => momTest(sim.counts, { conditions: sim.conditions, reference: "A" }));
  const ours: DeTable = full.value;
  const row = (name: string, el: number, cpu: number, padj: ArrayLike<number>) => {
    const [calls, fdr, power] = fdrPower(padj, sim.isDE);
    console.log(
      `${name.padEnd(22)} elapsed ${el.toFixed(3).padStart(8)} s  cpu ${cpu.toFixed(3).padStart(8)} s  calls ${String(calls).padStart(5)}  FDR ${(100 * fdr).toFixed(1)} %  power ${(100 * power).toFixed(1)} %`,
    );
  };
  row("scribe nbFit+nbTest", full.elapsed, full.cpu, ours.padj);
  row("scribe momTest", mom.elapsed, mom.cpu, mom.value.padj);
  if (args.includes("--no-r")) return;
  const peers: PeerResult[] = [];
  for (const [script, name, pkgs] of [
    ["w4-glmgampoi.R", "glmGamPoi", ["glmGamPoi"]],
    ["w4-edger.R", "edgeR QL", ["edgeR"]],
    ["w4-deseq2.R", "DESeq2", ["DESeq2"]],
  ] as const) {
    if (!rHas([...pkgs])) {
      console.log(`${name}: not installed (Rscript with ${pkgs.join(", ")}); skipped`);
      continue;
    }
    const r = runPeer(script, name, sim.counts, sim.conditions, "A");
    peers.push(r);
    row(name, r.elapsed, r.cpu, r.padj);
  }
  const ggp = peers.find((p) => p.name === "glmGamPoi");
  for (const p of peers) {
    console.log(
      `speed vs ${p.name}: full pipeline ${(p.cpu / full.cpu).toFixed(1)}× (cpu), ${(p.elapsed / full.elapsed).toFixed(1)}× (elapsed); MoM ${(p.cpu / mom.cpu).toFixed(0)}× (cpu)`,
    );
  }
  if (ggp) {
    console.log(
      `agreement with glmGamPoi: Spearman log2FC ${spearman(ours.log2FC, ggp.lfc).toFixed(6)} (target ≥ 0.999), ` +
        `Spearman p ${spearman(ours.pval, ggp.pval).toFixed(6)} (≥ 0.99), Jaccard padj<0.05 ${jaccard(ours.padj, ggp.padj).toFixed(4)} (≥ 0.98)`,
    );
    console.log(
      `MoM vs glmGamPoi: Spearman log2FC ${spearman(mom.value.log2FC, ggp.lfc).toFixed(4)}, Spearman p ${spearman(mom.value.pval, ggp.pval).toFixed(4)}, Jaccard ${jaccard(mom.value.padj, ggp.padj).toFixed(4)}`,
    );
    for (const p of peers) {
      if (p === ggp) continue;
      console.log(
        `${p.name} vs glmGamPoi: Spearman log2FC ${spearman(p.lfc, ggp.lfc).toFixed(4)}, Spearman p ${spearman(p.pval, ggp.pval).toFixed(4)}, Jaccard ${jaccard(p.padj, ggp.padj).toFixed(4)}`,
      );
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runW4(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
