// Issue 12: algorithm code never reads back synchronously. On the cpu backend the tensor's
// synchronous readers (`dataSync`, `item`, `toArray`: every library route to a synchronous
// value goes through one of them) are replaced by spies that throw, then the inference entry
// points run end to end: NUTS on eight schools, SVI with AutoNormal, AutoLowRank and
// AutoLaplace (init, steps, posterior draws), Predictive, `fit()` for nbdm, nbvcp, zinbvcp and
// twostate, and the results' summaries, MAP, quantiles and JSON. Each must finish: a sync read
// on any of these paths is a call that would stop the same run on WebGPU (which has no
// synchronous reads at all). Values are checked too, against independent numbers (closed
// forms or the same computation with the spies off), so a path that "finishes" by skipping
// its work fails.
import { type Backend, cpuBackend, key, plate, sample, Tensor, tensor, withBackend } from "@scribe/core";
import { HalfCauchy, LogNormal, Normal } from "@scribe/distributions";
import {
  AutoLaplaceApproximation,
  AutoLowRankMultivariateNormal,
  AutoNormal,
  adam,
  logLikelihood,
  MCMC,
  NUTS,
  Predictive,
  SVI,
  TraceELBO,
} from "@scribe/infer";
import {
  annotateAnnData,
  createAnnData,
  type FitOptions,
  fit,
  fitDirichletMinka,
  fitDirichletMinkaAsync,
} from "@scribe/models";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** The synchronous readers of a tensor; `item` and `toArray` do not go through `dataSync`. */
const SYNC_READERS = ["dataSync", "item", "toArray"] as const;

/** Where each forbidden call came from (the first few stack frames), for the failure message. */
let calls: string[] = [];

function forbidSyncReads(): void {
  calls = [];
  for (const name of SYNC_READERS)
    vi.spyOn(Tensor.prototype, name).mockImplementation(function (this: Tensor) {
      const where = (new Error().stack ?? "").split("\n").slice(2, 6).join("\n");
      calls.push(`${name}() on [${this.shape}]\n${where}`);
      throw new Error(`synchronous ${name}() in algorithm code:\n${where}`);
    });
}

/** Read with the one `await`, the route every backend has. */
async function values(t: Tensor): Promise<number[]> {
  return Array.from((await t.data()) as ArrayLike<number>, Number);
}

beforeEach(forbidSyncReads);
afterEach(() => {
  vi.restoreAllMocks();
  // a sync read swallowed by a try/catch on the way still counts as one
  expect(calls, calls.join("\n\n")).toEqual([]);
});

const Y8 = [28, 8, -3, 7, -1, 1, 18, 12];
const S8 = [15, 10, 16, 11, 9, 11, 10, 18];

function eightSchools(backend: Backend) {
  const [y, sigma] = withBackend(backend, () => [
    tensor(Y8, { dtype: "float64" }),
    tensor(S8, { dtype: "float64" }),
  ]);
  return () => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("school", 8, () => {
      const tt = sample("theta_tilde", new Normal(0, 1));
      sample("y", new Normal(mu.add(tau.mul(tt)), sigma!), { obs: y! });
    });
  };
}

/** A conjugate Normal model: z ~ N(0, 1), 8 obs N(z, 1), posterior N(Σy/9, 1/9). */
const YC = [1.2, 0.8, 1.9, 0.4, 1.1, 1.6, 0.9, 1.3];
const conjugate = (y: Tensor) => {
  const z = sample("z", new Normal(0, 1));
  const s = sample("s", new LogNormal(0, 1));
  plate("data", 8, () => sample("y", new Normal(z, s), { obs: y }));
};

describe("no synchronous read on the inference paths (cpu, readers throw)", () => {
  it("NUTS on eight schools", { timeout: 120_000 }, async () => {
    const mcmc = new MCMC(new NUTS({ model: eightSchools(cpuBackend()) }), {
      numWarmup: 30,
      numSamples: 20,
      progressBar: false,
    });
    await mcmc.run(key(1));
    const s = mcmc.getSamples();
    expect(s.mu!.shape).toEqual([20]);
    expect(s.theta_tilde!.shape).toEqual([20, 8]);
    const tau = await values(s.tau!);
    expect(tau.every((t) => t > 0 && Number.isFinite(t))).toBe(true);
  });

  const guides = {
    AutoNormal: () => new AutoNormal(conjugate),
    AutoLowRank: () => new AutoLowRankMultivariateNormal(conjugate, { rank: 1 }),
    AutoLaplace: () => new AutoLaplaceApproximation(conjugate),
  };
  for (const [name, make] of Object.entries(guides))
    it(`SVI with ${name}: init, steps, posterior draws`, { timeout: 120_000 }, async () => {
      const guide = make();
      const svi = new SVI(conjugate, guide, adam(0.05), new TraceELBO());
      const run = await svi.run(key(11), 30, [tensor(YC)], { logEvery: 10, progressBar: false });
      expect(run.losses.length).toBe(30);
      expect(run.losses.every(Number.isFinite)).toBe(true);
      const post = guide.samplePosterior(key(2), run.params, [50]);
      expect(post.z!.shape).toEqual([50]);
      const z = await values(post.z!);
      expect(z.every(Number.isFinite)).toBe(true);
      if (guide instanceof AutoLaplaceApproximation) {
        // the Hessian read with its await: positive curvature in both coordinates
        const h = await guide.hessianAsync(run.params, [tensor(YC)]);
        expect(h[0]! > 0 && h[3]! > 0).toBe(true);
      }
    });

  it("Predictive: prior and posterior predictive", { timeout: 120_000 }, async () => {
    const prior = await new Predictive(conjugate, { numSamples: 40, batchSize: 16 }).run(key(5), tensor(YC));
    expect(prior.z!.shape).toEqual([40]);
    // posterior predictive from given draws: y's location follows z exactly per draw
    const zs = tensor(Array.from({ length: 40 }, (_, i) => i - 20));
    const ss = tensor(new Array(40).fill(1e-3));
    const post = await new Predictive(conjugate, { posteriorSamples: { z: zs, s: ss }, batchSize: 16 }).run(
      key(6),
      null as unknown as Tensor,
    );
    expect(post.y!.shape).toEqual([40, 8]);
    const y = await values(post.y!);
    for (let i = 0; i < 40; i++) expect(Math.abs(y[i * 8]! - (i - 20))).toBeLessThan(0.02);
  });

  it("pointwise log-likelihood over many draws (collectDraws, chunked)", { timeout: 120_000 }, async () => {
    const n = 250; // three chunks of 100
    const z = Array.from({ length: n }, (_, i) => -1 + (2 * i) / n);
    const s = Array.from({ length: n }, (_, i) => 0.5 + i / n);
    const ll = logLikelihood(conjugate, { z: tensor(z), s: tensor(s) }, tensor(YC));
    expect(ll.y!.shape).toEqual([n, 8]);
    const got = await values(ll.y!);
    // closed form: log N(y | z, s), float32 on the cpu (bound 1e-4 absolute)
    for (let i = 0; i < n; i += 37)
      YC.forEach((y, j) => {
        const want = -0.5 * ((y - z[i]!) / s[i]!) ** 2 - Math.log(s[i]!) - 0.5 * Math.log(2 * Math.PI);
        expect(got[i * 8 + j]!).toBeCloseTo(want, 4);
      });
  });
});

const C = 24;
const G = 6;
function countMatrix(): Float64Array {
  const out = new Float64Array(C * G);
  let s = 7;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s >> 12) % (3 + (i % G));
  }
  return out;
}

describe("no synchronous read in the Dirichlet fit (cpu, readers throw)", () => {
  // draws [S, C, K] on the simplex, deterministic; the reference is the synchronous fit, run
  // while the describe is collected (before the spies)
  const S = 40;
  const probs: number[] = [];
  for (let s = 0; s < S; s++)
    for (let c = 0; c < 3; c++) {
      const w = [1 + c + Math.sin(s + c), 2 + Math.cos(1.3 * s), 1.5 + 0.5 * Math.sin(0.7 * s * (c + 1))];
      const tot = w[0]! + w[1]! + w[2]!;
      probs.push(...w.map((v) => v / tot));
    }
  const draws = () => tensor(probs, { dtype: "float64" }).reshape([S, 3, 3]);
  const reference = fitDirichletMinka(draws());
  const refAlpha = Array.from(reference.concentration.dataSync() as ArrayLike<number>, Number);

  it("fitDirichletMinkaAsync equals the synchronous fit; the sync form throws under the spies", async () => {
    const fit = await fitDirichletMinkaAsync(draws());
    expect(fit.concentration.shape).toEqual([3, 3]);
    expect(await values(fit.concentration)).toEqual(refAlpha); // same float64 arithmetic
    expect(fit.converged).toEqual(reference.converged);
    expect(() => fitDirichletMinka(draws())).toThrow(/synchronous dataSync\(\) in algorithm code/);
    calls = []; // the one sync read provoked on purpose
  });
});

describe("no synchronous read in fit() and the results (cpu, readers throw)", () => {
  const cases: [string, FitOptions][] = [
    ["nbdm", { model: "nbdm" }],
    ["nbvcp", { model: "nbvcp" }],
    ["zinbvcp", { model: "zinbvcp" }],
    ["twostate", { model: "twostate", parameterization: "natural", nQuadNodes: 8 }],
  ];
  for (const [name, opts] of cases)
    it(`fit ${name}, then summaries, MAP, quantiles, JSON`, { timeout: 120_000 }, async () => {
      const adata = createAnnData({ X: { format: "dense", data: countMatrix(), shape: [C, G] } });
      const { results, steps } = await fit(adata, {
        ...opts,
        nSteps: 6,
        progressEvery: 3,
        learningRate: 0.05,
        seed: 1,
      });
      expect(steps).toBe(6);
      expect(results.lossHistory.length).toBe(6);
      const counts = tensor(countMatrix()).reshape([C, G]);
      const map = results.getMap({ counts });
      expect(Object.keys(map).length).toBeGreaterThan(0);
      const q = await results.quantiles([0.1, 0.9], { nSamples: 8, counts });
      for (const [site, t] of Object.entries(q)) {
        const v = await values(t);
        const half = v.length / 2;
        for (let i = 0; i < half; i++) expect(v[i]!, site).toBeLessThanOrEqual(v[half + i]!);
      }
      const annotated = await annotateAnnData(adata, results, counts, { nSamples: 8 });
      expect(annotated.obs.columns.scribe_log_likelihood).toHaveLength(C);
      const json = await results.toJSONAsync();
      expect(json.format).toBe("scribe-results");
    });
});
