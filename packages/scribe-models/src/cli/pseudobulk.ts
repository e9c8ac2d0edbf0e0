/**
 * `scribe pseudobulk DATA --by COL[,COL...] --out PB.h5ad`: sum counts per group of cells,
 * streaming `X` from disk once (issue 20 item 2; see `pseudobulk/pseudobulk.ts`).
 *
 * Node-only.
 * @module
 */

import { writeH5ad } from "../io/h5ad.js";
import { openAnnData } from "../io/h5ad-backed.js";
import { pseudobulk } from "../pseudobulk/pseudobulk.js";
import type { CliIO } from "./cli-io.js";
import { EXIT_OK } from "./cli-io.js";
import { checkWritable, parseCommandArgs, requireString, UsageError } from "./util.js";

/** Help text of `scribe pseudobulk`. */
export const PSEUDOBULK_HELP = `Usage: scribe pseudobulk DATA --by COLUMN[,COLUMN...] --out FILE.h5ad [options]

Sum the counts of the cells of each group (the combination of values of the --by obs
columns) into one row. DATA is an .h5ad file (X dense, CSR or CSC, any integer or float
type); X is read from disk in blocks, once, never whole.

Output: an .h5ad of groups × genes (float64 sums); obs holds the grouping columns
(categorical) and n_cells; var is DATA's var.

Options:
  --by COLUMNS        obs columns to group by, comma-separated (e.g. sample,cell_type)
  --out FILE          the .h5ad to write (atomically)
  --block-size N      cells (genes, for CSC) per block read from disk (default 8192)
  -q, --quiet         no summary line on stderr
  -h, --help          show this help
`;

const OPTIONS = {
  by: { type: "string" },
  out: { type: "string" },
  "block-size": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

/** Run `scribe pseudobulk` on the arguments after its name; returns the exit status. */
export async function runPseudobulk(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    io.stdout(PSEUDOBULK_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1)
    throw new UsageError(`expected one DATA argument (an .h5ad file), got ${positionals.length}`);
  const data = positionals[0]!; // length 1 checked
  const by = requireString(values, "by")
    .split(",")
    .map((s) => s.trim());
  if (by.some((s) => s === "")) throw new UsageError("--by has an empty column name");
  const out = requireString(values, "out");
  const blockRaw = values["block-size"] as string | undefined;
  const blockSize = blockRaw === undefined ? 8192 : Number(blockRaw);
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new UsageError(
      `invalid value ${JSON.stringify(blockRaw)} for --block-size; expected a positive integer`,
    );
  checkWritable(out);
  const t0 = performance.now();
  const ad = await openAnnData(data, { backed: true });
  let pb: ReturnType<typeof pseudobulk>;
  try {
    pb = pseudobulk(ad, { by, blockSize });
  } finally {
    ad.close();
  }
  await writeH5ad(out, pb);
  if (!values.quiet)
    io.stderr(
      `scribe pseudobulk: ${ad.shape[0]} cells -> ${pb.X.shape[0]} groups × ${pb.X.shape[1]} genes ` +
        `(by ${by.join(", ")}) in ${((performance.now() - t0) / 1000).toFixed(2)} s; wrote ${out}\n`,
    );
  return EXIT_OK;
}
