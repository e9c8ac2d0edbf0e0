import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { genesBySamples } from "@scribe/models/cli/data.js";
import { deTableRows, momTest, nbFit, nbTest } from "@scribe/models/de/index.js";
import { getStringColumn } from "@scribe/models/io/index.js";
import { read10x, readH5ad } from "@scribe/models/io/node.js";
import { beforeAll, describe, expect, it } from "vitest";

const DIR = fileURLToPath(new URL("../../../shared/data/geuvadis_humangender_bulk", import.meta.url));
/** The copy bundled with the repository (an .h5ad; the shared folder also has the 10x files). */
const BUNDLED = fileURLToPath(
  new URL("../../examples/data/geuvadis_humangender_bulk/geuvadis_humangender_bulk.h5ad", import.meta.url),
);

/** GEUVADIS as DE's genes × samples counts: the shared 10x folder, else the bundled .h5ad. */
async function readGeuvadis() {
  const a = existsSync(DIR) ? read10x(DIR, { varNames: "id" }) : await readH5ad(BUNDLED);
  const samples = a.obs.index.map((_, i) => i);
  return {
    counts: genesBySamples(a.X, samples, a.var.index, a.obs.index),
    obs: { sex: getStringColumn(a.obs, "sex", "obs") },
  };
}
const Y_GENES: Record<string, string> = {
  ENSG00000129824: "RPS4Y1",
  ENSG00000067048: "DDX3Y",
  ENSG00000012817: "KDM5D",
  ENSG00000183878: "UTY",
  ENSG00000198692: "EIF1AY",
  ENSG00000067646: "ZFY",
  ENSG00000114374: "USP9Y",
  ENSG00000165246: "NLGN4Y",
};

describe("GEUVADIS male vs female (85 samples × 10,101 genes)", () => {
  let ds: Awaited<ReturnType<typeof readGeuvadis>> | null = null;
  beforeAll(async () => {
    ds = await readGeuvadis();
  });
  it("QL test and MoM put the 8 Y-chromosome genes at the top, up in males", () => {
    const fit = nbFit(ds!.counts, { conditions: ds!.obs.sex!, reference: "Female" });
    const t = nbTest(fit, { contrast: "conditionMale" });
    const rows = deTableRows(t);
    const ranks = Object.keys(Y_GENES).map((id) => rows.findIndex((r) => r.gene === id) + 1);
    const mrows = deTableRows(momTest(ds!.counts, { conditions: ds!.obs.sex!, reference: "Female" }));
    const mranks = Object.keys(Y_GENES).map((id) => mrows.findIndex((r) => r.gene === id) + 1);
    console.log(`[de-geuvadis] QL ranks ${ranks.join(",")}; MoM ranks ${mranks.join(",")}`);
    for (const r of ranks) expect(r).toBeLessThanOrEqual(10);
    for (const r of mranks) expect(r).toBeLessThanOrEqual(10);
    for (const id of Object.keys(Y_GENES)) {
      const row = rows.find((r) => r.gene === id)!;
      expect(row.log2FC).toBeGreaterThan(5);
      expect(row.padj).toBeLessThan(1e-20);
    }
  });
});
