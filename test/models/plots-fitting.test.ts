import { tensor } from "@scribe/core";
import { diagnostics } from "@scribe/infer";
import { lossPlot, movingAverage, thinnedSteps } from "@scribe/models/plots/loss.js";
import { diagnosticsPlot } from "@scribe/models/plots/mcmc-diagnostics.js";
import { rankBinCounts, rankPlot } from "@scribe/models/plots/mcmc-rank.js";
import { tracePlot } from "@scribe/models/plots/mcmc-trace.js";
import { renderSvg, renderView } from "@scribe/models/plots/render.js";
import { siteDrawsFromTensors } from "@scribe/models/plots/site-draws.js";
import { describe, expect, it } from "vitest";
import { affineResidual, axisTitles, drawnMarks, num, pathVertices, texts } from "./plots-svg.js";

/** Seeded standard normals (mulberry32 + Box–Muller). */
function normals(seed: number, n: number): Float64Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

// Four chains × 300 draws of a scalar "mu" and a 3-vector "theta" (draw-major); chain 4 of mu is stuck 3 sd away.
const N = 300;
const mu = [0, 1, 2, 3].map((c) => normals(10 + c, N).map((v) => v + (c === 3 ? 3 : 0)));
const theta = [0, 1, 2, 3].map((c) => normals(20 + c, 3 * N));
const draws = [
  { name: "mu", shape: [], chains: mu },
  { name: "theta", shape: [3], chains: theta },
];

describe("fitting plots", () => {
  it("loss: the raw and smoothed curves are drawn at their values on a log axis", async () => {
    const loss = Float64Array.from(
      { length: 5000 },
      (_, i) => 1e5 * Math.exp(-i / 800) + 2000 + 50 * Math.sin(i),
    );
    const spec = lossPlot(loss, { window: 100 });
    const svg = await renderSvg(spec);
    expect(axisTitles(svg)).toEqual(["step", "loss (−ELBO, log scale)"]);
    const lines = drawnMarks(svg, "line mark");
    expect(lines.map((l) => l.fields.curve)).toEqual(["loss", "moving average (100 steps)"]);
    const view = await renderView(spec);
    const ys = view.scale("y") as (v: number) => number;
    const xs = view.scale("x") as (v: number) => number;
    view.finalize();
    const steps = thinnedSteps(5000, 2000);
    const smooth = movingAverage(loss, 100);
    // independent moving average at one step
    expect(smooth[999]).toBeCloseTo(loss.slice(900, 1000).reduce((a, b) => a + b, 0) / 100, 6);
    for (const [k, series] of [loss, smooth].entries()) {
      const v = pathVertices(lines[k]!.d!);
      expect(v.length).toBe(steps.length);
      for (let j = 0; j < v.length; j += 97) {
        expect(v[j]![0]).toBeCloseTo(xs(steps[j]! + 1), 2); // Vega prints 3 decimals
        expect(v[j]![1]).toBeCloseTo(ys(series[steps[j]!]!), 2);
      }
    }
    // log axis: equal ratios give equal pixel gaps
    expect(ys(1e3) - ys(1e4)).toBeCloseTo(ys(1e4) - ys(1e5), 6);
    expect(() => lossPlot([1, Number.NaN])).toThrow(/step 2 is NaN/);
    expect(() => lossPlot([])).toThrow(/empty/);
  });

  it("loss with negative values uses a symlog axis", async () => {
    const svg = await renderSvg(lossPlot([5, 1, -3, -4]));
    expect(axisTitles(svg)[1]).toBe("loss (−ELBO, symlog scale)");
  });

  it("trace: one line per chain and quantity, vertices affine in the draws", async () => {
    const svg = await renderSvg(tracePlot(draws, { maxComponents: 2 }));
    const lines = drawnMarks(svg, "line mark");
    // mu, theta[0], theta[1] × 4 chains
    expect(lines.length).toBe(12);
    expect(texts(svg)).toEqual(expect.arrayContaining(["mu", "theta[0]", "theta[1]"]));
    for (const l of lines) {
      const c = Number(l.fields.chain) - 1;
      const v = pathVertices(l.d!);
      expect(v.length).toBe(N);
      const first = num(l.fields.value);
      // which series is this? the first draw identifies it
      const series = [
        mu[c]!,
        Float64Array.from({ length: N }, (_, i) => theta[c]![3 * i]!),
        Float64Array.from({ length: N }, (_, i) => theta[c]![3 * i + 1]!),
      ].find((s) => Math.abs(s[0]! - first) < 1e-9)!;
      expect(series).toBeDefined();
      const fit = affineResidual(
        Array.from(series),
        v.map((p) => p[1]),
      );
      expect(fit.slope).toBeLessThan(0); // larger values higher up
      expect(fit.maxResidual).toBeLessThan(2e-3);
    }
  });

  it("rank: per-chain bar heights are the pooled-rank bin counts; a stuck chain piles up at the top", async () => {
    const counts = rankBinCounts(mu, 10);
    // independent: chain 4's draws are all above the others' median, so its ranks are high
    expect(counts[3]!.slice(5).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.95 * N);
    for (const c of counts) expect(c.reduce((a, b) => a + b, 0)).toBe(N);
    const svg = await renderSvg(rankPlot(draws, { sites: ["mu"], bins: 10 }));
    const bars = drawnMarks(svg, "bar");
    expect(bars.length).toBe(40);
    const drawn = [0, 1, 2, 3].map((c) =>
      bars.filter((b) => b.fields.chain === String(c + 1)).map((b) => num(b.fields.draws)),
    );
    expect(drawn).toEqual(counts);
    // the uniform reference rule of each panel sits at N / bins
    const rules = drawnMarks(svg, "rule mark");
    expect(rules.map((r) => num(r.fields.uniform))).toEqual([30, 30, 30, 30]);
    expect(() => rankPlot(draws, { sites: ["nope"] })).toThrow(/no site "nope"/);
  });

  it("diagnostics: R-hat and bulk/tail ESS of infer's summary, with thresholds", async () => {
    const rows = diagnostics.summary(draws);
    const svg = await renderSvg(diagnosticsPlot(rows, { numChains: 4 }));
    expect(axisTitles(svg)).toEqual(["R-hat (rank-normalized split)", "effective sample size"]);
    const pts = drawnMarks(svg, "point");
    const rhat = pts.filter((p) => "R-hat (rank-normalized split)" in p.fields);
    expect(rhat.length).toBe(4);
    for (const r of rows) {
      const p = rhat.find((q) => q.fields.parameter === r.name)!;
      expect(num(p.fields["R-hat (rank-normalized split)"])).toBeCloseTo(r.rHat, 9);
    }
    // the stuck chain makes mu's R-hat the only one above 1.01
    expect(rhat.filter((p) => p.fields[`R-hat ≤ 1.01`] === "high").map((p) => p.fields.parameter)).toEqual([
      "mu",
    ]);
    const ess = pts.filter((p) => "effective sample size" in p.fields);
    expect(ess.length).toBe(8);
    const bulkMu = ess.find((p) => p.fields.parameter === "mu" && p.fields.ESS === "bulk")!;
    expect(num(bulkMu.fields["effective sample size"])).toBeCloseTo(rows[0]!.nEff, 6);
    expect(drawnMarks(svg, "rule mark").map((r) => num(r.fields.t))).toEqual([1.01, 400]);
  });

  it("site draws from tensors of draws (flat chains) read with await", async () => {
    const flat = tensor(
      Array.from({ length: 2 * 5 * 2 }, (_, i) => i),
      { dtype: "float64", shape: [10, 2] },
    );
    const sd = await siteDrawsFromTensors({ w: flat }, { numChains: 2 });
    expect(sd[0]!.shape).toEqual([2]);
    expect(Array.from(sd[0]!.chains[1]!)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await expect(siteDrawsFromTensors({ w: flat }, { numChains: 3 })).rejects.toThrow(
      /10 draws, not a multiple of 3 chains/,
    );
  });
});
