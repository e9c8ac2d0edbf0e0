/**
 * KL annealing of SVI fits (SCRIBE `kl_annealing_warmup`, SCRIBE KL annealing; schedule as the
 * VAE's): the ELBO's KL term is weighted by β_t = min(1, (t + 1) / W).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { TraceMeanFieldELBO } from "@scribe/infer";
import { annealLatents, fit, KlAnnealing, nbdm, ScribeResults } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const val = (t: Tensor) => Number((t.dataSync() as ArrayLike<number>)[0]);

describe("KL annealing", () => {
  it("the annealed −ELBO is −E log p(x|θ) + β_t·KL with β_t = min(1, (t+1)/W) (W = 4, closed-form KL)", () => {
    const C = 6;
    const G = 3;
    const counts = tensor([
      [0, 3, 1],
      [2, 5, 0],
      [1, 2, 4],
      [0, 7, 2],
      [3, 1, 1],
      [1, 4, 0],
    ]);
    const { model, guide } = nbdm({ nCells: C, nGenes: G });
    // guide params away from the prior, so the KL is not 0
    const rLoc = [0.5, 1, -0.3];
    const rScale = [0.4, 0.6, 0.5];
    const params = {
      p_alpha: tensor(3),
      p_beta: tensor(2),
      r_loc: tensor(rLoc),
      r_scale: tensor(rScale),
    };
    // KL(Beta(3,2) ‖ Beta(1,1)) = ln 12 − 9/4 (lnΓ and ψ at integers);
    // KL(LogNormal(m, s) ‖ LogNormal(0, 1)) = ½(s² + m² − 1) − ln s
    let klTrue = Math.log(12) - 2.25;
    for (let g = 0; g < G; g++) klTrue += 0.5 * (rScale[g]! ** 2 + rLoc[g]! ** 2 - 1) - Math.log(rScale[g]!);
    const elbo = new TraceMeanFieldELBO();
    const k = key(3);
    // the same key: the same guide draws, so the losses differ only by the KL weight
    const plain = val(elbo.loss(k, params, model, guide, [counts, null]));
    const W = 4;
    const clock = new KlAnnealing(W);
    const am = annealLatents(model, () => clock.betaTensor());
    const ag = annealLatents(guide, () => clock.betaTensor());
    const measured: number[] = [];
    for (let t = 0; t < W + 2; t++) {
      clock.step = t;
      const l = val(elbo.loss(k, params, am, ag, [counts, null]));
      measured.push(1 + (l - plain) / klTrue);
    }
    const want = [0.25, 0.5, 0.75, 1, 1, 1];
    console.log(
      `KL annealing: β measured ${measured.map((b) => b.toFixed(5)).join(", ")} (KL = ${klTrue.toFixed(4)})`,
    );
    // float32 losses of magnitude ~40: ~1e-5 absolute, over KL ≈ 1.9
    for (const [t, b] of measured.entries()) expect(Math.abs(b - want[t]!)).toBeLessThan(2e-4);
  });

  it("fit({ klAnnealingWarmup }) applies β through the SVI loop: with β ≈ 0 a strong wrong prior no longer pulls r", async () => {
    const C = 60;
    const G = 4;
    const rTrue = [1, 2, 4, 8];
    const counts = new NegativeBinomialProbs(
      tensor(rTrue).expand([C, G]),
      tensor(0.5).expand([C, G]),
      false,
    ).sample(key(5));
    const means = Array.from(counts.mean(0).dataSync(), Number);
    // r ~ LogNormal(−2, 0.05): r ≈ 0.135 a priori, far below the data's r (1 … 8). 300 steps
    // at learning rate 0.1 (was 800 at 0.05; measured: max rel err 0.06 with β ≈ 0, 5.9 with β = 1)
    const o = {
      model: "nbdm" as const,
      nSteps: 300,
      learningRate: 0.1,
      seed: 1,
      priors: { r: [-2, 0.05] as [number, number] },
    };
    const plain = await fit(counts, o);
    // W = 1e7: β ≤ 8e-5 over the run, so the KL (and with it the prior) has almost no weight
    const annealed = await fit(counts, { ...o, klAnnealingWarmup: 10_000_000 });
    expect(annealed.results.meta.klAnnealingWarmup).toBe(10_000_000);
    const mu = (res: typeof plain) => Array.from(res.results.getMap().mu!.dataSync(), Number);
    const relErr = (m: number[]) => Math.max(...m.map((x, g) => Math.abs(x - means[g]!) / means[g]!));
    const ePlain = relErr(mu(plain));
    const eAnn = relErr(mu(annealed));
    console.log(`MAP mu vs the gene means: β=1 max rel err ${ePlain.toFixed(3)}, β≈0 ${eAnn.toFixed(3)}`);
    // β ≈ 0: the likelihood alone (MLE of an NB mean = the sample mean, up to short-run noise)
    expect(eAnn).toBeLessThan(0.2);
    // β = 1: the prior dominates (r pinned near 0.135 with sd 0.7 %), the means are far off
    expect(ePlain).toBeGreaterThan(0.5);
    await expect(fit(counts, { ...o, klAnnealingWarmup: -1 })).rejects.toThrow(/klAnnealingWarmup/);
  }, 180_000);
});

describe("scribe fit --kl-annealing-warmup", () => {
  it("the written results are the API fit's with the same klAnnealingWarmup, not the unannealed fit's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-kl-cli-"));
    const C = 50;
    const G = 3;
    const counts = new NegativeBinomialProbs(
      tensor([1, 3, 6]).expand([C, G]),
      tensor(0.5).expand([C, G]),
      false,
    ).sample(key(8));
    const host = Float32Array.from(counts.dataSync() as ArrayLike<number>);
    const data = join(dir, "sim");
    write10x(data, createAnnData({ X: { format: "dense", data: host, shape: [C, G] } }));
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbdm", "--kl-annealing-warmup", "20", "--n-steps", "40"];
    args.push("--learning-rate", "0.05", "--seed", "0", "--n-samples", "2", "--out", out, "-q");
    expect(await runCli(args, io), stderr).toBe(0);
    const written = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    expect(written.meta.klAnnealingWarmup).toBe(20);
    const o = { model: "nbdm" as const, nSteps: 40, learningRate: 0.05, seed: 0 };
    const x = tensor(Array.from(host)).reshape([C, G]);
    const annealed = await fit(x, { ...o, klAnnealingWarmup: 20 });
    const plain = await fit(x, o);
    const losses = Array.from(written.lossHistory);
    const la = Array.from(annealed.results.lossHistory);
    const lp = Array.from(plain.results.lossHistory);
    // the same computation: the same losses (float32, written as JSON numbers)
    for (let t = 0; t < 40; t++) expect(Math.abs(losses[t]! - la[t]!)).toBeLessThan(1e-6 * Math.abs(la[t]!));
    // the guide starts at the prior (KL = 0), so step 0 is the same for both; later steps differ
    expect(Math.abs(la[0]! - lp[0]!)).toBeLessThan(1e-6 * Math.abs(lp[0]!));
    expect(Math.max(...la.slice(5).map((l, t) => Math.abs(l - lp[t + 5]!)))).toBeGreaterThan(1e-3);
  }, 180_000);
});
