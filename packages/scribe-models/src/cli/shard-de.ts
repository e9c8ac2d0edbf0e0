/**
 * `scribe de --shards N`: the NB-GLM DE split over genes (issue 20 item 3, docs/slurm.md).
 *
 * What is gene-wise and what is global in `nbFit` (de/fit.ts): the size factors and the
 * design come from the whole matrix (each shard recomputes them, cheaply and identically);
 * the gene-wise stage (moments θ⁰, β fit #1, m̄, Cox–Reid θ̂) depends on one gene's counts
 * only, so each shard computes it for its gene range (`nbFitGenewise`) and stores it
 * (shard/genewise-shard-file.ts). The merge is global: the mean–dispersion trend and the QL
 * prior need every gene, then fit #2, the tests and Benjamini–Hochberg run over all genes
 * (`nbFit(…, genewise)`, `nbTest`). The merged table is therefore the unsharded one.
 *
 * Modes: `--shards N` alone runs the missing shards here in sequence, then the merge;
 * `--shard-index K` runs one shard (a SLURM array task); `--merge-shards` runs the merge;
 * `--slurm` submits the missing shards as one job array and a dependent merge job.
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type CountMatrix,
  designFromConditions,
  estimateSizeFactors,
  type NbFitOptions,
  nbFit,
  nbFitGenewise,
  nbTest,
} from "../de/index.js";
import { type GeneRange, geneRanges } from "../shard/gene-ranges.js";
import {
  concatGenewise,
  readShard,
  runFingerprint,
  type ShardState,
  shardFileText,
  shardPath,
} from "../shard/genewise-shard-file-node.js";
import { conditionLabels, countMatrix, genesBySamples, loadData } from "./data.js";
import { countCalls, DE_HELP, type DeArgs, deCsv, parseDeArgs, resolveComparison } from "./de.js";
import { inputFiles, refuseOverwritingInputs } from "./run-folder.js";
import { type ShardFlags, takeShardFlags } from "./shard-flags.js";
import { CliError, type CliIO, checkWritable, EXIT_OK, UsageError, writeFileAtomic } from "./util.js";

/** Everything a shard, the merge and the local run share. */
export interface ShardedDeRun {
  /** Parsed `scribe de` arguments (without the shard flags). */
  args: DeArgs;
  /** The `scribe de` arguments without the shard flags, as given. */
  deArgv: string[];
  /** Shard options. */
  flags: ShardFlags;
  /** Absolute shard folder. */
  dir: string;
  /** Output CSV. */
  out: string;
  /** Counts, genes × samples. */
  counts: CountMatrix;
  /** `nbFit` options (conditions, reference, size factors of the whole matrix). */
  fitOptions: NbFitOptions;
  /** Compared level. */
  target: string;
  /** Coefficients of the design. */
  nCoef: number;
  /** The gene ranges. */
  ranges: GeneRange[];
  /** Fingerprint of data + options + N. */
  fingerprint: string;
}

/** Log file of shard `k` (SLURM writes it; `%a` in the sbatch pattern). */
export function shardLogPath(dir: string, k: number | string): string {
  return join(dir, "logs", `shard-${k}.log`);
}

async function prepare(argv: readonly string[]): Promise<ShardedDeRun | null> {
  const { flags, rest } = takeShardFlags(argv);
  const args = parseDeArgs(rest);
  if (args === null) return null;
  if (args.method === "mom")
    throw new UsageError("--shards applies to the NB-GLM tests (ql, lrt); --method mom is fast unsharded");
  if (args.out === undefined) throw new UsageError("--shards needs --out FILE.csv (the merged table)");
  if (args.raw && args.layer !== undefined)
    throw new UsageError("--raw and --layer are exclusive (.raw has no layers)");
  checkWritable(args.out);
  refuseOverwritingInputs([args.out], inputFiles(args.data), "--out");
  const dir = resolve(flags.shardDir ?? `${args.out}.shards`);
  const data = await loadData(args.data, {
    raw: args.raw,
    ...(args.layer !== undefined ? { layer: args.layer } : {}),
  });
  const { labels, levels } = conditionLabels(data, args.condition);
  const cmp = resolveComparison(args, labels, levels);
  const m = countMatrix(data, args.layer);
  const counts = genesBySamples(m, cmp.samples, data.adata.var.index, data.adata.obs.index);
  if (counts.nGenes < flags.shards)
    throw new UsageError(`--shards ${flags.shards} is more than the ${counts.nGenes} genes of ${args.data}`);
  // the same size factors as the unsharded `scribe de` (cli/de.ts): from the whole matrix
  const sizeFactors = estimateSizeFactors(counts, args.sizeFactors);
  const fitOptions: NbFitOptions = { conditions: cmp.conditions, reference: args.reference, sizeFactors };
  const nCoef = designFromConditions(cmp.conditions, args.reference).nCoef;
  const fingerprint = runFingerprint(counts, {
    conditions: cmp.conditions,
    reference: args.reference,
    target: cmp.target,
    method: args.method,
    sizeFactors: args.sizeFactors,
    nShards: flags.shards,
  });
  return {
    args,
    deArgv: rest,
    flags,
    dir,
    out: args.out,
    counts,
    fitOptions,
    target: cmp.target,
    nCoef,
    ranges: geneRanges(counts.nGenes, flags.shards),
    fingerprint,
  };
}

/** The state of every shard of a run in its folder. */
export function shardStates(run: ShardedDeRun): ShardState[] {
  return run.ranges.map((r) => readShard(run.dir, r, run.ranges.length, run.nCoef, run.fingerprint));
}

/** Compute shard `range` and write it atomically. */
function computeShard(run: ShardedDeRun, range: GeneRange): void {
  mkdirSync(run.dir, { recursive: true });
  const part = nbFitGenewise(run.counts, run.fitOptions, range.start, range.end);
  const text = shardFileText(run.fingerprint, range, run.ranges.length, run.nCoef, part);
  writeFileAtomic(shardPath(run.dir, range.index, run.ranges.length), text);
}

/**
 * Why shards cannot be merged, with their log paths where SLURM wrote one; `taskNote(k)`
 * adds what SLURM says of task k (its end state and exit code, slurm/task-states-node.ts).
 */
export function describeBadShards(
  run: ShardedDeRun,
  states: readonly ShardState[],
  taskNote?: (k: number) => string,
): string {
  return states
    .map((s, k) => ({ s, k }))
    .filter(({ s }) => !s.ok)
    .map(({ s, k }) => {
      const log = shardLogPath(run.dir, k);
      const note = taskNote ? `; ${taskNote(k)}` : "";
      return `shard ${k} (${s.ok ? "ok" : s.reason}${note}${existsSync(log) ? `; log ${log}` : ""})`;
    })
    .join(", ");
}

/** The merge: read every shard (all must be complete), fit globally, test, write the CSV. */
async function merge(run: ShardedDeRun, io: CliIO): Promise<number> {
  const states = shardStates(run);
  if (states.some((s) => !s.ok))
    throw new CliError(
      `cannot merge ${run.dir}: ${describeBadShards(run, states)}; re-run the same command to compute only these`,
    );
  const parts = states.map((s) => (s.ok ? s.part : null)).filter((p) => p !== null);
  const fit = nbFit(run.counts, run.fitOptions, concatGenewise(parts));
  const table = nbTest(fit, {
    contrast: { factor: "condition", levels: [run.target, run.args.reference] },
    method: run.args.method === "lrt" ? "lrt" : "ql",
  });
  writeFileAtomic(run.out, deCsv(table));
  // a marker naming the merge (and its SLURM job, if any) that wrote the table
  writeFileAtomic(
    join(run.dir, "merged.json"),
    `${JSON.stringify({ fingerprint: run.fingerprint, out: run.out, job: process.env.SLURM_JOB_ID ?? null })}\n`,
  );
  io.stdout(
    `${countCalls(table)} of ${table.gene.length} genes with padj < 0.05 (${run.args.method}, ` +
      `${run.target} vs ${run.args.reference}; ${run.ranges.length} shards); results in ${run.out}\n`,
  );
  return EXIT_OK;
}

/** The merge marker of a run folder: the fingerprint and job of the merge that wrote `out`. */
export function readMergeMarker(dir: string): { fingerprint: string; job: string | null } | null {
  const path = join(dir, "merged.json");
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { fingerprint: string; job: string | null };
  } catch {
    return null;
  }
}

/**
 * Run `scribe de` with shard flags (dispatched from cli/de.ts `runDe`). Returns the exit
 * status; throws {@link UsageError} / {@link CliError}.
 */
export async function runShardedDe(argv: readonly string[], io: CliIO): Promise<number> {
  let run: ShardedDeRun | null;
  try {
    run = await prepare(argv);
  } catch (err) {
    if (err instanceof CliError || err instanceof UsageError) throw err;
    throw new CliError((err as Error).message, { cause: err });
  }
  if (run === null) {
    io.stdout(DE_HELP);
    return EXIT_OK;
  }
  const say = (t: string) => {
    if (!run.args.quiet) io.stderr(`scribe de: ${t}\n`);
  };
  const N = run.ranges.length;
  const { flags } = run;
  if (flags.shardIndex !== undefined) {
    const range = run.ranges[flags.shardIndex];
    if (range === undefined)
      throw new UsageError(`--shard-index ${flags.shardIndex} is not in 0…${N - 1} (--shards ${N})`);
    say(`shard ${range.index} of ${N}: genes ${range.start}…${range.end - 1}`);
    computeShard(run, range);
    say(`wrote ${shardPath(run.dir, range.index, N)}`);
    return EXIT_OK;
  }
  if (flags.merge) return merge(run, io);
  // imported here: cli/slurm-de.ts builds on this module
  if (flags.slurm) return (await import("./slurm-de.js")).submitShardJobs(run, io);
  const states = shardStates(run);
  for (const range of run.ranges) {
    const state = states[range.index];
    if (state?.ok) {
      say(`shard ${range.index + 1}/${N}: complete, reused (${state.path})`);
      continue;
    }
    if (state && state.reason !== "missing")
      say(`shard ${range.index + 1}/${N}: ${state.reason}; recomputing`);
    say(`shard ${range.index + 1}/${N}: genes ${range.start}…${range.end - 1}`);
    computeShard(run, range);
  }
  return merge(run, io);
}
