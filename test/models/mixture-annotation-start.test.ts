/**
 * A mixture fitted with annotation labels starts component k at the mean of label k's cells
 * (models/mixture-init.ts): the annotation prior ties component k to label k, and a start
 * from an unordered k-means cluster put the other cell type's profile under a label (seen in
 * Bayesian DE by label: gene0's change landed in the wrong component).
 */
import { cpuBackend, tensor, withBackend } from "@scribe/core";
import { fit } from "@scribe/models";
import { createAnnData } from "@scribe/models/io/index.js";
import { annotationLogits } from "@scribe/models/models/annotation.js";
import { componentInit } from "@scribe/models/models/mixture-init.js";
import { describe, expect, it } from "vitest";

const G = 6;
/** Two cell types; "a" (sorted first: component 0) expresses genes 3–5 ten times higher. */
function simulate(cells: number): { rows: number[]; types: string[] } {
  const rows: number[] = [];
  const types: string[] = [];
  let state = 12345;
  const unif = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let c = 0; c < cells; c++) {
    const type = c % 2 === 0 ? "b" : "a";
    types.push(type);
    for (let g = 0; g < G; g++) {
      const mean = type === "a" && g >= 3 ? 50 : 5;
      // Poisson draw by inversion (small means): the test needs two clearly separated profiles
      let k = 0;
      let p = Math.exp(-mean);
      let cdf = p;
      const u = unif();
      while (u > cdf && k < 500) {
        k++;
        p *= mean / k;
        cdf += p;
      }
      rows.push(k);
    }
  }
  return { rows, types };
}

describe("mixture start with annotation labels", () => {
  it("componentInit puts label k's mean count in row k (hand-computed means)", async () => {
    const { rows, types } = simulate(60);
    const labels = types.map((t, i) => (i % 5 === 0 ? null : t)); // some cells unlabelled
    const { components, cellComponents } = annotationLogits(labels);
    expect(components).toEqual(["a", "b"]);
    const counts = tensor(Float32Array.from(rows), { shape: [60, G] });
    const init = await withBackend(cpuBackend(), () =>
      componentInit({ nComponents: 2, variableCapture: false }, counts, 3, 200, cellComponents),
    );
    const loc = (await init.geneLoc.data()) as Float32Array;
    for (let k = 0; k < 2; k++)
      for (let g = 0; g < G; g++) {
        let s = 0;
        let n = 0;
        for (let c = 0; c < 60; c++)
          if (labels[c] === components[k]) {
            s += rows[c * G + g]!;
            n++;
          }
        // float32 storage of a float64 log: 1e-6 relative
        expect(loc[k * G + g]).toBeCloseTo(Math.log(s / n + 1e-2), 5);
      }
  });

  it("fit with annotationKey: component 0 carries label a's high genes for every seed", async () => {
    const { rows, types } = simulate(80);
    const ad = createAnnData({
      X: { format: "dense", data: Float64Array.from(rows), shape: [80, G] },
      obs: { index: types.map((_, i) => `c${i}`), columns: { celltype: types } },
      var: Array.from({ length: G }, (_, g) => `g${g}`),
    });
    for (const seed of [1, 2, 3]) {
      const { results } = await fit(ad, {
        model: "nbdm",
        annotationKey: "celltype",
        nSteps: 300,
        learningRate: 0.05,
        seed,
      });
      const r = (await results.getMap().r!.data()) as Float32Array; // [K, G]
      // nbdm with shared p: mean ∝ r, so label a's component has r of genes 3–5 ≫ genes 0–2
      const ratio = (k: number) => (r[k * G + 4]! + r[k * G + 5]!) / (r[k * G + 0]! + r[k * G + 1]!);
      expect(ratio(0), `seed ${seed}`).toBeGreaterThan(3);
      expect(ratio(1), `seed ${seed}`).toBeLessThan(3);
    }
  }, 180_000);
});
