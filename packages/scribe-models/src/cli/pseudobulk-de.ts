/**
 * `scribe de DATA --pseudobulk-by SAMPLE [--groups CELL_TYPE] --condition C --reference L ...`
 * (issue 20 item 2): pseudobulk the cells of DATA (streamed from disk once, see
 * `pseudobulk/pseudobulk.ts`) by SAMPLE (× CELL_TYPE), then run `scribe de` on the pseudobulk
 * samples; with --groups, one table per level of CELL_TYPE, written as `OUT/<level>.csv`.
 * The condition column must be constant within each sample. Every other option is passed to
 * `scribe de` unchanged.
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subsetCells } from "../io/anndata.js";
import { decodeCategorical, isCategorical } from "../io/frame.js";
import { writeH5ad } from "../io/h5ad.js";
import { openAnnData } from "../io/h5ad-backed.js";
import { pseudobulk } from "../pseudobulk/pseudobulk.js";
import type { CliIO } from "./cli-io.js";
import { EXIT_OK } from "./cli-io.js";
import { runDe } from "./de.js";
import { UsageError } from "./util.js";

/** Take `--name VALUE` / `--name=VALUE` out of `argv`; the value (last one wins) and the rest. */
function takeOption(argv: readonly string[], name: string): { value?: string; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!; // i < argv.length
    if (a === `--${name}`) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`option '--${name}' needs a value`);
    } else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else rest.push(a);
  }
  return value === undefined ? { rest } : { value, rest };
}

/** A level as a file name: characters other than letters, digits, '.', '_' and '-' become '_'. */
function fileSafe(level: string): string {
  return level.replace(/[^A-Za-z0-9._-]/g, "_") || "_";
}

/** `scribe de` with `--pseudobulk-by` (see the module comment); returns the exit status. */
export async function runPseudobulkDe(argv: readonly string[], io: CliIO): Promise<number> {
  const pbBy = takeOption(argv, "pseudobulk-by");
  const groups = takeOption(pbBy.rest, "groups");
  const out = takeOption(groups.rest, "out");
  const condition = takeOption(out.rest, "condition").value;
  const rest = out.rest;
  if (!pbBy.value) throw new UsageError("--pseudobulk-by needs an obs column (e.g. sample)");
  if (!condition) throw new UsageError("missing required option --condition");
  const data = rest[0];
  if (data === undefined || data.startsWith("-"))
    throw new UsageError("with --pseudobulk-by, DATA (an .h5ad file) comes first");
  const by = pbBy.value.split(",").map((s) => s.trim());
  const groupCol = groups.value;
  if (groupCol !== undefined && out.value === undefined)
    throw new UsageError("--groups writes one table per level: give --out DIR");
  const others = rest.slice(1);
  const ad = await openAnnData(data, { backed: true });
  let pb: ReturnType<typeof pseudobulk>;
  try {
    pb = pseudobulk(ad, { by: groupCol ? [...by, groupCol] : by, keep: [condition] });
  } finally {
    ad.close();
  }
  const tmp = mkdtempSync(join(tmpdir(), "scribe-pseudobulk-de-"));
  try {
    if (groupCol === undefined) {
      const file = join(tmp, "pseudobulk.h5ad");
      await writeH5ad(file, pb);
      return runDe([file, ...others, ...(out.value ? ["--out", out.value] : [])], io);
    }
    const dir = out.value!; // checked above
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const col = pb.obs.columns[groupCol]!; // a grouping column of pb
    const levels = isCategorical(col) ? (decodeCategorical(col) as string[]) : (col as string[]);
    let status = EXIT_OK;
    for (const level of [...new Set(levels)]) {
      const file = join(tmp, `${fileSafe(level)}.h5ad`);
      await writeH5ad(
        file,
        subsetCells(
          pb,
          levels.map((l) => l === level),
        ),
      );
      const csv = join(dir, `${fileSafe(level)}.csv`);
      io.stderr(`scribe de: ${groupCol} = ${level}\n`);
      const code = await runDe([file, ...others, "--out", csv], io);
      if (code !== EXIT_OK) status = code;
    }
    return status;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
