/**
 * VAE early stopping on a held-out ELBO (issue 19, `vae/held-out.ts`), on tiny simulated data:
 * the seeded split, the default's rule, that the chunked run trains on the training cells
 * exactly as a plain fit of those cells does (same losses, bit for bit), that it stops
 * `patience` steps after its best check and returns that check's params (their held-out ELBO
 * recomputed here equals the recorded best), and that a resumed run ends where one run does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray, key } from "@scribe/core";
import { makeConfig } from "@scribe/models/models/config.js";
import {
  fitVae,
  geneStats,
  makeVaeSpec,
  resolveVaeOptions,
  resolveValidation,
  splitCells,
  VALIDATION_DEFAULTS,
} from "@scribe/models/vae/index.js";
import { describe, expect, it } from "vitest";
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
    const spec = (model: "nbdm" | "nbvcp", n: number, o: Record<string, unknown> = {}) =>
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
    // per-cell capture fitted cell by cell: no capture for held-out cells
    expect(resolveValidation(undefined, spec("nbvcp", 500), 500, false)).toBeNull();
    expect(() => resolveValidation(true, spec("nbvcp", 500), 500, false)).toThrow(
      /validation \(held-out early stopping\) cannot run: nbvcp fits each cell's capture on its own .*amortizeCapture: true/,
    );
    expect(resolveValidation(true, spec("nbvcp", 500, { amortizeCapture: true }), 500, false)).toEqual(
      VALIDATION_DEFAULTS,
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
