/**
 * `scribe fit DATA --split-by COLUMN --out DIR`: one fit per level of an obs column, each in
 * its own folder DIR/<level> (the folders `scribe compare` reads). The data are read once;
 * each level's cells are fitted by the ordinary `scribe fit` path with the same options.
 *
 * Node-only.
 * @module
 */
import { join } from "node:path";
import { splitByColumn } from "../de/bayesian/compare-groups.js";
import { subsetCells } from "../io/anndata.js";
import type { LoadedData } from "./data.js";
import { CliError, type CliIO, EXIT_OK } from "./util.js";

/** A level's folder name: the level with characters outside [A-Za-z0-9._-] replaced by "_". */
export function levelFolderName(level: string): string {
  const s = level.replace(/[^A-Za-z0-9._-]/g, "_");
  return s === "" || s === "." || s === ".." ? `level_${s.replace(/\./g, "_")}` : s;
}

const LEVEL_DROPPED_FLAGS = ["--split-by", "--out", "--out-root"];
const LEVEL_DROPPED_OVERRIDES = ["data.split_by=", "output.out=", "output.out_root="];

/**
 * The arguments with the split and output options (`--split-by`, `--out`, `--out-root`, as
 * flags or `key=value` overrides) removed and `--out` set to `out`.
 */
export function levelArgv(argv: readonly string[], out: string): string[] {
  const res: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (LEVEL_DROPPED_FLAGS.includes(a)) {
      i++;
      continue;
    }
    if (LEVEL_DROPPED_FLAGS.some((f) => a.startsWith(`${f}=`))) continue;
    if (LEVEL_DROPPED_OVERRIDES.some((o) => a.startsWith(o))) continue;
    res.push(a);
  }
  return [...res, "--out", out];
}

/**
 * Fit every level of `column` into `outDir/<level>`, calling `fitOne` with the level's
 * arguments and cells. Levels are validated (column present, folder names distinct) before
 * any fit starts; the first failing level stops the run with its status.
 */
export async function fitSplit(
  argv: readonly string[],
  io: CliIO,
  opts: { data: LoadedData; column: string; outDir: string; quiet: boolean },
  fitOne: (argv: readonly string[], data: LoadedData) => Promise<number>,
): Promise<number> {
  let groups: Map<string, number[]>;
  try {
    groups = splitByColumn(opts.data.adata, opts.column);
  } catch (err) {
    throw new CliError(`--split-by ${opts.column}: ${(err as Error).message}`);
  }
  const folders = new Map<string, string>();
  for (const level of groups.keys()) {
    const name = levelFolderName(level);
    const other = folders.get(name);
    if (other !== undefined)
      throw new CliError(
        `--split-by ${opts.column}: levels ${JSON.stringify(other)} and ${JSON.stringify(level)} map to the same folder name ${name}`,
      );
    folders.set(name, level);
  }
  if (!opts.quiet)
    io.stderr(
      `scribe fit: --split-by ${opts.column}: ${groups.size} levels (${[...groups].map(([l, c]) => `${l}: ${c.length} cells`).join(", ")})\n`,
    );
  for (const [level, cells] of groups) {
    const sub: LoadedData = { ...opts.data, adata: subsetCells(opts.data.adata, cells) };
    const status = await fitOne(levelArgv(argv, join(opts.outDir, levelFolderName(level))), sub);
    if (status !== EXIT_OK) return status;
  }
  return EXIT_OK;
}
