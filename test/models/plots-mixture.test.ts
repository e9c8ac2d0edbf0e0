import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, ScribeResults } from "@scribe/models";
import { mixtureCompositionPlot } from "@scribe/models/plots/mixture-composition.js";
import { mixturePpcPlot } from "@scribe/models/plots/mixture-ppc.js";
import { renderSvg } from "@scribe/models/plots/render.js";
import { umapEmbedding, umapPlot } from "@scribe/models/plots/umap.js";
import { beforeAll, describe, expect, it } from "vitest";
import { axisTitles, drawnMarks, num, texts } from "./plots-svg.js";

// Two cell types (120 "A", 80 "B") over 10 genes; type B expresses genes 0-4 ten times less and 5-9 ten times more.
const NA = 120;
const NB = 80;
const C = NA + NB;
const G = 10;
const rA = Array.from({ length: G }, (_, g) => (g < 5 ? 8 : 0.8));
const rB = Array.from({ length: G }, (_, g) => (g < 5 ? 0.8 : 8));
const truth = Array.from({ length: C }, (_, c) => (c < NA ? "A" : "B"));
let counts: Tensor;
let results: ScribeResults;

beforeAll(async () => {
  const r = tensor(
    truth.flatMap((t) => (t === "A" ? rA : rB)),
    { shape: [C, G] },
  );
  counts = new NegativeBinomialProbs(r, tensor(0.5).expand([C, G])).sample(key(11));
  // A two-component nbdm mixture whose guide sits at the truth (no fitting): r per component, p = 0.5, weights 0.6 / 0.4.
  const { results: shell } = await fit(counts, { model: "nbdm", nSteps: 0, nComponents: 2 });
  results = new ScribeResults({
    modelType: "nbdm",
    options: { nCells: C, nGenes: G, nComponents: 2 },
    params: {
      mixing_weights_concentrations: tensor([1200, 800]),
      p_alpha: tensor([5000, 5000]),
      p_beta: tensor([5000, 5000]),
      r_loc: tensor([...rA, ...rB].map(Math.log), { shape: [2, G] }),
      r_scale: tensor(new Array(2 * G).fill(0.01), { shape: [2, G] }),
    },
    lossHistory: new Float64Array(0),
    varNames: shell.varNames.map((_, g) => `gene${g}`),
    meta: { componentLabels: ["A", "B"] },
  });
}, 180_000);

describe("mixture plots", () => {
  it("composition: cells per component by MAP assignment, named by annotation labels, with the mixing-weight ticks", async () => {
    const svg = await renderSvg(await mixtureCompositionPlot(results, counts));
    expect(axisTitles(svg)).toEqual(["component", "cells (MAP assignment)"]);
    const bars = drawnMarks(svg, "bar");
    // the types are far apart, so the MAP assignment recovers them
    expect(bars.map((b) => [b.fields.component, num(b.fields["cells (MAP assignment)"])])).toEqual([
      ["0: A", NA],
      ["1: B", NB],
    ]);
    const ticks = drawnMarks(svg, "tick");
    // MAP of Dirichlet(1200, 800) is its mode (α_k − 1)/(Σα − K)
    expect(ticks.map((t) => num(t.fields.expected))).toEqual([
      expect.closeTo((C * 1199) / 1998, 6),
      expect.closeTo((C * 799) / 1998, 6),
    ]);
    const notMix = new ScribeResults({
      modelType: "nbdm",
      options: { nCells: C, nGenes: G },
      params: {},
      lossHistory: new Float64Array(0),
    });
    await expect(mixtureCompositionPlot(notMix, counts)).rejects.toThrow(/not a mixture/);
  }, 180_000);

  it("per-component PPC: each component's cells against its own predictive", async () => {
    const svg = await renderSvg(
      await mixturePpcPlot(results, counts, { genes: ["gene0", "gene7"], nSamples: 60 }),
    );
    const heads = texts(svg);
    expect(heads).toEqual(expect.arrayContaining(["0: A (120 cells) · gene0", "1: B (80 cells) · gene7"]));
    const pts = drawnMarks(svg, "point");
    const bands = new Map(
      drawnMarks(svg, "bar")
        .filter((b) => "95 %" in b.fields)
        .map((b) => [`${b.fields.gene}|${num(b.fields.count!.split(" – ")[0])}`, b]),
    );
    let inside = 0;
    for (const p of pts) {
      const b = bands.get(`${p.fields.gene}|${num(p.fields.from)}`)!;
      if (
        num(p.fields.observed) >= num(b.fields["5 %"]) - 1e-12 &&
        num(p.fields.observed) <= num(b.fields["95 %"]) + 1e-12
      )
        inside++;
    }
    // observed fraction of zeros of gene0 among type-B cells, computed from the counts
    const x = counts.dataSync();
    const zerosB = truth.filter((t, c) => t === "B" && x[c * G]! === 0).length / NB;
    const p0 = pts.find((p) => p.fields.gene === "1: B (80 cells) · gene0" && num(p.fields.from) === 0)!;
    expect(num(p0.fields.observed)).toBeCloseTo(zerosB, 10);
    console.log(`[plots-mixture] per-component PPC coverage ${inside}/${pts.length}`);
    expect(inside / pts.length).toBeGreaterThan(0.8);
  }, 180_000);

  it("UMAP: seeded, separates the two types, and draws the embedding it computed", async () => {
    const a = await umapEmbedding(counts, { seed: 5, nEpochs: 200 });
    // 5-nearest-neighbour purity in the 2-D embedding
    let pure = 0;
    for (let i = 0; i < C; i++) {
      const d = Array.from(
        { length: C },
        (_, j) => [(a[2 * i]! - a[2 * j]!) ** 2 + (a[2 * i + 1]! - a[2 * j + 1]!) ** 2, j] as const,
      )
        .filter(([, j]) => j !== i)
        .sort((u, v) => u[0] - v[0])
        .slice(0, 5);
      pure += d.filter(([, j]) => truth[j] === truth[i]).length / 5;
    }
    console.log(`[plots-mixture] UMAP 5-NN purity ${(pure / C).toFixed(3)}`);
    expect(pure / C).toBeGreaterThan(0.95);
    const svg = await renderSvg(
      await umapPlot(counts, { seed: 5, nEpochs: 200, colorBy: truth, colorTitle: "type" }),
    );
    expect(axisTitles(svg)).toEqual(["UMAP 1", "UMAP 2"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.length).toBe(C);
    // the plot recomputes the embedding with the same seed: identical coordinates (seeded, reproducible)
    for (const p of pts.slice(0, 30)) {
      const c = Number(p.fields.cell);
      expect(num(p.fields["UMAP 1"])).toBeCloseTo(a[2 * c]!, 6);
      expect(p.fields.type).toBe(truth[c]);
    }
    await expect(umapPlot(counts, { colorBy: ["A"] })).rejects.toThrow(/1 labels for 200 cells/);
  }, 120_000);
});
