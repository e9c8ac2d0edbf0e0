import { deterministic, flushChecks, key, liveBuffers, sample, type Tensor, tensor } from "@scribe/core";
import { Normal } from "@scribe/distributions";
import { effectiveSampleSize, MCMC, NUTS } from "@scribe/infer";
import { prewarmMcmcWorkers } from "@scribe/infer/node";
import { describe, expect, it } from "vitest";
import { COUNTS, makeNuts, modelCalls, POSTERIOR, X, Y } from "./mcmc-model-kernels.js";

const arr = (t: Tensor): number[] => Array.from(t.dataSync());

/** Standardized errors (in Monte Carlo standard errors) of the mean and variance of per-chain draws. */
function mcErrors(chains: number[][], mean: number, variance: number) {
  const all = chains.flat();
  const m = all.reduce((a, b) => a + b, 0) / all.length;
  const v = all.reduce((a, b) => a + (b - m) ** 2, 0) / (all.length - 1);
  const ess = effectiveSampleSize(chains.map((c) => Float64Array.from(c)));
  const ess2 = effectiveSampleSize(chains.map((c) => Float64Array.from(c, (x) => (x - mean) ** 2)));
  return {
    meanErr: (m - mean) / Math.sqrt(variance / ess),
    varErr: (v - variance) / (variance * Math.sqrt(2 / ess2)),
  };
}

/** ψ(x) and ψ'(x) for large x by their asymptotic series (x = 32 here: error < 1e-15). */
const digamma = (x: number) =>
  Math.log(x) - 1 / (2 * x) - 1 / (12 * x ** 2) + 1 / (120 * x ** 4) - 1 / (252 * x ** 6);
const trigamma = (x: number) =>
  1 / x + 1 / (2 * x ** 2) + 1 / (6 * x ** 3) - 1 / (30 * x ** 5) + 1 / (42 * x ** 7);

describe("MCMC deterministic sites", () => {
  const C = 2;
  const N = 600;
  let mcmc: MCMC;
  let s: Record<string, Tensor>;

  it("appear in getSamples in the model's order, with the draws first, grouped by chain or not", async () => {
    mcmc = new MCMC(makeNuts(), { numWarmup: 300, numSamples: N, numChains: C, progressBar: false });
    await mcmc.run(key(3));
    s = mcmc.getSamples();
    expect(Object.keys(s)).toEqual(["mu", "muAffine", "lam", "lin", "logLam", "resid"]);
    expect(s.mu!.shape).toEqual([C * N]);
    expect(s.muAffine!.shape).toEqual([C * N]);
    expect(s.lin!.shape).toEqual([C * N, 3]);
    expect(s.logLam!.shape).toEqual([C * N]);
    expect(s.resid!.shape).toEqual([C * N, 10]);
    const g = mcmc.getSamples(true);
    expect(g.lin!.shape).toEqual([C, N, 3]);
    expect(g.resid!.shape).toEqual([C, N, 10]);
    // Grouped and flat hold the same numbers in the same order (chain-major).
    for (const name of Object.keys(s)) expect(arr(g[name]!)).toEqual(arr(s[name]!));
    const sites = mcmc.getSiteDraws();
    expect(sites.map((d) => d.name)).toEqual(Object.keys(s));
    expect(sites.find((d) => d.name === "lin")!.chains.map((c) => c.length)).toEqual([N * 3, N * 3]);
  });

  it("equal the values recomputed by hand from the returned latent draws", () => {
    const mu = arr(s.mu!);
    const lam = arr(s.lam!);
    const muAffine = arr(s.muAffine!);
    const lin = arr(s.lin!);
    const logLam = arr(s.logLam!);
    const resid = arr(s.resid!);
    // Draws differ from each other (the sites are not stuck at one value).
    expect(new Set(muAffine).size).toBeGreaterThan(C * N * 0.3);
    let worst = 0;
    const close = (got: number, want: number) => {
      worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
    };
    for (let i = 0; i < C * N; i++) {
      close(muAffine[i]!, 3 * mu[i]! - 1);
      close(logLam[i]!, Math.log(lam[i]!));
      X.forEach((xj, j) => {
        close(lin[i * 3 + j]!, mu[i]! + lam[i]! * xj);
      });
      Y.forEach((yj, j) => {
        close(resid[i * 10 + j]!, yj - mu[i]!);
      });
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it("have the moments of the exact conjugate posterior", () => {
    const { muMean, muVar, lamShape: a, lamRate: b } = POSTERIOR;
    const byChain = (name: string, width = 1, j = 0) => {
      const flat = arr(s[name]!);
      return Array.from({ length: C }, (_, c) =>
        Array.from({ length: N }, (_, i) => flat[(c * N + i) * width + j]!),
      );
    };
    const checks = [
      mcErrors(byChain("muAffine"), 3 * muMean - 1, 9 * muVar),
      mcErrors(byChain("logLam"), digamma(a) - Math.log(b), trigamma(a)),
      // mu and lam are independent a posteriori: Var(mu + lam·x) = Var mu + x² Var lam.
      ...X.map((xj, j) =>
        mcErrors(byChain("lin", 3, j), muMean + (a / b) * xj, muVar + (xj * xj * a) / b ** 2),
      ),
      mcErrors(byChain("resid", 10, 4), Y[4]! - muMean, muVar),
    ];
    for (const e of checks) {
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(5);
    }
    // Sanity of the data behind POSTERIOR.
    expect(a).toBe(2 + COUNTS.reduce((p, q) => p + q, 0));
  });

  it("are left out of the summary by default, as in NumPyro's print_summary", () => {
    expect(mcmc.summary().map((r) => r.name)).toEqual(["mu", "lam"]);
    const all = mcmc.summary(0.89, false).map((r) => r.name);
    expect(all.slice(0, 6)).toEqual(["mu", "muAffine", "lam", "lin[0]", "lin[1]", "lin[2]"]);
    expect(all).toContain("logLam");
    expect(all).toContain("resid[9]");
    expect(all.length).toBe(2 + 1 + 3 + 1 + 10);
  });

  it("are computed once per kept draw, outside the sampler, which they leave unchanged", async () => {
    const opts = { numWarmup: 100, numSamples: 50, numChains: 2, thinning: 3, progressBar: false } as const;
    const go = async (plain: boolean) => {
      const kernel = makeNuts(plain);
      let constrainCalls = 0;
      const setup = kernel.setup.bind(kernel);
      kernel.setup = (...a) => {
        const st = setup(...a);
        return {
          ...st,
          constrainAsync: (positions: Float64Array, n: number) => {
            constrainCalls += n;
            return st.constrainAsync(positions, n);
          },
        };
      };
      const before = modelCalls.n;
      const m = new MCMC(kernel, opts);
      await m.run(key(5));
      return { m, constrainCalls, modelCalls: modelCalls.n - before };
    };
    const plain = await go(true);
    const det = await go(false);
    // Only kept draws are post-processed (numSamples per chain, not numSamples × thinning).
    expect(det.constrainCalls).toBe(opts.numChains * opts.numSamples);
    // The potential and the post-processing are jit replays: the model itself runs only to
    // be traced and recorded, never once per leapfrog step or per draw.
    expect(plain.modelCalls).toBeLessThan(5);
    expect(det.modelCalls - plain.modelCalls).toBeLessThanOrEqual(1);
    // Deterministic sites do not touch the potential: same draws, same trajectories, bit for bit.
    expect(Array.from(det.m.chainResults[1]!.positions)).toEqual(
      Array.from(plain.m.chainResults[1]!.positions),
    );
    expect(arr(det.m.getExtraFields().numSteps)).toEqual(arr(plain.m.getExtraFields().numSteps));
    expect(arr(det.m.getSamples().lam!)).toEqual(arr(plain.m.getSamples().lam!));
  });

  it("are computed on worker threads for parallel chains, matching the sequential run", async () => {
    const spec = {
      module: new URL("./mcmc-model-kernels.ts", import.meta.url).href,
      exportName: "makeNuts",
    };
    const opts = { numWarmup: 60, numSamples: 40, numChains: 2, progressBar: false } as const;
    // A loaded worker in the pool takes chain 0 at once; this thread runs the other chain (a
    // cold worker would still be loading when this thread had run both).
    await prewarmMcmcWorkers(1, spec);
    const par = new MCMC(makeNuts(), { ...opts, chainMethod: "parallel", kernelModule: spec });
    const before = modelCalls.n;
    await par.run(key(11));
    const parCalls = modelCalls.n - before;
    const seq = new MCMC(makeNuts(), opts);
    const seqBefore = modelCalls.n;
    await seq.run(key(11));
    // This thread traces the model as a sequential run does (site list, processing the draws
    // of the chain it ran); the worker processed its chain's draws, compared below.
    expect(parCalls).toBe(modelCalls.n - seqBefore);
    const a = par.getSamples(true);
    const b = seq.getSamples(true);
    expect(Object.keys(a)).toEqual(["mu", "muAffine", "lam", "lin", "logLam", "resid"]);
    for (const name of Object.keys(b)) expect(arr(a[name]!)).toEqual(arr(b[name]!));
    const mu = arr(a.mu!);
    arr(a.muAffine!).forEach((v, i) => {
      expect(v).toBeCloseTo(3 * mu[i]! - 1, 12);
    });
  }, 180_000);

  it("may be bool or int, or be a latent value or a data tensor itself", async () => {
    const data = tensor([0.5, -1, 2], { dtype: "float64" });
    const model = () => {
      const mu = sample("mu", new Normal(0, 1));
      deterministic("same", mu); // the substituted latent value itself
      deterministic("data", data); // a tensor the model closes over
      deterministic("positive", mu.gt(0)); // bool
      deterministic("argmax", mu.mul(data).argmax()); // int32
    };
    const m = new MCMC(new NUTS({ model }), { numWarmup: 100, numSamples: 200, progressBar: false });
    await m.run(key(2));
    const s = m.getSamples();
    const mu = arr(s.mu!);
    expect(arr(s.same!)).toEqual(mu);
    expect(s.data!.shape).toEqual([200, 3]);
    expect(arr(s.data!)).toEqual(mu.flatMap(() => [0.5, -1, 2]));
    expect(arr(s.positive!)).toEqual(mu.map((v) => (v > 0 ? 1 : 0)));
    expect(arr(s.argmax!)).toEqual(mu.map((v) => (v > 0 ? 2 : 1)));
    // The data tensor is still alive and unchanged after the run.
    expect(arr(data)).toEqual([0.5, -1, 2]);
  });

  it("leave nothing behind: no recorded programs, no prototype-trace buffers", async () => {
    const go = async () => {
      const m = new MCMC(makeNuts(), { numWarmup: 30, numSamples: 30, progressBar: false });
      await m.run(key(6));
      return m.chainResults[0]!.siteValues;
    };
    const a = await go();
    let before = liveBuffers();
    const b = await go();
    const runGrowth = liveBuffers() - before;
    before = liveBuffers();
    makeNuts().setup([]); // traces the model once (in a scope), records nothing
    // Its argument checks wait for the next read (MCMC.run awaits them right after setup).
    await flushChecks();
    const setupGrowth = liveBuffers() - before;
    expect(setupGrowth).toBe(0);
    expect(runGrowth).toBe(0);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
