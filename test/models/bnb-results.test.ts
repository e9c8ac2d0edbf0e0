/**
 * BNB overdispersion in the written results (SCRIBE `overdispersion="bnb"`, see
 * docs/SOURCES.md): `scribe fit --overdispersion bnb` writes the posterior mean of ω per gene into
 * results.h5ad var (`scribe_bnb_concentration_mean`), read back here and checked against the
 * written params' posterior (same draws: float32 rounding; fresh draws: Monte Carlo error).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, splitKey, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { BetaNegativeBinomial, bnbShapes, ScribeResults } from "@scribe/models";
import { createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";

const C = 80;
const R = [2, 5, 3, 6];
const G = R.length;
const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

/** Counts [C, G]: genes 0–1 BNB with ω = 4, genes 2–3 NB, all with p = 0.6. */
function simulate(seed: number): Tensor {
  const [kb, kn] = splitKey(key(seed), 2) as [ReturnType<typeof key>, ReturnType<typeof key>];
  const r = tensor(R).expand([C, G]);
  const p = tensor(0.6).expand([C, G]);
  const { alpha, kappa } = bnbShapes(p, r, tensor([4, 4, 1e-6, 1e-6]).expand([C, G]));
  const isBnb = tensor([1, 1, 0, 0]).expand([C, G]);
  const bnb = new BetaNegativeBinomial(r, alpha, kappa).sample(kb);
  const nb = new NegativeBinomialProbs(r, p, false).sample(kn);
  return bnb.mul(isBnb).add(nb.mul(isBnb.neg().add(1)));
}

describe("results.h5ad carries ω (BNB)", () => {
  it("var scribe_bnb_concentration_mean is the posterior mean of ω of the written results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-bnb-results-"));
    const counts = simulate(11);
    const host = Float32Array.from(counts.dataSync() as ArrayLike<number>);
    write10x(join(dir, "sim"), createAnnData({ X: { format: "dense", data: host, shape: [C, G] } }));
    const out = join(dir, "out");
    const nSamples = 50;
    const run = await cliInProcess(
      ["fit", join(dir, "sim"), "--model", "nbdm", "--overdispersion", "bnb", "--n-steps", "40"].concat([
        "--seed",
        "0",
        "--n-samples",
        String(nSamples),
        "--out",
        out,
        "-q",
      ]),
    );
    expect(run.code, run.stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    const h5 = await readH5ad(join(out, "results.h5ad"));
    const col = h5.var.columns.scribe_bnb_concentration_mean as unknown as ArrayLike<number> | undefined;
    expect(col, Object.keys(h5.var.columns).join(", ")).toBeDefined();
    const written = Array.from(col!, Number);
    expect(written.length).toBe(G);
    // the same draws (seed 42, as the command takes them) from the written params: float32 rounding
    const same = arr(res.getPosteriorSamples({ nSamples, seed: 42, counts }).bnb_concentration!.mean(0));
    for (let g = 0; g < G; g++) expect(Math.abs(written[g]! - same[g]!)).toBeLessThan(1e-5 * same[g]!);
    // fresh draws (another seed, 2000 of them): the column is a Monte Carlo mean of the same
    // posterior, within 5 standard errors of its own 50 draws plus the fresh mean's
    const fresh = res.getPosteriorSamples({ nSamples: 2000, seed: 3, counts }).bnb_concentration!;
    const freshMean = arr(fresh.mean(0));
    const sd = arr(fresh.sub(fresh.mean(0)).square().mean(0).sqrt());
    for (let g = 0; g < G; g++) {
      const se = sd[g]! * Math.sqrt(1 / nSamples + 1 / 2000);
      expect(Math.abs(written[g]! - freshMean[g]!)).toBeLessThan(5 * se);
    }
    // a model without BNB has no ω column
    const plainOut = join(dir, "plain");
    const plain = await cliInProcess([
      "fit",
      join(dir, "sim"),
      "--model",
      "nbdm",
      "--n-steps",
      "5",
      "--n-samples",
      "2",
      "--out",
      plainOut,
      "-q",
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    const h5plain = await readH5ad(join(plainOut, "results.h5ad"));
    expect(h5plain.var.columns.scribe_bnb_concentration_mean).toBeUndefined();
  }, 300_000);
});
