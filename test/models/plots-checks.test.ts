import { type Tensor, tensor } from "@scribe/core";
import type { ScribeResults } from "@scribe/models";
import { capturePlot } from "@scribe/models/plots/capture.js";
import { ecdfPlot } from "@scribe/models/plots/ecdf.js";
import { meanCalibrationPlot } from "@scribe/models/plots/mean-calibration.js";
import { ppcPlot } from "@scribe/models/plots/ppc.js";
import { genesAcrossExpression } from "@scribe/models/plots/predictive-data.js";
import { qqPairs, qqPlot } from "@scribe/models/plots/qq.js";
import { renderSvg } from "@scribe/models/plots/render.js";
import { beforeAll, describe, expect, it } from "vitest";
import { C, G, NU_TRUE, P_HAT, R_TRUE, simulatedCounts, trueResults } from "./plots-fixture.js";
import { axisTitles, drawnMarks, num, pathVertices } from "./plots-svg.js";

let counts: Tensor;
let x: Float32Array;
let results: ScribeResults;
beforeAll(async () => {
  counts = simulatedCounts();
  x = counts.dataSync() as Float32Array;
  results = await trueResults(counts);
}, 180_000);

const column = (g: number) => Array.from({ length: C }, (_, c) => x[c * G + g]!);

/** Coverage of the observed points by the 90 % bars of a rendered PPC (matched by gene and bin). */
function ppcCoverage(svg: string): { inside: number; total: number; observed: Map<string, number> } {
  const bands = drawnMarks(svg, "bar").filter((b) => "95 %" in b.fields);
  const pts = drawnMarks(svg, "point");
  const band = new Map(bands.map((b) => [`${b.fields.gene}|${num(b.fields.count!.split(" – ")[0])}`, b]));
  let inside = 0;
  const observed = new Map<string, number>();
  for (const p of pts) {
    const k = `${p.fields.gene}|${num(p.fields.from)}`;
    const b = band.get(k)!;
    const o = num(p.fields.observed);
    observed.set(k, o);
    if (o >= num(b.fields["5 %"]) - 1e-12 && o <= num(b.fields["95 %"]) + 1e-12) inside++;
  }
  return { inside, total: pts.length, observed };
}

describe("posterior predictive plots (nbvcp at its true parameters)", () => {
  it("genes are spread across expression levels", () => {
    expect(genesAcrossExpression([5, 0, 1, 3, 2, 4], 3)).toEqual([2, 3, 0]);
  });

  it("PPC: observed histogram drawn as computed from the counts, inside the 90 % bands where the model is right", async () => {
    const spec = await ppcPlot(results, counts, { genes: ["g0", "g5", "g11"], nSamples: 100 });
    const svg = await renderSvg(spec);
    expect(axisTitles(svg)).toContain("fraction of cells");
    expect(axisTitles(svg)).toContain("count");
    const cov = ppcCoverage(svg);
    // independent histogram of g5: fraction of cells with count exactly 2 (bins are single counts: cap ≤ 39)
    const g5 = column(5);
    expect(cov.observed.get("g5|2")).toBeCloseTo(g5.filter((v) => v === 2).length / C, 10);
    expect(cov.observed.get("g0|0")).toBeCloseTo(column(0).filter((v) => v === 0).length / C, 10);
    // fractions of each gene sum to 1 over its bins (the last bin takes the tail)
    for (const g of ["g0", "g5", "g11"]) {
      const sum = [...cov.observed.entries()]
        .filter(([k]) => k.startsWith(`${g}|`))
        .reduce((a, [, v]) => a + v, 0);
      expect(sum).toBeCloseTo(1, 10);
    }
    console.log(`[plots-checks] PPC coverage at the truth: ${cov.inside}/${cov.total}`);
    expect(cov.inside / cov.total).toBeGreaterThan(0.8);
  }, 120_000);

  it("PPC: a model that is wrong (counts doubled) leaves the bands", async () => {
    const doubled = counts.mul(2);
    const svg = await renderSvg(await ppcPlot(results, doubled, { genes: ["g5", "g11"], nSamples: 50 }));
    const cov = ppcCoverage(svg);
    console.log(`[plots-checks] PPC coverage of doubled counts: ${cov.inside}/${cov.total}`);
    expect(cov.inside / cov.total).toBeLessThan(0.6);
  }, 120_000);

  it("ECDF: the observed step curve is the empirical CDF of the counts", async () => {
    const svg = await renderSvg(await ecdfPlot(results, counts, { genes: ["g3"], nSamples: 40 }));
    expect(axisTitles(svg).sort()).toEqual(["count", "fraction of cells ≤ count"]);
    const lines = drawnMarks(svg, "line mark");
    const obs = lines.find((l) => l.fields.curve === "observed")!;
    const med = lines.find((l) => l.fields.curve === "predicted median")!;
    expect(obs.fields.gene).toBe("g3");
    const g3 = column(3);
    const H = 120; // panel height, y domain [0, 1]
    // step-after: vertices come in pairs at each count; the distinct heights are F(0), F(1), ...
    const ys = pathVertices(obs.d!).map((v) => v[1]);
    const heights = ys.filter((y, i) => i === 0 || Math.abs(y - ys[i - 1]!) > 1e-9);
    const F = (k: number) => g3.filter((v) => v <= k).length / C;
    const expected: number[] = [];
    for (let k = 0; expected.length < heights.length; k++) {
      const h = H * (1 - F(k));
      if (expected.length === 0 || Math.abs(h - expected[expected.length - 1]!) > 1e-9) expected.push(h);
    }
    for (let i = 0; i < heights.length; i++) expect(heights[i]).toBeCloseTo(expected[i]!, 2);
    // the predicted median stays near the observed curve for the true model
    const my = pathVertices(med.d!).map((v) => v[1]);
    const oy = pathVertices(obs.d!).map((v) => v[1]);
    expect(Math.max(...my.map((y, i) => Math.abs(y - oy[i]!)))).toBeLessThan(0.12 * H);
  }, 120_000);

  it("mean calibration: observed means from the counts, predicted means near the closed form", async () => {
    const svg = await renderSvg(await meanCalibrationPlot(results, counts, { nSamples: 20 }));
    expect(axisTitles(svg)).toEqual(["observed mean count", "predicted mean count"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.length).toBe(G);
    for (const p of pts) {
      const g = Number(p.fields.gene!.slice(1));
      const obsMean = column(g).reduce((a, b) => a + b, 0) / C;
      expect(num(p.fields["observed mean count"])).toBeCloseTo(obsMean, 8);
      // E[u_cg] = r_g p̂_c / (1 − p̂_c), averaged over cells (NB mean in the probs convention)
      const truth = P_HAT.reduce((a, ph) => a + (R_TRUE[g]! * ph) / (1 - ph), 0) / C;
      expect(Math.abs(num(p.fields["predicted mean count"]) / truth - 1)).toBeLessThan(0.1);
    }
  }, 120_000);

  it("capture: MAP capture probabilities against library sizes", async () => {
    const svg = await renderSvg(await capturePlot(results, counts));
    expect(axisTitles(svg)).toEqual([
      "capture probability (MAP)",
      "cells",
      "library size (total counts)",
      "capture probability (MAP)",
    ]);
    const bars = drawnMarks(svg, "bar");
    expect(bars.reduce((a, b) => a + num(b.fields.cells), 0)).toBe(C);
    const pts = drawnMarks(svg, "point");
    const lib = Array.from({ length: C }, (_, c) =>
      Array.from({ length: G }, (_, g) => x[c * G + g]!).reduce((a, b) => a + b, 0),
    );
    expect(pts.length).toBe(lib.filter((l) => l > 0).length);
    for (const p of pts.slice(0, 50)) {
      const c = Number(p.fields.cell);
      expect(num(p.fields["library size (total counts)"])).toBe(lib[c]);
      // the guide is Beta(1e4 ν, 1e4 (1 − ν)): its mode is ν within 1e-3
      expect(num(p.fields["capture probability (MAP)"])).toBeCloseTo(NU_TRUE[c]!, 2);
    }
    // nbdm has no capture: a clear error
    const noCap = {
      ...results,
      modelType: "nbdm",
      getMap: () => ({ r: tensor([1]) }),
    } as unknown as ScribeResults;
    await expect(capturePlot(noCap)).rejects.toThrow(/model nbdm has no per-cell capture probability/);
  }, 120_000);

  it("QQ: sorted residuals against normal quantiles", async () => {
    const r = Array.from({ length: 20 }, (_, i) => (i - 9.5) / 3);
    const pairs = qqPairs(r);
    // Φ⁻¹(19.5/20) = Φ⁻¹(0.975) = 1.959963984540054 (closed-form table value)
    expect(pairs[19]!.theoretical).toBeCloseTo(1.959963984540054, 9);
    expect(pairs[19]!.sample).toBeCloseTo(9.5 / 3, 12);
    const svg = await renderSvg(qqPlot({ nbdm: r, zinb: r.map((v) => v * 2) }));
    expect(axisTitles(svg)).toEqual(["standard normal quantile", "quantile residual"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.length).toBe(40);
    expect(
      pts.filter((p) => p.fields.group === "zinb").map((p) => num(p.fields["quantile residual"])),
    ).toEqual(expect.arrayContaining([expect.closeTo(19 / 3, 9)]));
  });
});
