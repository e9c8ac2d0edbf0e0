// Issue 22, items 1, 4 and 9: the NumPyro snippets that did not port, each first as it failed.
// Values are checked against closed forms (Normal conjugacy, substituted constants).
import { condition, key, plate, sample, seed, substitute, type Tensor, tensor, trace } from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { AutoNormal, adam, HMC, MCMC, NUTS, Predictive, SVI, TraceELBO } from "@scribe/infer";
import { prewarmMcmcWorkers } from "@scribe/infer/node";
import { afterEach, describe, expect, it, vi } from "vitest";

// The regression y ~ Normal(b·x, 1), b ~ Normal(0, 1), from the item 1.
const regression = (x: Tensor, y: Tensor | null) => {
  const b = sample("b", new Normal(0, 1));
  plate("N", x.shape[0]!, () => sample("y", new Normal(x.mul(b), 1), { obs: y }));
};

describe("item 1: Predictive with a guide at a new data size", () => {
  it("draws the global latent from the guide and the local sites at the model's size", async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([2.1, 3.9, 6.2, 7.8]);
    const guide = new AutoNormal(regression);
    const { params } = await new SVI(regression, guide, adam(0.05), new TraceELBO()).run(key(0), 300, [x, y]);
    const pred = new Predictive(regression, { guide, params, numSamples: 1000, returnSites: ["b", "y"] });
    const out = pred.call(key(1), tensor([5, 6]), null);
    expect(out.y!.shape).toEqual([1000, 2]);
    const bs = await out.b!.data();
    const ys = await out.y!.data();
    // b comes from the guide: Normal(loc, scale) with SVI's params (sample moments within
    // 4 standard errors); y is drawn at the new x given that b, so y_i − x_i·b ~ Normal(0, 1).
    const loc = (await params.b_auto_loc!.data())[0]!;
    const scale = (await params.b_auto_scale!.data())[0]!;
    const n = 1000;
    const mean = (f: (i: number) => number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += f(i) / n;
      return s;
    };
    const mb = mean((i) => bs[i]!);
    expect(Math.abs(mb - loc)).toBeLessThan((4 * scale) / Math.sqrt(n));
    for (const [j, xj] of [
      [0, 5],
      [1, 6],
    ] as const) {
      const r = (i: number) => ys[2 * i + j]! - xj * bs[i]!;
      const mr = mean(r);
      const vr = mean((i) => (r(i) - mr) ** 2);
      expect(Math.abs(mr)).toBeLessThan(4 / Math.sqrt(n));
      expect(Math.abs(vr - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    }
    // And the guide fits the closed-form posterior N(59.9/31, 1/31) loosely (SVI noise).
    expect(Math.abs(loc - 59.9 / 31)).toBeLessThan(0.3);
  }, 120_000);

  it("substitutes the guide's local sites when the plate has the guide's size", () => {
    const local = (n: number) => {
      const mu = sample("mu", new Normal(0, 1));
      plate("N", n, () => sample("z", new Normal(mu, 1)));
    };
    const guide = (n: number) => {
      sample("mu", new Normal(3, 0.001));
      plate("N", n, () => sample("z", new Normal(10, 0.001)));
    };
    const same = new Predictive(local, { guide, numSamples: 3, returnSites: ["z"] }).call(key(2), 4);
    const zs = Array.from(same.z!.dataSync());
    for (const z of zs) expect(Math.abs(z - 10)).toBeLessThan(0.01);
    // At size 6 the guide's z (size 6 too, since the guide takes n) still fits: substituted.
    // Only a guide whose plate size differs from the model's loses its local sites.
    const fixedGuide = () => {
      sample("mu", new Normal(3, 0.001));
      plate("N", 4, () => sample("z", new Normal(10, 0.001)));
    };
    const other = new Predictive(local, { guide: fixedGuide, numSamples: 400 }).call(key(3), 6);
    expect(other.z!.shape).toEqual([400, 6]);
    // z re-drawn from Normal(mu ≈ 3, 1): mean 3, not 10.
    const v = Array.from(other.z!.dataSync());
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean - 3)).toBeLessThan(0.15);
  });
});

describe("item 4: substitute and condition take plain numbers", () => {
  it("substitute(m, { a: 0.5 })", () => {
    const m = () => {
      const a = sample("a", new Normal(0, 1));
      return a.mul(2);
    };
    expect(substitute(m, { a: 0.5 })().item()).toBe(1);
    const tr = trace(substitute(m, { a: 0.5 })).getTrace();
    expect(tr.get("a")!.value!.shape).toEqual([]);
    expect(substitute(m, new Map([["a", 1.5]]))().item()).toBe(3);
    // A function may return a number too.
    expect(substitute(m, () => 2)().item()).toBe(4);
  });

  it("condition(m, { y: 0.5 }) observes at a number, scored by the distribution", () => {
    const m = () => {
      const z = sample("z", new Normal(0, 1));
      return sample("y", new Normal(z, 1));
    };
    const tr = trace(seed(condition(m, { y: 0.5 }), 0)).getTrace();
    const y = tr.get("y") as { value: Tensor; isObserved: boolean };
    expect(y.isObserved).toBe(true);
    expect(y.value.item()).toBe(0.5);
  });

  it("rejects a value that is neither a tensor nor a number, naming the site", () => {
    const m = () => sample("a", new Normal(0, 1));
    expect(() => substitute(m, { a: "x" as unknown as number })()).toThrow(/'a'/);
  });
});

describe("item 9: NumPyro's positional forms", () => {
  const model = (y: Tensor) => {
    const mu = sample("mu", new Normal(0, 10));
    plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
  };
  const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);

  it("new NUTS(model) and new NUTS(model, opts) equal new NUTS({ model })", async () => {
    const run = async (kernel: NUTS) => {
      const mcmc = new MCMC(kernel, { numWarmup: 50, numSamples: 50, progressBar: false });
      await mcmc.run(key(4), y);
      return Array.from(await mcmc.getSamples().mu!.data());
    };
    const a = await run(new NUTS(model));
    const b = await run(new NUTS({ model }));
    const c = await run(new NUTS(model, { targetAcceptProb: 0.8 }));
    expect(a).toEqual(b);
    expect(c).toEqual(b);
    expect(() => new NUTS(model, { model } as never)).toThrow(/exactly one/);
  });

  it("new HMC(model, opts) equals new HMC({ model, ...opts })", async () => {
    const run = async (kernel: HMC) => {
      const mcmc = new MCMC(kernel, { numWarmup: 30, numSamples: 30, progressBar: false });
      await mcmc.run(key(5), y);
      return Array.from(await mcmc.getSamples().mu!.data());
    };
    expect(await run(new HMC(model, { numSteps: 5 }))).toEqual(await run(new HMC({ model, numSteps: 5 })));
  });

  it("new Predictive(model, posteriorSamples, opts?) as NumPyro's Predictive(model, posterior_samples)", () => {
    const samples = { mu: tensor([0, 100, -100]) };
    expect(new Predictive(model, samples).numSamples).toBe(3);
    expect(() => new Predictive(model, samples, { posteriorSamples: samples } as never)).toThrow(/twice/);
    const pm = (yy: Tensor | null) => {
      const mu = sample("mu", new Normal(0, 10));
      return plate("N", 2, () => sample("y", new Normal(mu, 1), { obs: yy }));
    };
    const p1 = new Predictive(pm, samples, { returnSites: ["y"] }).call(key(6), null);
    const p2 = new Predictive(pm, { posteriorSamples: samples, returnSites: ["y"] }).call(key(6), null);
    expect(Array.from(p1.y!.dataSync())).toEqual(Array.from(p2.y!.dataSync()));
    const row = Array.from(p1.y!.dataSync());
    expect(Math.abs(row[2]! - 100)).toBeLessThan(6);
    expect(Math.abs(row[4]! + 100)).toBeLessThan(6);
  });
});

describe("item 7: printSummary options, Tensor.std/var, obsMask under NUTS", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const model = (y: Tensor) => {
    const mu = sample("mu", new Normal(0, 10));
    plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
  };

  it("printSummary({ prob, excludeDeterministic }) with NumPyro's default 0.9; positional still works", async () => {
    const mcmc = new MCMC(new NUTS(model), { numWarmup: 50, numSamples: 100, progressBar: false });
    await mcmc.run(key(7), tensor([1, 2, 3]));
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((m: string) => {
      lines.push(m);
    });
    mcmc.printSummary();
    mcmc.printSummary({ prob: 0.5 });
    mcmc.printSummary(0.89, false);
    expect(lines[0]).toMatch(/5\.0%/);
    expect(lines[0]).toMatch(/95\.0%/);
    expect(lines[1]).toMatch(/25\.0%/);
    expect(lines[2]).toMatch(/5\.5%/);
    // The default is the 0.9 HPDI: the same rows as asking for it.
    expect(mcmc.summary()).toEqual(mcmc.summary({ prob: 0.9 }));
    expect(mcmc.summary()).not.toEqual(mcmc.summary({ prob: 0.89 }));
    expect(() => mcmc.summary({ prob: 1.5 })).toThrow(/prob/);
  });

  it("Tensor.std() and var() with ddof and axes equal a float64 computation", async () => {
    const rows = [
      [1.5, -2.25, 3.125, 0.5],
      [10, 20, 40, 80],
      [1e-3, 2e-3, -5e-3, 7e-3],
    ];
    const x = tensor(rows, { dtype: "float64" });
    // Two-pass float64 reference, written out here (not through the ops).
    const ref = (v: number[], ddof: number) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - ddof);
    };
    const all = rows.flat();
    expect(x.var().item()).toBeCloseTo(ref(all, 0), 12);
    expect(x.std().item()).toBeCloseTo(Math.sqrt(ref(all, 0)), 12);
    expect(x.std(undefined, { ddof: 1 }).item()).toBeCloseTo(Math.sqrt(ref(all, 1)), 12);
    const byRow = Array.from(await x.var(1, { ddof: 1 }).data());
    rows.forEach((r, i) => {
      expect(byRow[i]!).toBeCloseTo(ref(r, 1), 12);
    });
    const byCol = x.std(0, { keepdims: true });
    expect(byCol.shape).toEqual([1, 4]);
    const cols = Array.from(await byCol.data());
    for (let j = 0; j < 4; j++)
      expect(cols[j]!).toBeCloseTo(
        Math.sqrt(
          ref(
            rows.map((r) => r[j]!),
            0,
          ),
        ),
        12,
      );
    // float32: relative 1e-6 of the float64 value.
    const x32 = tensor(rows);
    expect(Math.abs(x32.std().item() / Math.sqrt(ref(all, 0)) - 1)).toBeLessThan(1e-6);
  });

  it("obsMask under NUTS runs as in NumPyro and warns once, naming the site", async () => {
    const masked = (y: Tensor, m: Tensor) => {
      const mu = sample("mu", new Normal(0, 10));
      plate("N", 4, () => sample("y", new Normal(mu, 1), { obs: y, obsMask: m }));
    };
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((m: string) => {
      warnings.push(m);
    });
    const args = [tensor([1, 2, 0, 3]), tensor([true, true, false, true])];
    for (let r = 0; r < 2; r++) {
      const mcmc = new MCMC(new NUTS(masked), { numWarmup: 20, numSamples: 20, progressBar: false });
      await mcmc.run(key(8), ...args);
      expect(mcmc.getSamples().y_unobserved!.shape).toEqual([20, 4]);
    }
    const ours = warnings.filter((w) => w.includes("obsMask"));
    expect(ours.length).toBe(1);
    expect(ours[0]).toMatch(/site 'y'/);
  });
});

describe("item 8: MCMC resumes mid-warmup", () => {
  // Eight schools, non-centred (a warmup with several mass-matrix windows to resume inside).
  const y = tensor([28, 8, -3, 7, -1, 1, 18, 12]);
  const sigma = tensor([15, 10, 16, 11, 9, 11, 10, 18]);
  const eightSchools = (yy: Tensor, s: Tensor) => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("J", 8, () => {
      const eta = sample("eta", new Normal(0, 1));
      sample("obs", new Normal(mu.add(tau.mul(eta)), s), { obs: yy });
    });
  };

  // 100 warmup iterations adapt in windows [0, 14] (fast), [15, 89] (slow, the mass matrix),
  // [90, 99] (fast): 50 stops inside the slow window, 90 right after its mass-matrix update
  for (const [label, stop, dense] of [
    ["warmup 100 = 50 + resume 50 (inside a slow window)", 50, false],
    ["stopping at a window boundary, dense mass matrix", 90, true],
  ] as const)
    it(label, async () => {
      const opts = { numWarmup: 100, numSamples: 30, numChains: 2, progressBar: false };
      const kernel = () => new NUTS(eightSchools, { denseMass: dense });
      const whole = new MCMC(kernel(), opts);
      await whole.run(key(11), y, sigma);
      const a = whole.getSamples(true);

      const first = new MCMC(kernel(), opts);
      await first.warmupWith(key(11), { args: [y, sigma], stopAfter: stop });
      const saved = JSON.stringify(first.postWarmupState);
      const st = JSON.parse(saved);
      expect(st.chains[0].iteration).toBe(stop);
      expect(st.chains[0].warmup.numWarmup).toBe(100);
      const second = new MCMC(kernel(), opts);
      second.postWarmupState = st;
      await second.run(st.rngKey, y, sigma);
      const b = second.getSamples(true);
      for (const k of ["mu", "tau", "eta"])
        expect(Array.from(await b[k]!.data())).toEqual(Array.from(await a[k]!.data()));
      expect(second.chainResults.map((r) => r.stepSize)).toEqual(whole.chainResults.map((r) => r.stepSize));
      // A state after warmup carries no adaptation statistics.
      expect(second.lastState!.chains[0]!.warmup).toBeUndefined();
    }, 120_000);

  it("rejects stopAfter outside [1, numWarmup]", async () => {
    const m = new MCMC(new NUTS(eightSchools), { numWarmup: 20, numSamples: 5, progressBar: false });
    await expect(m.warmupWith(key(0), { args: [y, sigma], stopAfter: 21 })).rejects.toThrow(/stopAfter/);
  });
});

describe("item 5: parallel chains with Tensor model arguments", () => {
  it("equal the sequential chains draw for draw", async () => {
    const { eightSchoolsKernel } = await import("./numpyro-parity-kernels.js");
    const y = tensor([28, 8, -3, 7, -1, 1, 18, 12]);
    const sigma = tensor([15, 10, 16, 11, 9, 11, 10, 18]);
    const opts = { numWarmup: 40, numSamples: 20, numChains: 2, progressBar: false };
    const seq = new MCMC(eightSchoolsKernel(), opts);
    await seq.run(key(3), y, sigma);
    const spec = {
      module: new URL("./numpyro-parity-kernels.ts", import.meta.url).href,
      exportName: "eightSchoolsKernel",
    };
    // a loaded worker takes a chain at once (a cold one would still be loading when this
    // thread had run every chain itself, and the worker path would go untested)
    await prewarmMcmcWorkers(1, spec);
    const par = new MCMC(eightSchoolsKernel(), { ...opts, chainMethod: "parallel", kernelModule: spec });
    await par.run(key(3), y, sigma);
    const a = seq.getSamples(true);
    const b = par.getSamples(true);
    for (const k of ["mu", "tau", "eta"])
      expect(Array.from(await b[k]!.data())).toEqual(Array.from(await a[k]!.data()));
  }, 120_000);
});
