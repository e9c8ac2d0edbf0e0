/**
 * Multi-dataset hierarchies (SCRIBE `dataset_key`, `dataset_params`, `dataset_mixing`,
 * `prob_dataset_mode`; SCRIBE multi-dataset designs): seeded simulations with two datasets whose
 * per-gene means differ; per-dataset parameters are recovered, shared ones stay shared.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, splitKey, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, latentSiteSpecs, makeConfig, ScribeResults, sliceDataset } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const C = 240;
const G = 5;
/** Per-dataset gene means (dataset "a": first half of the cells, "b": second half). */
const MU = [
  [2, 8, 20, 5, 40],
  [6, 3, 20, 15, 10],
];
const P = 0.5;

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

/** Counts [C, G] with NB(mean MU[d], p = 0.5) for the cells of dataset d; labels interleaved by block. */
function simulate(seedNo: number): { counts: Tensor; labels: string[]; d: number[] } {
  const d = Array.from({ length: C }, (_, c) => (c % 4 < 2 ? 0 : 1));
  const mu = tensor(d.flatMap((k) => MU[k]!)).reshape([C, G]);
  const p = tensor(P).expand([C, G]);
  const counts = new NegativeBinomialProbs(mu.mul(1 - P).div(P), p, false).sample(
    splitKey(key(seedNo), 1)[0]!,
  );
  return { counts, labels: d.map((k) => (k === 0 ? "a" : "b")), d };
}

function adataOf(counts: Tensor, labels: string[]) {
  return createAnnData({
    X: { format: "dense", data: Float32Array.from(counts.dataSync() as ArrayLike<number>), shape: [C, G] },
    obs: { index: labels.map((_, c) => `c${c}`), columns: { batch: labels } },
  });
}

describe("datasets: sites and shapes", () => {
  it("dataset parameters get the (K, D, G) axes and the hierarchy sites; a single dataset downgrades", () => {
    const base = { nCells: 4, nGenes: 3, unconstrained: true, datasetIndices: [0, 1, 1, 0] };
    const cfg = makeConfig("nbdm", { ...base, parameterization: "mean_prob" });
    const sites = Object.fromEntries(latentSiteSpecs(cfg).map((s) => [s.name, s.shape]));
    expect(sites).toEqual({ log_mu_loc: [3], log_mu_scale: [], mu: [2, 3], p: [] });
    const mix = makeConfig("zinb", {
      ...base,
      nComponents: 2,
      datasetParams: ["p", "gate"],
      probDatasetMode: "scalar",
    });
    const s2 = Object.fromEntries(latentSiteSpecs(mix).map((s) => [s.name, s.shape]));
    expect(s2.mixing_weights).toEqual([2, 2]);
    expect(s2.p).toEqual([2, 2]);
    expect(s2.gate).toEqual([2, 2, 3]);
    expect(s2.r).toEqual([2, 3]);
    const two = makeConfig("nbdm", { ...base, datasetParams: ["p"], probDatasetMode: "two_level" });
    const s3 = Object.fromEntries(latentSiteSpecs(two).map((s) => [s.name, s.shape]));
    expect(s3).toMatchObject({ logit_p_pop_loc: [], logit_p_gene_scale: [], logit_p_loc: [3], p: [2, 3] });
    expect(makeConfig("nbdm", { ...base, datasetIndices: [0, 0, 0, 0] }).datasets).toBeNull();
    expect(() => makeConfig("nbdm", { ...base, unconstrained: false })).toThrow(/unconstrained: true/);
    expect(() => makeConfig("nbdm", { ...base, datasetIndices: [0, 1] })).toThrow(/one dataset per cell/);
  });
});

describe("datasets: recovery", () => {
  it("per-dataset means recovered within 20 %; the shared p stays one scalar near the truth", async () => {
    const { counts, labels, d } = simulate(1);
    const { results } = await fit(adataOf(counts, labels), {
      model: "nbdm",
      parameterization: "mean_prob",
      unconstrained: true,
      // exp: the means live on the log scale, so the short fit reaches mu ≈ 40 (softplus would
      // need ~40 / lr steps of its linear tail)
      positiveTransform: "exp",
      datasetKey: "batch",
      // 400 steps at lr 0.1 (max rel err vs the sample means 0.077, vs the truth 0.085, p 0.500;
      // 1000 steps at lr 0.05 gave the same within the tolerances below)
      nSteps: 400,
      learningRate: 0.1,
      seed: 0,
    });
    expect(results.meta.datasetLevels).toEqual(["a", "b"]);
    const map = results.getMap();
    expect([...map.mu!.shape]).toEqual([2, G]);
    expect(map.p!.rank).toBe(0);
    const mu = arr(map.mu!);
    const host = arr(counts);
    // the truth to compare with: each dataset's sample mean (its sd is ≤ 9 % of the mean here)
    const sample = [0, 1].map((k) =>
      Array.from({ length: G }, (_, g) => {
        const cells = d.map((x, c) => (x === k ? c : -1)).filter((c) => c >= 0);
        return cells.reduce((a, c) => a + host[c * G + g]!, 0) / cells.length;
      }),
    );
    const err = Math.max(
      ...mu.map(
        (m, i) => Math.abs(m - sample[Math.floor(i / G)]![i % G]!) / sample[Math.floor(i / G)]![i % G]!,
      ),
    );
    const errTruth = Math.max(
      ...mu.map((m, i) => Math.abs(m - MU[Math.floor(i / G)]![i % G]!) / MU[Math.floor(i / G)]![i % G]!),
    );
    console.log(
      `datasets: MAP mu ${mu.map((x) => x.toFixed(2))}; max rel err vs sample means ${err.toFixed(3)}, vs truth ${errTruth.toFixed(3)}; p ${arr(map.p!)[0]!.toFixed(3)}`,
    );
    expect(err).toBeLessThan(0.1);
    expect(errTruth).toBeLessThan(0.2);
    // gene 2 has the same mean in both datasets: the two values agree within sampling noise
    expect(Math.abs(mu[2]! - mu[G + 2]!) / 20).toBeLessThan(0.2);
    // genes that differ: the fit separates them (the ratio's sign and size)
    expect(mu[G + 0]! / mu[0]!).toBeGreaterThan(2);
    expect(mu[G + 4]! / mu[4]!).toBeLessThan(0.4);
    // shared p: one value, within 0.05 of the truth
    expect(Math.abs(arr(map.p!)[0]! - P)).toBeLessThan(0.05);
    // derived r = mu (1 − p)/p carries the dataset axis
    expect([...map.r!.shape]).toEqual([2, G]);
    // the per-cell log-likelihood uses each cell's dataset: it equals the NB log-pmf at the cell's own mu
    const ll = arr(results.logLikelihoodMap(counts, { returnBy: "cell" }));
    const p = arr(map.p!)[0]!;
    const lgamma = (x: number): number => {
      // Lanczos (g = 7), double precision
      const c = [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
      ];
      if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
      const xx = x - 1;
      let a = c[0]!;
      const t = xx + 7.5;
      for (let i = 1; i < 9; i++) a += c[i]! / (xx + i);
      return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
    };
    for (const c of [0, 1, 2, 3, 100, 239]) {
      let want = 0;
      for (let g = 0; g < G; g++) {
        const m = mu[d[c]! * G + g]!;
        const r = (m * (1 - p)) / p;
        const u = host[c * G + g]!;
        want += lgamma(u + r) - lgamma(r) - lgamma(u + 1) + r * Math.log(1 - p) + u * Math.log(p);
      }
      // float32 sums of ~5 terms of magnitude ≤ 50
      expect(Math.abs(ll[c]! - want)).toBeLessThan(2e-3 * Math.max(1, Math.abs(want)));
    }
  }, 300_000);
});

describe("datasets: mixtures with per-dataset mixing weights", () => {
  it("a 2-component mixture over two datasets recovers each dataset's mixing weights", async () => {
    // component means (shared by the datasets); dataset a is 80 % component 0, dataset b 20 %
    const MUK = [
      [2, 20, 5, 30],
      [25, 3, 30, 4],
    ];
    const n = 160;
    const g = 4;
    const d = Array.from({ length: n }, (_, c) => (c < n / 2 ? 0 : 1));
    const z = d.map((k, c) => ((c * 37) % 100 < (k === 0 ? 80 : 20) ? 0 : 1));
    const mu = tensor(z.flatMap((k) => MUK[k]!)).reshape([n, g]);
    const p = tensor(P).expand([n, g]);
    const counts = new NegativeBinomialProbs(mu.mul(1 - P).div(P), p, false).sample(key(21));
    const { results } = await fit(counts, {
      model: "nbdm",
      parameterization: "mean_prob",
      unconstrained: true,
      positiveTransform: "exp",
      nComponents: 2,
      mixtureParams: ["mu"],
      datasetIndices: d,
      datasetParams: ["p"],
      probDatasetMode: "scalar",
      nSteps: 400,
      learningRate: 0.05,
      seed: 0,
    });
    const map = results.getMap();
    expect([...map.mixing_weights!.shape]).toEqual([2, 2]);
    expect([...map.p!.shape]).toEqual([2]);
    const w = arr(map.mixing_weights!);
    // label matching: the component whose gene-0 mean is small is component "0" of the simulation
    const m = arr(map.mu!);
    const k0 = m[0]! < m[g]! ? 0 : 1;
    const frac = [w[k0]!, w[2 + k0]!];
    const want = [0, 1].map((k) => z.filter((x, c) => d[c] === k && x === 0).length / (n / 2));
    console.log(
      `dataset mixing: weight of component 0 per dataset ${frac.map((x) => x.toFixed(3))} vs simulated ${want}`,
    );
    // Dirichlet posterior mode with 80 cells per dataset: sd ≈ 0.045; tolerance 0.1
    for (let k = 0; k < 2; k++) expect(Math.abs(frac[k]! - want[k]!)).toBeLessThan(0.1);
    // both datasets have p = 0.5
    for (const x of arr(map.p!)) expect(Math.abs(x - P)).toBeLessThan(0.05);
  }, 300_000);
});

describe("scribe fit --dataset-key", () => {
  it("writes per-dataset results equal to the API fit's (levels, MAP mu [D, G]); config keys reach fit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-datasets-cli-"));
    const { counts, labels } = simulate(4);
    const adata = adataOf(counts, labels);
    const data = join(dir, "sim");
    write10x(data, adata);
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbdm", "--parameterization", "mean_prob", "--unconstrained"];
    args.push("--dataset-key", "batch", "model.prob_dataset_mode=scalar", "model.dataset_params=[mu, p]");
    args.push(
      "--n-steps",
      "30",
      "--learning-rate",
      "0.05",
      "--seed",
      "0",
      "--n-samples",
      "2",
      "--out",
      out,
      "-q",
    );
    expect(await runCli(args, io), stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    expect(res.meta.datasetLevels).toEqual(["a", "b"]);
    const map = res.getMap();
    expect([...map.mu!.shape]).toEqual([2, G]);
    expect([...map.p!.shape]).toEqual([2]);
    const api = await fit(adata, {
      model: "nbdm",
      parameterization: "mean_prob",
      unconstrained: true,
      datasetKey: "batch",
      datasetParams: ["mu", "p"],
      probDatasetMode: "scalar",
      nSteps: 30,
      learningRate: 0.05,
      seed: 0,
    });
    const want = arr(api.results.getMap().mu!);
    const got = arr(map.mu!);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5 * want[i]!);
  }, 300_000);
});

describe("datasets: results slicing", () => {
  it("sliceDataset gives dataset d's parameters and cells: MAP and per-cell log-likelihood equal the full fit's", async () => {
    const { counts, labels, d } = simulate(6);
    const { results } = await fit(adataOf(counts, labels), {
      model: "nbvcp",
      parameterization: "mean_prob",
      unconstrained: true,
      datasetKey: "batch",
      datasetParams: ["mu", "p"],
      probDatasetMode: "scalar",
      nSteps: 40,
      learningRate: 0.05,
      seed: 0,
    });
    const full = results.getMap();
    const llFull = arr(results.logLikelihoodMap(counts));
    const host = arr(counts);
    for (const k of [0, 1]) {
      const part = sliceDataset(results, k);
      const cells = d.map((x, c) => (x === k ? c : -1)).filter((c) => c >= 0);
      expect(part.nCells).toBe(cells.length);
      expect(part.meta.dataset).toBe(k === 0 ? "a" : "b");
      expect(part.obsNames).toEqual(cells.map((c) => `c${c}`));
      const m = part.getMap();
      const mu = arr(m.mu!);
      const muFull = arr(full.mu!).slice(k * G, (k + 1) * G);
      for (let g = 0; g < G; g++) expect(Math.abs(mu[g]! - muFull[g]!)).toBeLessThan(1e-5 * muFull[g]!);
      expect(Math.abs(arr(m.p!)[0]! - arr(full.p!)[k]!)).toBeLessThan(1e-6);
      const sub = tensor(cells.flatMap((c) => host.slice(c * G, (c + 1) * G))).reshape([cells.length, G]);
      const ll = arr(part.logLikelihoodMap(sub));
      // same parameters and capture per cell: equal up to float32 rounding
      cells.forEach((c, i) => {
        expect(Math.abs(ll[i]! - llFull[c]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(llFull[c]!)));
      });
    }
    // guide quantiles of the dataset parameter [Q, D, G]: softplus(loc + scale·Φ⁻¹(q)) per coordinate
    const qs = await results.quantiles([0.5, 0.975], { source: "guide" });
    expect([...qs.mu!.shape]).toEqual([2, 2, G]);
    const loc = arr(results.params.mu_loc!);
    const sc = arr(results.params.mu_scale!);
    const qv = arr(qs.mu!);
    const softplus = (x: number) => Math.log1p(Math.exp(x));
    [0, 1.959964].forEach((z, i) => {
      loc.forEach((l, j) => {
        const want = softplus(l + sc[j]! * z);
        expect(Math.abs(qv[i * 2 * G + j]! - want)).toBeLessThan(1e-4 * want);
      });
    });
    // subsetGenes keeps the dataset axis and takes genes on the last axis
    const two = results.subsetGenes([4, 1]).getMap();
    expect([...two.mu!.shape]).toEqual([2, 2]);
    const muFull = arr(full.mu!);
    expect(arr(two.mu!)).toEqual(
      [muFull[4]!, muFull[1]!, muFull[G + 4]!, muFull[G + 1]!].map((x) => Math.fround(x)),
    );
    expect(() => sliceDataset(results, 2)).toThrow(/dataset must be in \[0, 2\)/);
  }, 300_000);

  it("subsetGenes never takes a dataset axis for the gene axis (D = G = 2, capture scaling per dataset)", async () => {
    const n = 40;
    const c2 = new NegativeBinomialProbs(
      tensor([3, 9]).expand([n, 2]),
      tensor(0.5).expand([n, 2]),
      false,
    ).sample(key(9));
    const { results } = await fit(c2, {
      model: "nbvcp",
      unconstrained: true,
      datasetIndices: Array.from({ length: n }, (_, c) => c % 2),
      priors: { organism: "human", capture_scaling: "gaussian" },
      nSteps: 5,
      seed: 0,
    });
    const one = results.subsetGenes([1]);
    expect([...one.params.mu_eta_raw_loc!.shape]).toEqual([2]);
    expect([...one.params.r_loc!.shape]).toEqual([2, 1]);
    expect(arr(one.params.r_loc!)).toEqual([arr(results.params.r_loc!)[1]!, arr(results.params.r_loc!)[3]!]);
  }, 300_000);
});

describe("scribe fit --dataset-key with a mixture", () => {
  it("results.h5ad has one var column per component and dataset, the posterior means of the written results", async () => {
    const { counts, labels } = simulate(8);
    const adata = adataOf(counts, labels);
    const dir = mkdtempSync(join(tmpdir(), "scribe-datasets-mix-"));
    const data = join(dir, "sim");
    write10x(data, adata);
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "zinbvcp", "--unconstrained", "--n-components", "2"];
    args.push("--dataset-key", "batch", "--n-steps", "5", "--n-samples", "3", "--out", out, "-q");
    expect(await runCli(args, io), stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    const h5 = await readH5ad(join(out, "results.h5ad"));
    // r (canonical gene parameter) is the dataset parameter: [K, D, G]
    const samples = res.getPosteriorSamples({ nSamples: 3, seed: 42, counts });
    const mean = arr(samples.r!.mean(0));
    for (let k = 0; k < 2; k++)
      for (let d = 0; d < 2; d++) {
        const col = h5.var.columns[`scribe_r_mean_k${k}_d${d}`] as unknown as ArrayLike<number>;
        const want = mean.slice((k * 2 + d) * G, (k * 2 + d + 1) * G);
        for (let g = 0; g < G; g++) expect(Math.abs(Number(col[g]) - want[g]!)).toBeLessThan(1e-5 * want[g]!);
      }
    // per-dataset mixing weights, read back as they were fitted
    expect([...res.getMap().mixing_weights!.shape]).toEqual([2, 2]);
  }, 300_000);
});
