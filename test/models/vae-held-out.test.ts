/**
 * VAE early stopping on a held-out ELBO (issue 19, `vae/held-out.ts`), on tiny simulated data:
 * the seeded split, the default's rule, that the chunked run trains on the training cells
 * exactly as a plain fit of those cells does (same losses, bit for bit), that it stops
 * `patience` steps after its best check and returns that check's params (their held-out ELBO
 * recomputed here equals the recorded best), that a resumed run ends where one run does, and
 * for vcp models (capture fitted per cell) that the held-out ELBO with each cell's capture drawn
 * from its prior equals a Monte Carlo sum written out here (same draws) and that a default fit
 * holds cells out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray, full, key, random, splitKey } from "@scribe/core";
import { Beta, TruncatedNormal } from "@scribe/distributions";
import { makeConfig } from "@scribe/models/models/config.js";
import {
  fitVae,
  geneStats,
  makeVaeSpec,
  moduleParams,
  resolveVaeOptions,
  resolveValidation,
  splitCells,
  standardLatentPrior,
  VALIDATION_DEFAULTS,
} from "@scribe/models/vae/index.js";
import { describe, expect, it } from "vitest";
import { lgamma } from "./twostate-reference.js";
import { simulateLatentNB } from "./vae-helpers.js";

const C = 40;
const G = 6;
const { counts } = simulateLatentNB(C, G, 21);
const t = fromTypedArray(counts, [C, G]);
const rowsOf = (idx: Int32Array) => {
  const out = new Float32Array(idx.length * G);
  idx.forEach((c, i) => {
    out.set(counts.subarray(c * G, (c + 1) * G), i * G);
  });
  return fromTypedArray(out, [idx.length, G]);
};
const base = {
  inferenceMethod: "vae" as const,
  model: "nbdm" as const,
  latentDim: 2,
  encoder: [8],
  decoder: [8],
  batchSize: 16,
  learningRate: 0.05,
  klWarmupSteps: 10,
  seed: 3,
};

describe("held-out split and the default's rule", () => {
  it("splitCells: seeded, disjoint, covering, 10 % held out (at least 10 cells)", () => {
    const a = splitCells(200, 0.1, 5);
    expect(a.heldOut.length).toBe(20);
    expect(a.train.length).toBe(180);
    const all = [...a.heldOut, ...a.train].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(Array.from(splitCells(200, 0.1, 5).heldOut)).toEqual(Array.from(a.heldOut));
    expect(Array.from(splitCells(200, 0.1, 6).heldOut)).not.toEqual(Array.from(a.heldOut));
    expect(splitCells(50, 0.1, 5).heldOut.length).toBe(10);
  });

  it("on by default from 100 cells where a held-out ELBO exists; refused with the reason where asked for and absent", () => {
    const spec = (model: "nbdm" | "nbvcp" | "zinbvcp", n: number, o: Record<string, unknown> = {}) =>
      makeVaeSpec(
        makeConfig(model, { nCells: n, nGenes: G, ...o }),
        resolveVaeOptions({}),
        geneStats(counts, C, G),
        null,
      );
    expect(resolveValidation(undefined, spec("nbdm", 100), 100, false)).toEqual(VALIDATION_DEFAULTS);
    expect(resolveValidation(undefined, spec("nbdm", 99), 99, false)).toBeNull();
    expect(resolveValidation(undefined, spec("nbdm", 500), 500, true)).toBeNull();
    expect(resolveValidation(false, spec("nbdm", 500), 500, false)).toBeNull();
    // vcp models: a held-out cell's capture is drawn from its prior (capture fitted per cell) or amortized
    expect(resolveValidation(undefined, spec("nbvcp", 500), 500, false)).toEqual(VALIDATION_DEFAULTS);
    expect(resolveValidation(undefined, spec("zinbvcp", 500), 500, false)).toEqual(VALIDATION_DEFAULTS);
    expect(resolveValidation(true, spec("nbvcp", 500, { amortizeCapture: true }), 500, false)).toEqual(
      VALIDATION_DEFAULTS,
    );
    // a custom latent prior: no closed-form KL, so no held-out ELBO
    const custom = makeVaeSpec(
      makeConfig("nbdm", { nCells: 500, nGenes: G }),
      resolveVaeOptions({}),
      geneStats(counts, C, G),
      standardLatentPrior,
    );
    expect(resolveValidation(undefined, custom, 500, false)).toBeNull();
    expect(() => resolveValidation(true, custom, 500, false)).toThrow(
      /validation \(held-out early stopping\) cannot run: a flow or custom latent prior has no closed-form KL/,
    );
    expect(() => resolveValidation(true, spec("nbdm", 500), 500, true)).toThrow(/earlyStopping .* is set/);
    expect(() => resolveValidation({ fraction: 0.7 }, spec("nbdm", 500), 500, false)).toThrow(
      /validation.fraction must be in \(0, 0.5\], got 0.7/,
    );
    expect(() => resolveValidation({ every: 0 }, spec("nbdm", 500), 500, false)).toThrow(
      /validation.every must be a positive integer, got 0/,
    );
    expect(() => resolveValidation(true, spec("nbdm", 15), 15, false)).toThrow(/at least 20 cells/);
  });
});

describe("held-out early stopping in fit (vae)", () => {
  const validation = { every: 5, patience: 15, fraction: 0.25 };

  it("trains on the training cells as a plain fit of them does, stops `patience` after its best check and returns that check's params", async () => {
    const nSteps = 400;
    const run = await fitVae(t, { ...base, nSteps, validation });
    const v = run.results.meta.validation as { bestStep: number; bestElbo: number; heldOutCells: number };
    expect(v.heldOutCells).toBe(10);
    // lr 0.05 on 30 training cells overfits long before 400 steps (its held-out ELBO peaks, then falls)
    expect(run.earlyStopped).toBe(true);
    expect(run.steps).toBe(v.bestStep + validation.patience);
    expect(v.bestStep % validation.every).toBe(0);

    // the same trajectory as a plain fit (no validation) of the training cells: same losses
    const split = splitCells(C, validation.fraction, base.seed);
    const plain = await fitVae(rowsOf(split.train), { ...base, nSteps: run.steps, validation: false });
    expect(Array.from(run.results.lossHistory)).toEqual(Array.from(plain.results.lossHistory));

    // the returned params are the best check's: their held-out ELBO (same draws: key seed + 1) is the record
    const held = rowsOf(split.heldOut);
    const elbo = Number(
      (
        await run.results
          .elboByCell(held, key(base.seed + 1), 8)
          .mean()
          .data()
      )[0],
    );
    expect(elbo).toBeCloseTo(v.bestElbo, 4);
    // and they are not the last step's: the plain fit's end is worse on the held-out cells
    const last = Number(
      (
        await plain.results
          .elboByCell(held, key(base.seed + 1), 8)
          .mean()
          .data()
      )[0],
    );
    expect(last).toBeLessThan(v.bestElbo);
  }, 60_000);

  it("a run checkpointed and resumed stops and ends as one run does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vae-held-out-ck-"));
    try {
      const whole = await fitVae(t, { ...base, nSteps: 400, validation });
      const ck = join(dir, "ck.bin");
      const opts = { ...base, validation, checkpointPath: ck, checkpointEvery: 10 };
      await fitVae(t, { ...opts, nSteps: 20 });
      const resumed = await fitVae(t, { ...opts, nSteps: 400, resume: true });
      expect(resumed.steps).toBe(whole.steps);
      expect(resumed.results.meta.validation).toEqual(whole.results.meta.validation);
      expect(Array.from(resumed.results.lossHistory)).toEqual(Array.from(whole.results.lossHistory));
      const w = (await whole.results.getLatentEmbedding(t).data()) as Float32Array;
      const r = (await resumed.results.getLatentEmbedding(t).data()) as Float32Array;
      expect(Array.from(r)).toEqual(Array.from(w));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("held-out ELBO of vcp models: capture drawn from its prior", () => {
  const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
  const host = async (x: { data(): Promise<ArrayLike<number>> }) => Float64Array.from(await x.data());

  it.each([
    ["the flat Beta prior of p_capture", {}],
    ["the biology-informed eta prior (p_capture = exp(−η))", { priors: { organism: "human" } }],
  ] as const)(
    "nbvcp with %s: elboByCell(heldOut) equals mean over draws of Σ_g log NB(x | r(z), p̂(p, ν)) − KL(q(z|x) ‖ N(0, I)), ν from its prior",
    async (_, priorOptions) => {
      const fitted = await fitVae(t, {
        ...base,
        model: "nbvcp",
        ...priorOptions,
        nSteps: 30,
        validation: false,
      });
      const r = fitted.results;
      // cells the fit has not seen (another seed of the simulator), fewer than the training cells
      const B = 12;
      const held = simulateLatentNB(B, G, 99).counts;
      const ht = fromTypedArray(held, [B, G]);
      const nDraws = 4;
      const k = key(5);
      const elbo = await host(r.elboByCell(ht, k, nDraws, { heldOut: true }));

      // ν of each cell from the model's capture prior, written out here
      const fam = r.spec.cellSite!.family;
      const drawCapture = async (kc: ReturnType<typeof key>): Promise<Float64Array> => {
        if (fam.kind === "beta") return host(new Beta(full([B], fam.a), full([B], fam.b)).sample(kc));
        if (fam.kind !== "eta") throw new Error(`unexpected capture prior ${fam.kind}`);
        // η ~ N(log M0 − log(library size), σ) truncated to η ≥ 0, ν = exp(−η)
        const loc = Float32Array.from({ length: B }, (_, c) => {
          let lib = 0;
          for (let g = 0; g < G; g++) lib += held[c * G + g]!;
          return fam.logM0 - Math.log(Math.max(lib, 1));
        });
        const eta = await host(
          new TruncatedNormal(
            fromTypedArray(loc, [B]),
            full([B], fam.sigma),
            0,
            Number.POSITIVE_INFINITY,
          ).sample(kc),
        );
        return eta.map((e) => Math.exp(-e));
      };
      expect(fam.kind).toBe("priors" in priorOptions ? "eta" : "beta");
      const keys = splitKey(k, 2 * nDraws);
      const { loc, scale } = r.encode(ht);
      const m = await host(loc);
      const s = await host(scale);
      const K = base.latentDim;
      const p = (await host(r.globalValues().p!))[0]!;
      const dp = moduleParams(r.params, "decoder");
      const expected = new Float64Array(B);
      const fullCapture = new Float64Array(B); // the same with ν = 1 (p̂ = p), a control
      for (let i = 0; i < nDraws; i++) {
        const z = random.normal(keys[i]!, [B, K]).mul(scale).add(loc);
        const h = await host(r.spec.nets.decoder.apply(dp, z));
        const nu = await drawCapture(keys[nDraws + i]!);
        for (let c = 0; c < B; c++) {
          // canonical nbvcp: r from the decoder (softplus + 1e−6), p̂ = p·ν / (1 − p·(1 − ν))
          const pHat = (p * nu[c]!) / (1 - p * (1 - nu[c]!));
          for (let g = 0; g < G; g++) {
            const x = held[c * G + g]!;
            const rg = softplus(h[c * G + g]!) + 1e-6;
            const logNB = (q: number) =>
              lgamma(x + rg) - lgamma(rg) - lgamma(x + 1) + x * Math.log(q) + rg * Math.log1p(-q);
            expected[c]! += logNB(pHat) / nDraws;
            fullCapture[c]! += logNB(p) / nDraws;
          }
        }
      }
      for (let c = 0; c < B; c++)
        for (let j = 0; j < K; j++) {
          const mj = m[c * K + j]!;
          const sj = s[c * K + j]!;
          const kl = 0.5 * (mj * mj + sj * sj - 1) - Math.log(sj);
          expected[c]! -= kl;
          fullCapture[c]! -= kl;
        }
      // float32 decoder and log-pmf against float64 here: per-cell sums of ~tens of nats agree to ~1e−4 relative
      for (let c = 0; c < B; c++)
        expect(Math.abs(elbo[c]! - expected[c]!)).toBeLessThan(1e-4 * Math.abs(expected[c]!) + 1e-3);
      // the capture draws matter: with ν = 1 the sum is another (a test that can tell them apart)
      expect(Math.max(...Array.from(elbo, (v, c) => Math.abs(v - fullCapture[c]!)))).toBeGreaterThan(0.1);
      // the same key, the same draws
      expect(Array.from(await host(r.elboByCell(ht, k, nDraws, { heldOut: true })))).toEqual(
        Array.from(elbo),
      );
    },
    20_000,
  );

  it("a default fit (nbvcp, 100 cells) holds cells out and records the held-out ELBO of its returned params", async () => {
    const n = 100;
    const data = simulateLatentNB(n, G, 13).counts;
    const { model: _m, ...rest } = base;
    const run = await fitVae(fromTypedArray(data, [n, G]), { ...rest, nSteps: 20 });
    expect(run.results.modelType).toBe("nbvcp");
    const v = run.results.meta.validation as { bestStep: number; bestElbo: number; heldOutCells: number };
    expect(v).toBeDefined();
    expect(v.heldOutCells).toBe(10);
    // 20 steps < every (100): the one check is at the end
    expect(v.bestStep).toBe(20);
    const split = splitCells(n, VALIDATION_DEFAULTS.fraction, base.seed);
    const heldRows = new Float32Array(split.heldOut.length * G);
    split.heldOut.forEach((c, i) => {
      heldRows.set(data.subarray(c * G, (c + 1) * G), i * G);
    });
    const held = fromTypedArray(heldRows, [split.heldOut.length, G]);
    const again = Number(
      (
        await run.results
          .elboByCell(held, key(base.seed + 1), VALIDATION_DEFAULTS.nDraws, { heldOut: true })
          .mean()
          .data()
      )[0],
    );
    expect(again).toBeCloseTo(v.bestElbo, 4);
  }, 20_000);
});
