// Issue 20 item 1, read-ahead of a backed fit: the worker thread's rows and the rows read on
// the fit's thread equal the in-memory matrix's (exact: float32 copies of integer counts), a
// request for other indices is not served, and PlateKeyPlan predicts the cells plate's keys of
// SVI steps as SVI draws them (checked against the keys a real SVI run gives its plate).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choiceIndices, type Key, key, type Message, Messenger, wrapWith } from "@scribe/core";
import { Adam, SVI, TraceMeanFieldELBO } from "@scribe/infer";
import { PlateKeyPlan, RowPrefetcher } from "@scribe/models/io/backed-prefetch-node.js";
import { readRowsDense } from "@scribe/models/io/backed-rows-node.js";
import { openAnnData } from "@scribe/models/io/node.js";
import { scribeModel } from "@scribe/models/models/presets.js";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";

const C = 90;
const G = 12;
const dir = mkdtempSync(join(tmpdir(), "scribe-readahead-"));
const mem = countsAnnData(C, G, 5);
const files = writeVariants(dir, mem);
/** Rows `idx` of the in-memory matrix, in order. */
const memRows = (idx: Int32Array) =>
  Array.from(idx).flatMap((r) => Array.from(mem.X.data.subarray(r * G, (r + 1) * G)));

describe("backed fit read-ahead", () => {
  it("the worker's rows equal the rows read here; other indices are refused", {
    timeout: 180_000,
  }, async () => {
    const { csr } = await files;
    const ad = await openAnnData(csr, { backed: true });
    const pf = new RowPrefetcher(csr, 8 * G, 2, 64);
    try {
      expect(await pf.ready(170_000)).toBe(true);
      const reads = { batches: 0, rows: 0, slabs: 0 };
      for (let step = 0; step < 4; step++) {
        const idx = choiceIndices(key(step), C, 8);
        pf.request(step, idx);
        expect(pf.has(step)).toBe(true);
        const got = pf.take(step, idx, idx.length * G);
        expect(got).not.toBeNull();
        expect(Array.from(got!)).toEqual(memRows(idx));
        expect(Array.from(readRowsDense(ad, idx, 64, reads))).toEqual(memRows(idx));
      }
      const idx = choiceIndices(key(9), C, 8);
      pf.request(9, idx);
      expect(pf.take(9, choiceIndices(key(10), C, 8), 8 * G)).toBeNull();
    } finally {
      pf.close();
      ad.close();
    }
  });

  for (const model of ["nbdm", "nbvcp"] as const) {
    it(`PlateKeyPlan predicts the ${model} SVI steps' plate keys`, { timeout: 60_000 }, async () => {
      const seen: Key[] = [];
      const served = new WeakSet<object>();
      // the plate that draws (guide or model) records its key; a replay of its indices does not
      class Spy extends Messenger {
        override postprocessMessage(msg: Message): void {
          if (msg.type !== "plate" || msg.name !== "cells" || !msg.kwargs.rngKey || !msg.value) return;
          if (served.has(msg.value)) return;
          served.add(msg.value);
          seen.push(msg.kwargs.rngKey);
        }
      }
      const { model: m, guide } = scribeModel(model, { nCells: C, nGenes: G });
      const spy = <A extends unknown[], R>(f: (...a: A) => R) => wrapWith(f, () => new Spy());
      const counts = (await import("@scribe/core")).zeros([C, G]);
      // eager steps: the plan predicts the keys of the plate's own draws, which a compiled step
      // (on in-memory counts) makes only while recording; a backed fit's steps upload other rows
      // each step, so they never compile and draw every step
      const svi = new SVI(spy(m), spy(guide), new Adam(0.01), new TraceMeanFieldELBO(), {
        compileStep: false,
      });
      await svi.run(key(3), 6, [counts, 16], { progressBar: false });
      // one draw for init and one per step (by the guide for nbvcp, by the model for nbdm)
      const drawn = seen;
      expect(drawn.length).toBe(7);
      const plan = new PlateKeyPlan(key(3), false);
      const steps = drawn.map((k) => plan.observe(k));
      expect(steps.slice(0, 1)).toEqual([null]); // init's draw
      expect(steps.slice(1)).toEqual(drawn.slice(1).map((_, i) => i));
    });
  }
});
