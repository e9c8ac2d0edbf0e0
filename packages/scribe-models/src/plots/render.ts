/**
 * Rendering plot specs with Vega's own headless renderer (no browser, no canvas): Vega-Lite
 * compiles the spec to Vega, a Vega `View` with the `none` renderer lays it out, and
 * `toSVG` writes the scene graph. Plain ESM (vega and vega-lite are loaded on first use), so
 * it runs in Node, Deno and browsers alike.
 * @module
 */
import type { View } from "vega";
import type { PlotSpec } from "./spec.js";

/** Compile a Vega-Lite spec to a Vega spec. */
export async function compileToVega(spec: PlotSpec): Promise<Record<string, unknown>> {
  const vl = await import("vega-lite");
  // Vega tags the data objects it ingests; compile a copy so the caller's spec stays plain JSON.
  return vl.compile(JSON.parse(JSON.stringify(spec))).spec as unknown as Record<string, unknown>;
}

/**
 * A laid-out Vega view of a spec (already run). Tests read its scales and data; call
 * `view.finalize()` when done.
 */
export async function renderView(spec: PlotSpec): Promise<View> {
  const vega = await import("vega");
  // biome-ignore lint/suspicious/noExplicitAny: the compiled spec is Vega JSON.
  const view = new vega.View(vega.parse((await compileToVega(spec)) as any), { renderer: "none" });
  await view.runAsync();
  return view;
}

/** Render a spec to an SVG document (text). `scale` multiplies the pixel size (default 1). */
export async function renderSvg(spec: PlotSpec, scale = 1): Promise<string> {
  const view = await renderView(spec);
  try {
    return await view.toSVG(scale);
  } finally {
    view.finalize();
  }
}
