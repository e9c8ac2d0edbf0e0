/**
 * `savePlot(spec, path)`: write a plot spec as SVG (Vega's renderer) or PNG (the SVG
 * rasterized by resvg, with the system's DejaVu/Liberation fonts). Node-only.
 * @module
 */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { renderSvg } from "./render.js";
import type { PlotSpec } from "./spec.js";

/** Options of {@link savePlot} and {@link svgToPng}. */
export interface SavePlotOptions {
  /** Pixel scale of PNG output (default 2, for sharp text on high-density screens). */
  scale?: number;
}

/** Rasterize an SVG document to PNG bytes with resvg (system fonts, white background). */
export async function svgToPng(svg: string, opts: SavePlotOptions = {}): Promise<Uint8Array> {
  const { Resvg } = await import("@resvg/resvg-js");
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/**
 * Write `spec` to `path`: `.svg` as Vega renders it, `.png` rasterized from that SVG. Any
 * other extension is an error naming the path.
 * @example
 * ```ts
 * await savePlot(lossPlot(results.lossHistory), "loss.svg");
 * ```
 */
export async function savePlot(spec: PlotSpec, path: string, opts: SavePlotOptions = {}): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext !== ".svg" && ext !== ".png")
    throw new Error(`savePlot: ${path}: unsupported extension "${ext}"; use .svg or .png`);
  const svg = await renderSvg(spec);
  await writeFile(path, ext === ".svg" ? svg : await svgToPng(svg, opts));
}
