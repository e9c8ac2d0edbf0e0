import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { lossPlot, renderSvg, volcanoPlot } from "@scribe/models";
import { savePlot } from "@scribe/models/io/node.js";
import { afterAll, describe, expect, it } from "vitest";
import { drawnMarks } from "./plots-svg.js";

const dir = mkdtempSync(join(tmpdir(), "scribe-plots-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decode an 8-bit RGBA/RGB non-interlaced PNG (what resvg writes): size and pixels, filters undone (PNG spec §9). */
function decodePng(buf: Uint8Array): {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
} {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  sig.forEach((b, i) => {
    if (buf[i] !== b) throw new Error("not a PNG");
  });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  while (off < buf.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...buf.subarray(off + 4, off + 8));
    const body = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(off + 8);
      height = dv.getUint32(off + 12);
      if (body[8] !== 8 || body[12] !== 0) throw new Error("only 8-bit non-interlaced");
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      if (!channels) throw new Error(`colour type ${body[9]}`);
    } else if (type === "IDAT") idat.push(body);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? px[y * stride + x - channels]! : 0;
      const b = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred =
        f === 0
          ? 0
          : f === 1
            ? a
            : f === 2
              ? b
              : f === 3
                ? (a + b) >> 1
                : pa <= pb && pa <= pc
                  ? a
                  : pb <= pc
                    ? b
                    : c;
      px[y * stride + x] = (v + pred) & 255;
    }
  }
  return { width, height, channels, pixels: px };
}

const table = {
  gene: ["A", "B", "C", "D"],
  log2FC: Float64Array.from([3, -2.5, 0.2, 1.5]),
  statistic: new Float64Array(4),
  pval: Float64Array.from([1e-8, 1e-4, 0.6, 0.01]),
  padj: Float64Array.from([4e-8, 2e-4, 0.6, 0.013]),
  dispersion: new Float64Array(4),
  df1: 1,
  df2: 20,
  method: "ql" as const,
};

describe("savePlot and display", () => {
  it("writes the SVG Vega renders", async () => {
    const spec = volcanoPlot(table);
    const path = join(dir, "volcano.svg");
    await savePlot(spec, path);
    const svg = readFileSync(path, "utf8");
    expect(svg).toBe(await renderSvg(spec));
    expect(drawnMarks(svg, "point").length).toBe(4);
  });

  it("writes a PNG of the chart's size (×2) with the marks' colours on a white background", async () => {
    const spec = volcanoPlot(table, { width: 300, height: 200 });
    const svg = await renderSvg(spec);
    const w = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    const h = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
    const path = join(dir, "volcano.png");
    await savePlot(spec, path);
    const png = decodePng(readFileSync(path));
    expect([png.width, png.height]).toEqual([2 * w, 2 * h]);
    const n = png.width * png.height;
    let white = 0;
    let red = 0;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = [
        png.pixels[i * png.channels]!,
        png.pixels[i * png.channels + 1]!,
        png.pixels[i * png.channels + 2]!,
      ];
      if (r > 250 && g > 250 && b > 250) white++;
      // the "up" colour #d6604d (214, 96, 77) at opacity 0.75 over white: (224, 136, 122)
      if (Math.abs(r - 224) < 12 && Math.abs(g - 136) < 12 && Math.abs(b - 122) < 12) red++;
    }
    expect(white / n).toBeGreaterThan(0.5); // background
    expect(white / n).toBeLessThan(0.99); // not blank: axes, text, points
    expect(red).toBeGreaterThan(20); // the two "up" points are drawn
    await expect(savePlot(spec, join(dir, "x.pdf"))).rejects.toThrow(
      /x\.pdf: unsupported extension "\.pdf"; use \.svg or \.png/,
    );
  });

  it("specs are plain JSON that display themselves in Jupyter (SVG + Vega-Lite bundle)", async () => {
    const spec = lossPlot([10, 5, 3]);
    expect(Object.keys(spec)).not.toContain(Symbol.for("Jupyter.display"));
    const json = JSON.parse(JSON.stringify(spec));
    expect(json.$schema).toMatch(/vega-lite\/v6/);
    const display = (spec as unknown as Record<symbol, () => Promise<Record<string, unknown>>>)[
      Symbol.for("Jupyter.display")
    ]!;
    const bundle = await display.call(spec);
    // the same drawing (clip-path ids are numbered per render)
    const ids = (t: unknown) => String(t).replace(/clip\d+/g, "clip");
    expect(ids(bundle["image/svg+xml"])).toBe(ids(await renderSvg(spec)));
    expect((bundle["application/vnd.vegalite.v5+json"] as { data: unknown }).data).toEqual(json.data);
    expect(bundle["text/plain"]).toMatch(/Loss history/);
  });
});

describe("results and DE tables display themselves", () => {
  it("a DE table shows its top genes by p-value; the table stays plain data", async () => {
    const { nbFit, nbTest } = await import("@scribe/models/de/index.js");
    const { simulateTwoGroup } = await import("@scribe/models/de/simulate.js");
    const sim = simulateTwoGroup({ nGenes: 60, nPerGroup: 5, seed: 3 });
    const t = nbTest(nbFit(sim.counts, { conditions: sim.conditions, reference: "A" }), {
      contrast: "conditionB",
    });
    expect(Object.keys(t)).toEqual([
      "gene",
      "log2FC",
      "statistic",
      "pval",
      "padj",
      "dispersion",
      "df1",
      "df2",
      "method",
    ]);
    const bundle = (t as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ]!();
    const lines = bundle["text/plain"]!.split("\n");
    const best = t.gene.map((_, i) => i).sort((a, b) => t.pval[a]! - t.pval[b]!)[0]!;
    expect(lines[0]).toMatch(/^DE table \(ql\): 60 genes, \d+ with padj < 0\.05; top 20 by p-value$/);
    expect(lines[2]!.startsWith(t.gene[best]!)).toBe(true);
    expect(lines).toHaveLength(22);
    expect(bundle["text/html"]).toContain(`<td>${t.gene[best]}</td>`);
  });

  it("results show a summary table", async () => {
    const { key, random, tensor } = await import("@scribe/core");
    const { fit } = await import("@scribe/models");
    const { results } = await fit(random.poisson(key(1), tensor(3), [20, 4]), { model: "nbdm", nSteps: 3 });
    const b = (results as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ]!();
    expect(b["text/plain"]).toMatch(/model\s+nbdm/);
    expect(b["text/plain"]).toMatch(/cells × genes\s+20 × 4/);
    expect(b["text/plain"]).toMatch(/steps\s+3/);
    expect(b["text/plain"]).toMatch(/r_loc \[4\]/);
    expect(b["text/html"]).toContain("<td>nbdm</td>");
  }, 180_000);
});
