import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, type Tensor } from "@scribe/core";
import {
  effectiveSampleSize,
  MCMC,
  type MCMCOptions,
  type MCMCState,
  NUTS,
  type ProgressInfo,
  RngStream,
} from "@scribe/infer";
import { prewarmMcmcWorkers } from "@scribe/infer/node";
import { describe, expect, it } from "vitest";
import { makeDenseHmc, makeNuts, POSTERIOR } from "./mcmc-model-kernels.js";

const arr = (t: Tensor): number[] => Array.from(t.dataSync());
const quiet = { progressBar: false } as const;

/** Per-chain rows of a grouped sample tensor `[C, n, ...]` as flat number arrays. */
function perChain(t: Tensor): number[][] {
  const [c, n] = t.shape as [number, number];
  const w = t.size / (c * n);
  const flat = arr(t);
  return Array.from({ length: c }, (_, i) => flat.slice(i * n * w, (i + 1) * n * w));
}

/** Joins two grouped runs chain by chain. */
function joinRuns(a: Record<string, Tensor>, b: Record<string, Tensor>): Record<string, number[][]> {
  return Object.fromEntries(
    Object.keys(a).map((k) => [k, perChain(a[k]!).map((row, c) => [...row, ...perChain(b[k]!)[c]!])]),
  );
}

const grouped = (s: Record<string, Tensor>): Record<string, number[][]> =>
  Object.fromEntries(Object.entries(s).map(([k, t]) => [k, perChain(t)]));

describe("RngStream state", () => {
  it("continues bit for bit after a JSON round trip, across blocks and mid Box–Muller pair", () => {
    const a = new RngStream(key(4));
    for (let i = 0; i < 300; i++) a.uniform(); // 600 words: into the second block of 512
    a.normal(); // leaves the pair's second normal cached
    const st = JSON.parse(JSON.stringify(a.getState()));
    expect(st.block).toBe(2);
    expect(st.pos).toBe(600 - 512 + 4);
    expect(typeof st.spare).toBe("number");
    const b = RngStream.fromState(st);
    const draw = (r: RngStream) =>
      Array.from({ length: 700 }, (_, i) =>
        i % 3 === 0 ? r.normal() : i % 3 === 1 ? r.uniform() : +r.bit(),
      );
    expect(draw(b)).toEqual(draw(a));
    // A fresh stream's state restores to the stream's start.
    const fresh = RngStream.fromState(new RngStream(key(9)).getState());
    expect(fresh.uniform()).toBe(new RngStream(key(9)).uniform());
    expect(() => RngStream.fromState({ ...st, pos: 600 })).toThrow(/pos/);
    expect(() => RngStream.fromState({ ...st, key: { hi: -1, lo: 0 } })).toThrow(/uint32/);
  });
});

describe("MCMC resume from lastState / postWarmupState", () => {
  const opts = (numSamples: number, extra: Partial<MCMCOptions> = {}): MCMCOptions => ({
    numWarmup: 150,
    numSamples,
    numChains: 2,
    ...quiet,
    ...extra,
  });
  let full: MCMC;
  let fullSamples: Record<string, number[][]>;
  let firstHalf: MCMC;
  let checkpoint: string;

  it("two runs of n draws give bit for bit the draws of one run of 2n (NUTS, model with deterministic sites)", async () => {
    full = new MCMC(makeNuts(), opts(200));
    await full.run(key(21));
    fullSamples = grouped(full.getSamples(true));
    const fullExtra = grouped(full.getExtraFields(true));

    const m = new MCMC(makeNuts(), opts(100));
    await m.run(key(21));
    firstHalf = m;
    checkpoint = JSON.stringify(m.lastState);
    const a = m.getSamples(true);
    const ea = m.getExtraFields(true);
    const warmedStep = m.chainResults.map((r) => r.stepSize);
    m.postWarmupState = m.lastState;
    const m2 = m; // the same object, as in NumPyro's example
    await m2.run(m2.postWarmupState!.rngKey);
    const b = m2.getSamples(true);
    expect(Object.keys(b)).toEqual(["mu", "muAffine", "lam", "lin", "logLam", "resid"]);
    expect(joinRuns(a, b)).toEqual(fullSamples);
    expect(joinRuns(ea, m2.getExtraFields(true))).toEqual(fullExtra);
    // No warmup in the second run: the adapted step size and mass matrix are kept.
    expect(m2.chainResults.map((r) => r.stepSize)).toEqual(warmedStep);
    expect(m2.chainResults.map((r) => r.warmupDivergences)).toEqual([0, 0]);
    expect(m2.lastState).toEqual(full.lastState);
    expect(m2.lastState!.chains.map((c) => c.iteration)).toEqual([350, 350]);
  });

  it("the state holds the last position, step size, mass matrix and potential of each chain", () => {
    const st = full.lastState!;
    expect(st.rngKey).toEqual({ hi: 0, lo: 21 });
    full.chainResults.forEach((r, c) => {
      const s = st.chains[c]!;
      const dim = s.z.length;
      expect(dim).toBe(2);
      expect(s.z).toEqual(Array.from(r.positions.subarray(r.positions.length - dim)));
      expect(s.stepSize).toBe(r.stepSize);
      expect(s.inverseMassMatrix).toEqual(Array.from(r.inverseMassMatrix));
      expect(s.potentialEnergy).toBe(r.extra.potentialEnergy.at(-1));
      expect(s.denseMass).toBe(false);
    });
    // Plain data: a JSON round trip changes nothing.
    expect(JSON.parse(JSON.stringify(st))).toEqual(st);
  });

  it("resumes from a JSON checkpoint on disk, in a fresh MCMC running chains on worker threads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mcmc-resume-"));
    try {
      const file = join(dir, "state.json");
      writeFileSync(file, checkpoint);
      const spec = {
        module: new URL("./mcmc-model-kernels.ts", import.meta.url).href,
        exportName: "makeNuts",
      };
      // a loaded worker takes a chain at once (a cold one would still be loading when this
      // thread had run every chain itself, and the worker path would go untested)
      await prewarmMcmcWorkers(1, spec);
      const fresh = new MCMC(makeNuts(), opts(100, { chainMethod: "parallel", kernelModule: spec }));
      fresh.postWarmupState = JSON.parse(readFileSync(file, "utf8")) as MCMCState;
      await fresh.run(fresh.postWarmupState!.rngKey);
      const b = grouped(fresh.getSamples(true));
      for (const k of Object.keys(fullSamples))
        expect(b[k]).toEqual(fullSamples[k]!.map((row) => row.slice(row.length / 2)));
      expect(fresh.lastState).toEqual(full.lastState);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("is exact for static HMC with a dense mass matrix and thinning too", async () => {
    const o = { numWarmup: 120, numChains: 1, thinning: 2, ...quiet };
    const one = new MCMC(makeDenseHmc(), { ...o, numSamples: 60 });
    await one.run(key(8));
    const two = new MCMC(makeDenseHmc(), { ...o, numSamples: 30 });
    await two.run(key(8));
    const a = two.getSamples(true);
    expect(two.lastState!.chains[0]!.denseMass).toBe(true);
    expect(two.lastState!.chains[0]!.inverseMassMatrix.length).toBe(4);
    two.postWarmupState = JSON.parse(JSON.stringify(two.lastState));
    await two.run(key(8));
    expect(joinRuns(a, two.getSamples(true))).toEqual(grouped(one.getSamples(true)));
  });

  it("is exact for a plain-JS potential of odd dimension (a Box–Muller normal left over at the break)", async () => {
    const kernel = () =>
      new NUTS({
        potentialFnGrad: (x, g) => {
          let u = 0;
          for (let i = 0; i < 3; i++) {
            g[i] = x[i]! / (i + 1) ** 2;
            u += 0.5 * (x[i]! / (i + 1)) ** 2;
          }
          return u;
        },
        dim: 3,
      });
    const o = { numWarmup: 80, numChains: 1, ...quiet };
    const one = new MCMC(kernel(), { ...o, numSamples: 42 });
    await one.run(key(13));
    const two = new MCMC(kernel(), { ...o, numSamples: 21 });
    await two.run(key(13));
    const a = Array.from(two.chainResults[0]!.positions);
    // Odd dimension: the stream may stop halfway through a Box–Muller pair.
    expect(two.lastState!.chains[0]!.rng.spare).not.toBeNull();
    two.postWarmupState = JSON.parse(JSON.stringify(two.lastState));
    const part = new MCMC(kernel(), { ...o, numSamples: 21 });
    part.postWarmupState = two.postWarmupState;
    await part.run(key(13));
    expect([...a, ...part.chainResults[0]!.positions]).toEqual(Array.from(one.chainResults[0]!.positions));
  });

  it("warmup() then run() with the same key equals one run; another key gives fresh streams", async () => {
    const m = new MCMC(makeNuts(), opts(200));
    await m.warmup(key(21));
    expect(() => m.getSamples()).toThrow(/run\(\) first/);
    expect(m.postWarmupState).toBe(m.lastState);
    expect(m.postWarmupState!.chains.map((c) => c.iteration)).toEqual([150, 150]);
    const progress: ProgressInfo[] = [];
    const withProgress = new MCMC(
      makeNuts(),
      opts(200, { onProgress: (p) => progress.push(p), progressEvery: 50 }),
    );
    withProgress.postWarmupState = m.postWarmupState;
    await withProgress.run(key(21));
    expect(grouped(withProgress.getSamples(true))).toEqual(fullSamples);
    expect(progress.every((p) => p.phase === "sample" && p.total === 200)).toBe(true);
    expect(progress.filter((p) => p.chain === 0).map((p) => p.iteration)).toEqual([50, 100, 150, 200]);

    // Another key: the chains continue from the same states with new random streams.
    await m.run(key(99));
    const other = grouped(m.getSamples(true));
    expect(other.mu).not.toEqual(fullSamples.mu);
    expect(m.getExtraFields(true).stepSize.shape).toEqual([2, 200]);
    const steps = perChain(m.getExtraFields(true).stepSize);
    steps.forEach((row, c) => {
      expect(new Set(row)).toEqual(new Set([m.postWarmupState!.chains[c]!.stepSize]));
    });
    expect(m.lastState!.rngKey).toEqual({ hi: 0, lo: 99 });
  });

  it("a resumed run with a new key samples the exact conjugate posterior (distributional check)", async () => {
    const m = new MCMC(makeNuts(), opts(1000));
    m.postWarmupState = firstHalf.lastState;
    await m.run(key(1234));
    const s = m.getSamples(true);
    const { muMean, muVar, lamShape: a, lamRate: b } = POSTERIOR;
    for (const [name, mean, variance] of [
      ["mu", muMean, muVar],
      ["lam", a / b, a / b ** 2],
    ] as const) {
      const chains = perChain(s[name]!);
      const all = chains.flat();
      const mHat = all.reduce((p, q) => p + q, 0) / all.length;
      const vHat = all.reduce((p, q) => p + (q - mHat) ** 2, 0) / (all.length - 1);
      const ess = effectiveSampleSize(chains.map((c) => Float64Array.from(c)));
      const ess2 = effectiveSampleSize(chains.map((c) => Float64Array.from(c, (x) => (x - mean) ** 2)));
      expect(ess).toBeGreaterThan(300);
      expect(Math.abs(mHat - mean) / Math.sqrt(variance / ess)).toBeLessThan(4);
      expect(Math.abs(vHat - variance) / (variance * Math.sqrt(2 / ess2))).toBeLessThan(5);
    }
  });

  it("setting postWarmupState to undefined warms up again", async () => {
    const m = new MCMC(makeNuts(), opts(200));
    m.postWarmupState = firstHalf.lastState;
    m.postWarmupState = undefined;
    await m.run(key(21));
    expect(grouped(m.getSamples(true))).toEqual(fullSamples);
  });

  it("rejects states that do not fit, with clear errors", async () => {
    const st = firstHalf.lastState!;
    const one = new MCMC(makeNuts(), { numWarmup: 10, numSamples: 10, ...quiet });
    expect(() => {
      one.postWarmupState = st;
    }).toThrow(/2 chain states, this MCMC runs 1 chains/);
    const pot = new MCMC(new NUTS({ potentialFnGrad: () => 0, dim: 3 }), opts(10));
    pot.postWarmupState = st;
    await expect(pot.run(st.rngKey)).rejects.toThrow(/z has 2 entries, the model has 3/);
    const m = new MCMC(makeNuts(), opts(10));
    m.postWarmupState = st;
    await expect(m.runWith(key(1), { initParams: [0, 0] })).rejects.toThrow(/initParams cannot be combined/);
    const bad = JSON.parse(JSON.stringify(st)) as MCMCState;
    bad.chains[1]!.inverseMassMatrix.pop();
    m.postWarmupState = bad;
    await expect(m.run(st.rngKey)).rejects.toThrow(/inverseMassMatrix has 1 entries, expected 2/);
    expect(() => {
      m.postWarmupState = { ...st, rngKey: { hi: 0.5, lo: 0 } };
    }).toThrow(/uint32/);
  });
});
