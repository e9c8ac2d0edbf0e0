import { readFileSync } from "node:fs";
import { fromTypedArray, type Tensor } from "@scribe/core";
import { type NbFamilyParams, nbFamilyLogLikelihood } from "@scribe/models/likelihood/index.js";
import { describe, expect, it } from "vitest";

/** SCRIBE's own parity data (mrazomej/scribe tests/data/log_likelihood_golden.npz, MIT), produced in float32. */
const golden = JSON.parse(
  readFileSync(new URL("../fixtures/scribe/log_likelihood_golden.json", import.meta.url), "utf8"),
) as Record<string, { shape: number[]; data: number[] }>;
const t = (k: string): Tensor => fromTypedArray(Float32Array.from(golden[k]!.data), golden[k]!.shape);
const has = (k: string) => k in golden;

function paramsOf(m: string): NbFamilyParams {
  return {
    p: t(`params_${m}__p`),
    r: t(`params_${m}__r`),
    gate: has(`params_${m}__gate`) ? t(`params_${m}__gate`) : undefined,
    pCapture: has(`params_${m}__p_capture`) ? t(`params_${m}__p_capture`) : undefined,
    mixingWeights: has(`params_${m}__mixing_weights`) ? t(`params_${m}__mixing_weights`) : undefined,
  };
}

// Upstream computed these in float32 on sums of 30–50 terms of magnitude ~1–10: 2e-4 absolute.
const TOL = 2e-4;

function expectClose(got: Tensor, key: string): void {
  const want = golden[key]!;
  expect(got.shape).toEqual(want.shape);
  const g = got.dataSync();
  let worst = 0;
  want.data.forEach((w, i) => {
    worst = Math.max(worst, Math.abs(g[i]! - w));
  });
  expect(worst, key).toBeLessThanOrEqual(TOL);
}

describe("SCRIBE log-likelihood golden values (float32)", () => {
  const counts = t("counts");
  for (const m of ["nbdm", "zinb", "nbvcp", "zinbvcp"]) {
    it(`${m}: per cell and per gene`, () => {
      expectClose(nbFamilyLogLikelihood(counts, paramsOf(m), { returnBy: "cell" }), `${m}__rb-cell`);
      expectClose(nbFamilyLogLikelihood(counts, paramsOf(m), { returnBy: "gene" }), `${m}__rb-gene`);
    });
    it(`${m}_mix: per cell / gene, split or marginal, additive gene weights`, () => {
      const mm = `${m}_mix`;
      const p = paramsOf(mm);
      for (const sc of [0, 1]) {
        const split = sc === 1;
        expectClose(
          nbFamilyLogLikelihood(counts, p, { returnBy: "cell", splitComponents: split }),
          `${mm}__rb-cell__sc-${sc}__w-none`,
        );
        expectClose(
          nbFamilyLogLikelihood(counts, p, {
            returnBy: "cell",
            splitComponents: split,
            weights: t("weights_gene"),
            weightType: "additive",
          }),
          `${mm}__rb-cell__sc-${sc}__w-add`,
        );
        expectClose(
          nbFamilyLogLikelihood(counts, p, { returnBy: "gene", splitComponents: split }),
          `${mm}__rb-gene__sc-${sc}__w-none`,
        );
      }
    });
  }
});
