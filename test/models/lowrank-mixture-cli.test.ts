/**
 * `scribe fit --n-components 2 --guide-rank 4` end to end (issue 16 item 1: the command used to
 * crash with "shapes [2] and [2, 8] do not broadcast"): on seeded simulated two-component data
 * it exits 0, writes a low-rank guide over the [2, G] gene parameter, and the written results
 * are the API's `fit` on the same counts with the same options and seed. The command runs in
 * this process (the process boundary, exit codes and output are covered by cli-fit.test.ts);
 * that this fit recovers the component means is checked by lowrank-mixture.test.ts (same
 * simulation), so a short run suffices here.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, splitKey, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, ScribeResults } from "@scribe/models";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";

const C = 200;
const G = 6;
// the simulation of lowrank-mixture.test.ts: per-component gene means, p = 0.6 | 0.75
const MU = [
  [2, 5, 10, 25, 40, 4],
  [12, 30, 2.5, 6, 10, 20],
];
const STEPS = 60;

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

describe("scribe fit --n-components 2 --guide-rank 4", () => {
  it("exits 0, writes the low-rank factor over [2, G], and its results are the API fit's (same counts, options, seed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-lowrank-"));
    const z = tensor(Array.from({ length: C }, (_, c) => (c < 0.45 * C ? 0 : 1))).reshape([C, 1]);
    const perCell = (a: number[], b: number[]) => tensor(a).mul(z.neg().add(1)).add(tensor(b).mul(z));
    const p = perCell([0.6], [0.75]).expand([C, G]);
    const r = perCell(MU[0]!, MU[1]!).mul(p.neg().add(1)).div(p);
    const counts = new NegativeBinomialProbs(r, p, false).sample(splitKey(key(11), 1)[0]!);
    const host = Float32Array.from(counts.dataSync() as ArrayLike<number>);
    const data = join(dir, "sim");
    write10x(data, createAnnData({ X: { format: "dense", data: host, shape: [C, G] } }));
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbdm", "--parameterization", "linked"];
    args.push("--n-components", "2", "--guide-rank", "4", "--n-steps", String(STEPS));
    args.push("--learning-rate", "0.05", "--seed", "0", "--n-samples", "5", "--out", out, "-q");
    const run = await cliInProcess(args);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as Record<string, unknown>;
    const results = ScribeResults.fromJSON(json);
    expect(results.options.guideRank).toBe(4);
    expect(results.nComponents).toBe(2);
    expect([...results.params.log_mu_loc!.shape]).toEqual([2, G]);
    expect([...results.params.log_mu_W!.shape]).toEqual([2, G, 4]);
    expect(results.lossHistory.length).toBe(STEPS);
    // the peer: fit() on the same float32 counts with the command's options
    const api = await fit(tensor(Array.from(host)).reshape([C, G]), {
      model: "nbdm",
      parameterization: "linked",
      nComponents: 2,
      guideRank: 4,
      nSteps: STEPS,
      learningRate: 0.05,
      seed: 0,
    });
    expect(Object.keys(results.params).sort()).toEqual(Object.keys(api.results.params).sort());
    // same computation on the same counts on the cpu: equal up to the float32 rounding of the
    // JSON round trip (relative 1e-6)
    for (const [name, t] of Object.entries(api.results.params)) {
      const want = arr(t);
      const got = arr(results.params[name]!);
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i]! - want[i]!), name).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]!) + 1e-7);
    }
    const mu = arr(results.getMap().mu!);
    expect(mu.length).toBe(2 * G);
    expect(mu.every((m) => Number.isFinite(m) && m > 0)).toBe(true);
  }, 240_000);
});
