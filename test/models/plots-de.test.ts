import { nbFit, nbTest } from "@scribe/models/de/index.js";
import { simulateTwoGroup } from "@scribe/models/de/simulate.js";
import { maPlot } from "@scribe/models/plots/ma-plot.js";
import { pvalueBinCounts, pvalueHistogram } from "@scribe/models/plots/pvalue-histogram.js";
import { renderSvg, renderView } from "@scribe/models/plots/render.js";
import { volcanoPlot } from "@scribe/models/plots/volcano.js";
import { describe, expect, it } from "vitest";
import { axisTitles, drawnMarks, num, texts } from "./plots-svg.js";

// A small simulated two-group experiment (200 genes, 6 vs 6, 20 % DE) tested by the NB-GLM.
const sim = simulateTwoGroup({ nGenes: 200, nPerGroup: 6, deFraction: 0.2, seed: 7, lfcShift: 1 });
const table = nbTest(nbFit(sim.counts, { conditions: sim.conditions, reference: "A" }), {
  contrast: "conditionB",
});
const finite = table.gene
  .map((_, i) => i)
  .filter((i) => Number.isFinite(table.padj[i]!) && Number.isFinite(table.log2FC[i]!));

describe("DE plots", () => {
  it("volcano: one point per gene at (log2FC, −log10 padj), coloured by call, top genes labelled", async () => {
    const spec = volcanoPlot(table, { labelTop: 5 });
    const svg = await renderSvg(spec);
    expect(axisTitles(svg)).toEqual(["log2 fold change", "−log10 padj"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.length).toBe(finite.length);
    // The drawn values are the table's, gene by gene (Vega prints 12 significant digits).
    const byGene = new Map(pts.map((p) => [p.fields.gene!, p]));
    for (const i of finite) {
      const p = byGene.get(table.gene[i]!)!;
      expect(num(p.fields["log2 fold change"])).toBeCloseTo(table.log2FC[i]!, 9);
      expect(num(p.fields["−log10 padj"])).toBeCloseTo(-Math.log10(Math.max(table.padj[i]!, 1e-300)), 9);
      const call =
        table.padj[i]! < 0.05 && Math.abs(table.log2FC[i]!) >= 1
          ? table.log2FC[i]! > 0
            ? "up"
            : "down"
          : "not significant";
      expect(p.fields.call).toBe(call);
    }
    // Positions follow the scales: pixel x of each point = the x scale at its log2FC.
    const view = await renderView(spec);
    const xs = view.scale("x") as (v: number) => number;
    for (const p of pts.slice(0, 20)) expect(p.x!).toBeCloseTo(xs(num(p.fields["log2 fold change"])), 6);
    view.finalize();
    // Labels: the 5 most significant called genes.
    const called = finite
      .filter((i) => table.padj[i]! < 0.05 && Math.abs(table.log2FC[i]!) >= 1)
      .sort((a, b) => table.padj[a]! - table.padj[b]!);
    const labels = drawnMarks(svg, "text mark").map((m) => m.fields.gene);
    expect(labels.sort()).toEqual(
      called
        .slice(0, 5)
        .map((i) => table.gene[i]!)
        .sort(),
    );
    expect(called.length).toBeGreaterThan(10); // the simulation has real effects to draw
  });

  it("volcano of a Bayesian table uses the lfsr and Δ's posterior mean", async () => {
    const bt = {
      gene: ["g1", "g2", "g3", "g4"],
      mean: [1.5, -0.8, 0.01, Number.NaN],
      lfsr: [1e-4, 0.01, 0.6, 0.2],
    };
    const svg = await renderSvg(volcanoPlot(bt));
    expect(axisTitles(svg)).toEqual(["posterior mean Δ (log ratio)", "−log10 lfsr"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.map((p) => p.fields.gene)).toEqual(["g1", "g2", "g3"]); // the NaN row is left out
    expect(pts.map((p) => p.fields.call)).toEqual(["up", "down", "not significant"]);
    expect(num(pts[0]!.fields["−log10 lfsr"])).toBeCloseTo(4, 9);
    expect(texts(svg).some((s) => s.includes("1 without a test left out"))).toBe(true);
  });

  it("MA plot: mean on a log axis against log2FC for genes with positive mean", async () => {
    const mean = Float64Array.from(sim.trueMean);
    mean[finite[0]!] = 0;
    const svg = await renderSvg(maPlot(table, mean));
    expect(axisTitles(svg)).toEqual(["mean expression", "log2 fold change"]);
    const pts = drawnMarks(svg, "point");
    expect(pts.length).toBe(finite.length - 1);
    const byGene = new Map(pts.map((p) => [p.fields.gene!, p]));
    for (const i of finite.slice(1)) {
      expect(num(byGene.get(table.gene[i]!)!.fields["mean expression"]) / mean[i]!).toBeCloseTo(1, 9);
      expect(num(byGene.get(table.gene[i]!)!.fields["log2 fold change"])).toBeCloseTo(table.log2FC[i]!, 9);
    }
    expect(() => maPlot(table, new Float64Array(3))).toThrow(/meanExpression has 3 values for 200 genes/);
  });

  it("p-value histogram: bar heights are the bin counts, bars start at zero", async () => {
    const counts = pvalueBinCounts(table.pval, 20);
    // independent count of the first bin
    expect(counts[0]).toBe(Array.from(table.pval).filter((p) => p < 0.05).length);
    const svg = await renderSvg(pvalueHistogram(table));
    expect(axisTitles(svg)).toEqual(["p-value", "genes"]);
    const bars = drawnMarks(svg, "bar");
    expect(bars.map((b) => num(b.fields.genes))).toEqual(counts);
    // rect path "Mx,yhWvHh-WZ": every bar reaches the baseline (same y + height)
    const bottoms = bars.map((b) => {
      const m = /^M[-\d.e]+,([-\d.e]+)h[-\d.e]+v([-\d.e]+)/.exec(b.d!)!;
      return Number(m[1]) + Number(m[2]);
    });
    for (const y of bottoms) expect(y).toBeCloseTo(bottoms[0]!, 6);
    expect(() => pvalueHistogram({ pval: Float64Array.from([0.5, 1.5]) })).toThrow(/outside \[0, 1\]/);
  });
});
