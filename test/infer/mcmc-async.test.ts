// MCMC.run is really asynchronous (issue 12): it returns before any work, gives the event loop
// turns while it samples, can be aborted, and refuses to be read while in flight. A model's
// potential is read with one `await` of one packed [U, ∇U] buffer per leapfrog step, on every
// backend (the cpu included); here that path is checked against the driver's synchronous path
// fed by a synchronous evaluation of the same potential, written in this test (the cpu reads
// back synchronously; library code never does): same key, same float64 arithmetic, so the draws
// must agree bit for bit.
import { dataSync, key, plate, sample, scope, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { Normal } from "@scribe/distributions";
import {
  latentLayout,
  MCMC,
  type MCMCKernel,
  type ModelFn,
  modelPotentialEnergy,
  NUTS,
  type PotentialGradFn,
  type SamplerSetup,
  tensorPotentialAsync,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { conjugateModel, makeDenseHmc, makeNuts } from "./mcmc-model-kernels.js";

const gauss: PotentialGradFn = (x, g) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    g[i] = x[i]!;
    s += 0.5 * x[i]! ** 2;
  }
  return s;
};

/** A Gaussian potential that spins ~0.2 ms per evaluation (a run then takes long enough to yield). */
const slowGauss: PotentialGradFn = (x, g) => {
  const t = performance.now();
  while (performance.now() - t < 0.2) {}
  return gauss(x, g);
};

/**
 * The potential of `model` (no arguments) evaluated eagerly and read synchronously on the cpu:
 * an independent route to the numbers the library's awaited, recorded (`jit`) potential gives.
 */
function syncModelPotential(model: ModelFn): PotentialGradFn {
  const layout = latentLayout(model, []);
  const vg = valueAndGrad((us: Tensor[]) => modelPotentialEnergy(model, [], layout, us));
  return (z, g) =>
    scope(() => {
      const us = layout.map((l) =>
        tensor(Array.from(z.subarray(l.offset, l.offset + l.size)), { dtype: "float64" }).reshape([
          ...l.unconstrainedShape,
        ]),
      );
      const [v, grads] = vg(us);
      grads.forEach((gt, i) => {
        g.set(dataSync(gt), layout[i]!.offset);
      });
      return dataSync(v)[0]!;
    });
}

/** `kernel` on `model` fed the synchronous potential above: the driver's no-await path. */
function withSyncPotential(kernel: MCMCKernel, model: ModelFn): MCMCKernel {
  const potential = syncModelPotential(model);
  return {
    options: kernel.options,
    createChain: kernel.createChain.bind(kernel),
    setup: (args, init): SamplerSetup => ({ ...kernel.setup(args, init), potential }),
  };
}

const quiet = { progressBar: false } as const;

describe("MCMC.run is asynchronous", () => {
  it("returns before sampling; reading or running again while in flight is a clear error", async () => {
    const m = new MCMC(new NUTS({ potentialFnGrad: gauss, dim: 2 }), {
      numWarmup: 50,
      numSamples: 40,
      ...quiet,
    });
    expect(() => m.getSamples()).toThrow(/no samples yet: call \(and await\) run\(\) first/);
    let iterations = 0;
    const withCount = new MCMC(new NUTS({ potentialFnGrad: gauss, dim: 2 }), {
      numWarmup: 50,
      numSamples: 40,
      ...quiet,
      onProgress: () => iterations++,
    });
    const pending = withCount.run(key(0)); // a forgotten await
    expect(iterations).toBe(0); // nothing ran yet: the work starts on a later turn of the event loop
    expect(() => withCount.getSamples()).toThrow(/run\(\) is still in flight.*await mcmc\.run\(\.\.\.\)/);
    expect(() => withCount.summary()).toThrow(/still in flight/);
    await expect(withCount.run(key(1))).rejects.toThrow(/run\(\) called while run\(\) is still in flight/);
    await pending;
    expect(iterations).toBe(90);
    expect(withCount.getSamples().params!.shape).toEqual([40, 2]);
  });

  it("gives the event loop turns while a long run samples on the cpu", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const atIteration: number[] = [];
    const m = new MCMC(new NUTS({ potentialFnGrad: slowGauss, dim: 3 }), {
      numWarmup: 60,
      numSamples: 60,
      ...quiet,
      onProgress: () => atIteration.push(ticks),
    });
    try {
      await m.run(key(2));
    } finally {
      clearInterval(timer);
    }
    // ≥ 500 evaluations of 0.2 ms: the run lasts > 100 ms, so the 1 ms timer fired in between.
    expect(atIteration.at(-1)! - atIteration[0]!).toBeGreaterThan(0);
  });

  it("stops between iterations when its signal aborts, keeping the earlier run's samples", async () => {
    const m = new MCMC(new NUTS({ potentialFnGrad: gauss, dim: 2 }), {
      numWarmup: 30,
      numSamples: 30,
      ...quiet,
    });
    await m.run(key(3));
    const before = Array.from(m.chainResults[0]!.positions);
    const ctl = new AbortController();
    let seen = 0;
    const aborting = new MCMC(new NUTS({ potentialFnGrad: gauss, dim: 2 }), {
      numWarmup: 30,
      numSamples: 30,
      numChains: 2,
      ...quiet,
      onProgress: (p) => {
        seen = p.iteration;
        if (p.chain === 1 && p.iteration === 12) ctl.abort();
      },
    });
    await expect(aborting.runWith(key(4), { signal: ctl.signal })).rejects.toThrow(
      /MCMC: run aborted in chain 1 after iteration 12 of 60/,
    );
    expect(seen).toBe(12);
    expect(() => aborting.getSamples()).toThrow(/no samples yet/);
    // A signal aborted before the call stops the run before it starts; other runs are untouched.
    await expect(m.runWith(key(5), { signal: AbortSignal.abort() })).rejects.toThrow(
      /aborted before it started/,
    );
    expect(Array.from(m.chainResults[0]!.positions)).toEqual(before);
  });
});

describe("the awaited model potential (every backend) equals a synchronous evaluation on the cpu", () => {
  it("NUTS on a model with constrained and deterministic sites: same draws, same statistics, bit for bit", async () => {
    // bit-for-bit agreement: a few dozen iterations per chain show a difference as well as hundreds
    const opts = { numWarmup: 30, numSamples: 20, numChains: 2, thinning: 2, ...quiet } as const;
    const sync = new MCMC(withSyncPotential(makeNuts(), conjugateModel), opts);
    await sync.run(key(8));
    const async_ = new MCMC(makeNuts(), opts);
    await async_.run(key(8));
    for (let c = 0; c < 2; c++) {
      expect(Array.from(async_.chainResults[c]!.positions)).toEqual(
        Array.from(sync.chainResults[c]!.positions),
      );
      // Deterministic sites (lin, resid, ...) from the batched asynchronous post-processing.
      expect(Array.from(async_.chainResults[c]!.siteValues)).toEqual(
        Array.from(sync.chainResults[c]!.siteValues),
      );
      expect(async_.chainResults[c]!.stepSize).toBe(sync.chainResults[c]!.stepSize);
    }
    expect(Array.from(async_.getExtraFields().numSteps.dataSync())).toEqual(
      Array.from(sync.getExtraFields().numSteps.dataSync()),
    );
    expect(Object.keys(async_.getSamples())).toEqual(["mu", "muAffine", "lam", "lin", "logLam", "resid"]);
  });

  it("static HMC with a dense mass matrix, resumed from its state: bit for bit", async () => {
    const opts = { numWarmup: 20, numSamples: 10, ...quiet } as const;
    const sync = new MCMC(withSyncPotential(makeDenseHmc(), conjugateModel), opts);
    await sync.run(key(9));
    const async_ = new MCMC(makeDenseHmc(), opts);
    await async_.run(key(9));
    expect(Array.from(async_.chainResults[0]!.positions)).toEqual(
      Array.from(sync.chainResults[0]!.positions),
    );
    async_.postWarmupState = async_.lastState;
    sync.postWarmupState = sync.lastState;
    await async_.run(async_.lastState!.rngKey);
    await sync.run(sync.lastState!.rngKey);
    expect(Array.from(async_.chainResults[0]!.positions)).toEqual(
      Array.from(sync.chainResults[0]!.positions),
    );
  });

  it("tensorPotentialAsync packs the energy and gradient into one read", async () => {
    const fn = (x: Tensor) => x.square().sum().mul(0.5).add(x.sum().exp());
    const x = new Float64Array([0.3, -1.2, 0.7]);
    const g = new Float64Array(3);
    const u = await tensorPotentialAsync(fn)(x, g);
    // Closed form: U = ½|x|² + e^{Σx}, ∇U = x + e^{Σx} (float64: 1e-12).
    const e = Math.exp(-0.2);
    expect(u).toBeCloseTo(0.5 * (0.09 + 1.44 + 0.49) + e, 12);
    g.forEach((v, i) => {
      expect(v).toBeCloseTo(x[i]! + e, 12);
    });
  });

  it("an invalid parameter in the model rejects the run with the site's name before sampling", async () => {
    const bad = () => {
      const mu = sample("mu", new Normal(0, 1));
      plate("N", 3, () => sample("y", new Normal(mu, tensor([1, -1, 1])), { obs: tensor([0, 1, 2]) }));
    };
    let iterations = 0;
    const m = new MCMC(new NUTS({ model: bad }), {
      numWarmup: 5,
      numSamples: 5,
      ...quiet,
      onProgress: () => iterations++,
    });
    await expect(m.run(key(0))).rejects.toThrow(/site 'y'.*scale/);
    expect(iterations).toBe(0);
    // The conjugate model itself is valid (a control for the check above).
    const ok = new MCMC(new NUTS({ model: conjugateModel }), { numWarmup: 5, numSamples: 5, ...quiet });
    await ok.run(key(0));
  });
});
