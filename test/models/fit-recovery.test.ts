import { key, random, splitKey, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { type FitOptions, fit } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { pearson } from "../../bench/stats.js";

// Data simulated from each model; parameters recovered from the MAP of a short SVI fit.
const N = 300;
const G = 12;
const rTrue = Array.from({ length: G }, (_, g) => 0.5 + (g * 4.5) / (G - 1)); // 0.5 … 5
const pTrue = 0.6;

function simulate(opts: { capture?: boolean; gate?: number; seed: number }): {
  counts: Tensor;
  nu?: number[];
} {
  const [k1, k2, k3] = splitKey(key(opts.seed), 3);
  let p: Tensor = tensor(pTrue).expand([N, G]);
  let nu: number[] | undefined;
  if (opts.capture) {
    const nuT = random.uniform(k1!, [N], 0.3, 0.9);
    nu = Array.from(nuT.dataSync(), Number);
    const n = nuT.reshape([N, 1]);
    p = p.mul(n).div(p.mul(n.neg().add(1)).neg().add(1));
  }
  let u = new NegativeBinomialProbs(tensor(rTrue).expand([N, G]), p, false).sample(k2!);
  if (opts.gate) u = u.mul(random.bernoulli(k3!, tensor(opts.gate), [N, G]).astype("float32").neg().add(1));
  return { counts: u, ...(nu ? { nu } : {}) };
}

function relErr(est: Tensor, truth: number[]): number {
  const e = Array.from(est.dataSync(), Number);
  return Math.max(...e.map((x, i) => Math.abs(x - truth[i]!) / truth[i]!));
}

function medianRelErr(est: Tensor, truth: number[]): number {
  const e = Array.from(est.dataSync(), Number)
    .map((x, i) => Math.abs(x - truth[i]!) / truth[i]!)
    .sort((a, b) => a - b);
  return e[Math.floor(e.length / 2)]!;
}

const base: FitOptions = { nSteps: 1500, learningRate: 0.05, seed: 0 };
// The default run keeps nbdm and a full-batch nbvcp; zinb, the minibatch nbvcp, zinbvcp and the
// mixture run with SCRIBE_SLOW=1: the zinb gate guide needs 2000 steps here (at 500–600 steps,
// lr 0.05 or 0.1, the median rel err of r is still 0.42–0.57).
// Mixtures are recovered in the default run by lowrank-mixture.test.ts, zinbvcp is fitted by
// fit-backends and no-sync-read.
const slow = process.env.SCRIBE_SLOW === "1";

describe("parameter recovery (MAP of short fits on simulated data)", () => {
  it("nbdm: p within 0.05, r within 35 % (max; p and r trade off) of the truth", async () => {
    const { counts } = simulate({ seed: 1 });
    // 1500 steps: the r–p ridge of the canonical parameterization is what takes the steps
    // (|p − p*| = 0.12 at 400 steps and lr 0.1, 0.088 at 800 and 0.07, 0.069 at 1000 and 0.05)
    const { results } = await fit(counts, { ...base, model: "nbdm" });
    const m = results.getMap();
    const pe = Math.abs(m.p!.item() - pTrue);
    const re = relErr(m.r!, rTrue);
    console.log(`nbdm: |p−p*| = ${pe.toFixed(4)}, max rel err r = ${re.toFixed(3)}`);
    expect(pe).toBeLessThan(0.05);
    expect(re).toBeLessThan(0.35);
  }, 120_000);

  it.runIf(slow)(
    "zinb: mean gate error < 0.08, median rel err of r < 30 %",
    async () => {
      const { counts } = simulate({ seed: 2, gate: 0.2 });
      const { results } = await fit(counts, { ...base, model: "zinb", nSteps: 2000 });
      const m = results.getMap();
      const gates = Array.from(m.gate!.dataSync(), Number);
      const ge = gates.reduce((a, g) => a + Math.abs(g - 0.2), 0) / G;
      const re = medianRelErr(m.r!, rTrue);
      console.log(
        `zinb: mean |gate−0.2| = ${ge.toFixed(3)}, median rel err r = ${re.toFixed(3)}, p = ${m.p!.item().toFixed(3)}`,
      );
      expect(ge).toBeLessThan(0.08);
      expect(re).toBeLessThan(0.3);
    },
    120_000,
  );

  // nbvcp: capture and p are only identified up to a scale, so the predicted mean counts are
  // compared, and the capture's correlation with the truth. Full batch at lr 0.1 converges in
  // 500 steps (measured corr 0.78, max rel err of the gene means 0.15); the minibatch run (a third
  // of the cells' capture factors updated per step) needs 2000 steps at lr 0.05 (SCRIBE_SLOW).
  const nbvcpRecovery = async (opts: FitOptions) => {
    const { counts, nu } = simulate({ seed: 3, capture: true });
    const { results } = await fit(counts, { ...base, model: "nbvcp", ...opts });
    const m = results.getMap();
    const nuHat = Array.from(m.p_capture!.dataSync(), Number);
    const corr = pearson(nuHat, nu!);
    const pred = predictedMean(m.r!, m.p!.item(), nuHat);
    const obs = Array.from(counts.mean(0).dataSync(), Number);
    const meanErr = Math.max(...pred.map((x, g) => Math.abs(x - obs[g]!) / obs[g]!));
    console.log(
      `nbvcp ${JSON.stringify(opts)}: corr(ν̂, ν) = ${corr.toFixed(3)}, max rel err of gene means = ${meanErr.toFixed(3)}`,
    );
    expect(corr).toBeGreaterThan(0.5);
    expect(meanErr).toBeLessThan(0.2);
  };

  it("nbvcp (full batch): mean mu·ν recovered; capture correlates with the truth", async () => {
    await nbvcpRecovery({ nSteps: 500, learningRate: 0.1 });
  }, 120_000);

  it.runIf(slow)(
    "nbvcp (minibatch 100): mean mu·ν recovered; capture correlates with the truth",
    async () => {
      await nbvcpRecovery({ batchSize: 100, nSteps: 2000 });
    },
    120_000,
  );

  it.runIf(slow)(
    "zinbvcp: fits, finite loss, gene means within 40 %",
    async () => {
      const { counts } = simulate({ seed: 4, capture: true, gate: 0.15 });
      const { results } = await fit(counts, { ...base, model: "zinbvcp", nSteps: 1500 });
      const m = results.getMap();
      const nuHat = Array.from(m.p_capture!.dataSync(), Number);
      const gates = Array.from(m.gate!.dataSync(), Number);
      const pred = predictedMean(m.r!, m.p!.item(), nuHat).map((x, g) => x * (1 - gates[g]!));
      const obs = Array.from(counts.mean(0).dataSync(), Number);
      const meanErr = Math.max(...pred.map((x, g) => Math.abs(x - obs[g]!) / obs[g]!));
      console.log(`zinbvcp: max rel err of gene means = ${meanErr.toFixed(3)}`);
      expect(Number.isFinite(results.lossHistory.at(-1)!)).toBe(true);
      expect(meanErr).toBeLessThan(0.4);
    },
    120_000,
  );

  it.runIf(slow)(
    "2-component nbdm mixture: components and weights recovered",
    async () => {
      const [k1, k2, k3] = splitKey(key(5), 3);
      const rA = rTrue;
      const rB = [...rTrue].reverse().map((x) => x * 3);
      const z = random.bernoulli(k1!, tensor(0.35), [N]).astype("float32");
      const zc = z.reshape([N, 1]);
      const r = tensor(rA).mul(zc.neg().add(1)).add(tensor(rB).mul(zc));
      const counts = new NegativeBinomialProbs(r, tensor(pTrue).expand([N, G]), false).sample(k2!);
      void k3;
      const { results } = await fit(counts, { ...base, model: "nbdm", nComponents: 2, nSteps: 2000 });
      const zHat = Array.from(results.cellAssignments(counts).dataSync(), Number);
      const zs = Array.from(z.dataSync(), Number);
      const agree = zHat.reduce((a, v, i) => a + (v === zs[i] ? 1 : 0), 0) / N;
      const acc = Math.max(agree, 1 - agree);
      console.log(`mixture: assignment accuracy = ${acc.toFixed(3)}`);
      expect(acc).toBeGreaterThan(0.9);
    },
    120_000,
  );
});

function predictedMean(r: Tensor, p: number, nu: number[]): number[] {
  const rs = Array.from(r.dataSync(), Number);
  return rs.map(
    (rg) =>
      nu.reduce((a, n) => {
        const ph = (p * n) / (1 - p * (1 - n));
        return a + (rg * ph) / (1 - ph);
      }, 0) / nu.length,
  );
}
