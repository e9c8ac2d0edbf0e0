/**
 * `scribe de`: two-condition differential expression from an `.h5ad` file or a 10x
 * folder, with the NB-GLM quasi-likelihood F-test (`ql`, default), the likelihood-ratio
 * test (`lrt`) or the method-of-moments test (`mom`). Results go to a CSV file or, without
 * `--out`, a top-genes table on stdout.
 *
 * Node-only.
 * @module
 */
import {
  type DeTable,
  deTableRows,
  estimateSizeFactors,
  momTest,
  nbFit,
  nbTest,
  type SizeFactorMethod,
} from "../de/index.js";
import { conditionLabels, countMatrix, genesBySamples, loadData } from "./data.js";
import { inputFiles, refuseOverwritingInputs } from "./run-folder.js";
import {
  CliError,
  type CliIO,
  checkWritable,
  choice,
  EXIT_OK,
  Progress,
  parseCommandArgs,
  requireString,
  UsageError,
  writeFileAtomic,
} from "./util.js";

/** Help text of `scribe de`. */
export const DE_HELP = `Usage: scribe de DATA --condition COLUMN --reference LEVEL [options]

Differential expression between two levels of an obs column (samples are the obs
rows, genes the var rows).

Arguments:
  DATA                    an .h5ad file, or a 10x folder (matrix.mtx, features.tsv or
                          genes.tsv, barcodes.tsv; obs columns from obs.tsv)

Options:
  --condition COLUMN      obs column holding the condition labels (required)
  --reference LEVEL       reference (denominator) level of COLUMN (required)
  --target LEVEL          level compared with the reference; needed only when COLUMN
                          has more than two levels
  --method ql|lrt|mom     ql: NB-GLM quasi-likelihood F-test (default);
                          lrt: likelihood-ratio test; mom: method-of-moments test
  --size-factors METHOD   normed_sum (default), ratio or poscounts
  --layer NAME            read counts from this layer instead of X
  --raw                   .h5ad: read counts from .raw (raw/X, raw/var)
  --out FILE.csv          write all genes, sorted by p-value, to FILE.csv with columns
                          gene,log2FC,statistic,pval,padj,dispersion
  --top N                 without --out: rows of the printed table (default 20)
  --pseudobulk-by COLUMN  .h5ad of cells: sum them per COLUMN (e.g. sample, streamed from
                          disk) and test the sums; --condition must be constant per sample
  --groups COLUMN         with --pseudobulk-by: one test per level of COLUMN (e.g.
                          cell_type), written to --out DIR as LEVEL.csv
  --shards N              split the genes into N shards (gene-wise fits apart, then one
                          merge with the trend, tests and BH over all genes; needs --out);
                          see docs/slurm.md for --shard-dir, --slurm and --slurm-* options
  -q, --quiet             no progress messages on stderr
  -h, --help              show this help

log2FC > 0 means higher in the target level than in the reference. Samples with a
missing label are left out. Exit status: 0 ok, 1 runtime error, 2 usage error.

Examples:
  scribe de data.h5ad --condition sex --reference Female --out de.csv
  scribe de filtered_feature_bc_matrix/ --condition group --reference ctrl --method mom
`;

const OPTIONS = {
  condition: { type: "string" },
  reference: { type: "string" },
  target: { type: "string" },
  method: { type: "string" },
  "size-factors": { type: "string" },
  layer: { type: "string" },
  raw: { type: "boolean" },
  out: { type: "string" },
  top: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

/** Test methods of `scribe de`. */
export type DeMethod = "ql" | "lrt" | "mom";

/** Validated options of `scribe de`. */
export interface DeArgs {
  /** Data path. */
  data: string;
  /** obs column. */
  condition: string;
  /** Reference level. */
  reference: string;
  /** Compared level (needed with more than two levels). */
  target?: string;
  /** Test. */
  method: DeMethod;
  /** Size-factor method. */
  sizeFactors: SizeFactorMethod;
  /** Counts layer (X when absent). */
  layer?: string;
  /** Read counts from `.raw` (h5ad). */
  raw: boolean;
  /** Output CSV (table on stdout when absent). */
  out?: string;
  /** Rows of the stdout table. */
  top: number;
  /** No progress output. */
  quiet: boolean;
}

/** Parse and validate `scribe de` arguments; `null` when `--help` was asked for. */
export function parseDeArgs(argv: readonly string[]): DeArgs | null {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) return null;
  if (positionals.length === 0) throw new UsageError("missing DATA (an .h5ad file or a 10x folder)");
  if (positionals.length > 1)
    throw new UsageError(`expected one DATA argument, got ${positionals.length}: ${positionals.join(" ")}`);
  const topRaw = values.top as string | undefined;
  const top = topRaw === undefined ? 20 : Number(topRaw);
  if (!Number.isInteger(top) || top < 1)
    throw new UsageError(`invalid value ${JSON.stringify(topRaw)} for --top; expected a positive integer`);
  const opt = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  return {
    data: positionals[0]!,
    condition: requireString(values, "condition"),
    reference: requireString(values, "reference"),
    target: opt("target"),
    method: choice(opt("method"), "method", ["ql", "lrt", "mom"] as const, "ql"),
    sizeFactors: choice(
      opt("size-factors"),
      "size-factors",
      ["normed_sum", "ratio", "poscounts"] as const,
      "normed_sum",
    ),
    layer: opt("layer"),
    raw: Boolean(values.raw),
    out: opt("out"),
    top,
    quiet: Boolean(values.quiet),
  };
}

/** The two compared levels and the samples (obs rows) in the comparison. */
export interface Comparison {
  target: string;
  samples: number[];
  conditions: string[];
}

/** The compared levels and samples of `args` (exported for cli/shard-de.ts). */
export function resolveComparison(args: DeArgs, labels: (string | null)[], levels: string[]): Comparison {
  const col = `"${args.condition}"`;
  const list = levels.join(", ");
  if (levels.length === 0) throw new CliError(`obs column ${col} has no non-missing values`);
  if (levels.length === 1)
    throw new CliError(
      `obs column ${col} has a single level ("${levels[0]}"); differential expression needs two conditions`,
    );
  if (!levels.includes(args.reference))
    throw new CliError(`reference level "${args.reference}" is not a level of ${col}; levels: ${list}`);
  let target = args.target;
  if (target === undefined) {
    if (levels.length > 2)
      throw new CliError(
        `obs column ${col} has ${levels.length} levels (${list}); choose the level to compare with "${args.reference}" with --target`,
      );
    target = levels.find((l) => l !== args.reference)!;
  } else if (!levels.includes(target)) {
    throw new CliError(`target level "${target}" is not a level of ${col}; levels: ${list}`);
  } else if (target === args.reference) {
    throw new CliError(`--target and --reference are both "${target}"; pick two different levels`);
  }
  // The GLM methods use every labelled sample (extra levels inform the dispersions);
  // the method-of-moments test compares exactly two groups.
  const keep = (l: string | null) =>
    l !== null && (args.method !== "mom" || l === target || l === args.reference);
  const samples: number[] = [];
  labels.forEach((l, i) => {
    if (keep(l)) samples.push(i);
  });
  return { target, samples, conditions: samples.map((i) => labels[i]!) };
}

/** Format a number for the CSV: shortest round-trip decimal, `NA` for NaN. */
export function csvNumber(v: number): string {
  return Number.isNaN(v) ? "NA" : String(v);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The results CSV: header plus one row per gene, sorted by p-value (NaN last). */
export function deCsv(t: DeTable): string {
  const lines = ["gene,log2FC,statistic,pval,padj,dispersion"];
  for (const r of deTableRows(t)) {
    lines.push(
      [csvField(r.gene), r.log2FC, r.statistic, r.pval, r.padj, r.dispersion]
        .map((v) => (typeof v === "number" ? csvNumber(v) : v))
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "NA";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? v.toPrecision(digits) : v.toExponential(digits - 2);
}

/** The top `n` genes as an aligned text table. */
export function deTopTable(t: DeTable, n: number): string {
  const stat = t.method === "ql" ? "F" : t.method === "lrt" ? "LR" : "t";
  const header = ["gene", "log2FC", stat, "pval", "padj", "dispersion"];
  const rows = deTableRows(t)
    .slice(0, n)
    .map((r) => [r.gene, fmt(r.log2FC), fmt(r.statistic), fmt(r.pval, 3), fmt(r.padj, 3), fmt(r.dispersion)]);
  const all = [header, ...rows];
  const width = header.map((_, j) => Math.max(...all.map((r) => r[j]!.length)));
  return all
    .map((r) => r.map((c, j) => (j === 0 ? c.padEnd(width[j]!) : c.padStart(width[j]!))).join("  "))
    .join("\n");
}

/** Number of genes with `padj < alpha`. */
export function countCalls(t: DeTable, alpha = 0.05): number {
  let k = 0;
  for (const q of t.padj) if (q < alpha) k++;
  return k;
}

/**
 * Run `scribe de` with the arguments after the subcommand name. Returns the exit
 * status; throws {@link UsageError} / {@link CliError} (handled by the dispatcher).
 */
export async function runDe(argv: readonly string[], io: CliIO): Promise<number> {
  // pseudobulk first (issue 20 item 2): cli/pseudobulk-de.ts sums the cells, then calls back here
  if (argv.some((a) => a === "--pseudobulk-by" || a.startsWith("--pseudobulk-by=")))
    return (await import("./pseudobulk-de.js")).runPseudobulkDe(argv, io);
  // sharded runs (issue 20 item 3): cli/shard-de.ts splits the genes, locally or on SLURM
  if (argv.some((a) => /^--(shards|shard-index)(=|$)/.test(a)))
    return (await import("./shard-de.js")).runShardedDe(argv, io);
  const args = parseDeArgs(argv);
  if (args === null) {
    io.stdout(DE_HELP);
    return EXIT_OK;
  }
  if (args.raw && args.layer !== undefined)
    throw new UsageError("--raw and --layer are exclusive (.raw has no layers)");
  if (args.out !== undefined) {
    checkWritable(args.out);
    refuseOverwritingInputs([args.out], inputFiles(args.data), "--out");
  }
  const progress = new Progress(io, "scribe de", !args.quiet);
  try {
    progress.start(`reading ${args.data}`);
    const data = await loadData(args.data, {
      raw: args.raw,
      ...(args.layer !== undefined ? { layer: args.layer } : {}),
    });
    const { labels, levels, nMissing } = conditionLabels(data, args.condition);
    const cmp = resolveComparison(args, labels, levels);
    const m = countMatrix(data, args.layer);
    const counts = genesBySamples(m, cmp.samples, data.adata.var.index, data.adata.obs.index);
    progress.end();
    if (!args.quiet) {
      const miss = nMissing ? `; ${nMissing} with a missing "${args.condition}" left out` : "";
      io.stderr(
        `scribe de: ${counts.nGenes} genes × ${counts.nSamples} samples; ${cmp.target} vs ${args.reference}${miss}\n`,
      );
    }

    progress.start(`size factors (${args.sizeFactors})`);
    const sizeFactors = estimateSizeFactors(counts, args.sizeFactors);

    let table: DeTable;
    const base = { conditions: cmp.conditions, reference: args.reference, sizeFactors };
    if (args.method === "mom") {
      progress.start("testing (method of moments)");
      table = momTest(counts, base);
    } else {
      progress.start("fitting NB-GLM");
      const fit = nbFit(counts, base);
      progress.start(`testing (${args.method === "ql" ? "quasi-likelihood F" : "likelihood ratio"})`);
      table = nbTest(fit, {
        contrast: { factor: "condition", levels: [cmp.target, args.reference] },
        method: args.method,
      });
    }

    if (args.out !== undefined) {
      progress.start(`writing ${args.out}`);
      writeFileAtomic(args.out, deCsv(table));
    }
    progress.done();
    const calls = countCalls(table);
    if (args.out === undefined) io.stdout(`${deTopTable(table, args.top)}\n\n`);
    io.stdout(
      `${calls} of ${table.gene.length} genes with padj < 0.05 (${args.method}, ${cmp.target} vs ${args.reference})` +
        `${args.out !== undefined ? `; results in ${args.out}` : ""}\n`,
    );
    return EXIT_OK;
  } catch (err) {
    progress.abort();
    if (err instanceof CliError || err instanceof UsageError) throw err;
    // errors of the DE / IO code are already specific; report them as runtime errors
    throw new CliError((err as Error).message, { cause: err });
  }
}
