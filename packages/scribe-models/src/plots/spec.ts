/**
 * The plot-spec type shared by every plot function: a plain Vega-Lite JSON object (usable in
 * any runtime, serializable with `JSON.stringify`) that also displays itself in Deno's
 * Jupyter kernel through a non-enumerable `Symbol.for("Jupyter.display")` method, plus the
 * house theme (text sizes legible at the default size) and the common options.
 * @module
 */

/** The Vega-Lite schema our specs are written against (vega-lite 6). */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** A Vega-Lite specification (plain JSON). */
export interface PlotSpec {
  /** The Vega-Lite schema URL. */
  readonly $schema: string;
  readonly [key: string]: unknown;
}

/** Options every plot function accepts. */
export interface PlotOptions {
  /** Width of one panel in pixels (each plot has its own default). */
  width?: number;
  /** Height of one panel in pixels. */
  height?: number;
  /** Title above the chart (each plot has its own default; `""` for none). */
  title?: string;
  /** Colours of the categories or series, in order (a default palette otherwise). */
  colors?: readonly string[];
}

/** The default categorical palette (Tableau 10, colour-blind aware ordering as in Vega's). */
export const DEFAULT_COLORS: readonly string[] = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/**
 * The house theme: text at 12–15 px (legible when a chart is shown at its natural size or
 * printed on an A4 page), a white background, no outer frame on single views.
 */
export const THEME = {
  background: "white",
  font: "DejaVu Sans, Liberation Sans, Arial, sans-serif",
  title: { fontSize: 15, anchor: "start", offset: 8 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", labelLimit: 180 },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal" },
  header: { labelFontSize: 12, titleFontSize: 13, labelFontWeight: "bold" },
  view: { stroke: "#ddd" },
} as const;

/** The symbol Deno's Jupyter kernel calls to display an object. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/**
 * Mime bundle of a spec for Jupyter: the chart rendered to SVG by Vega (when vega and
 * vega-lite can be loaded), the Vega-Lite JSON for front ends that draw it themselves, and a
 * one-line text fallback.
 */
export async function jupyterBundle(spec: PlotSpec): Promise<Record<string, unknown>> {
  const title =
    typeof spec.title === "string"
      ? spec.title
      : typeof (spec.title as { text?: unknown })?.text === "string"
        ? (spec.title as { text: string }).text
        : "chart";
  const bundle: Record<string, unknown> = {
    "text/plain": `<Vega-Lite chart: ${title}>`,
    // JupyterLab's renderer registers the v5 mime type; our specs use no v6-only feature.
    "application/vnd.vegalite.v5+json": {
      ...spec,
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    },
  };
  try {
    const { renderSvg } = await import("./render.js");
    bundle["image/svg+xml"] = await renderSvg(spec);
  } catch {
    // Without vega the front end's own Vega-Lite renderer draws the JSON.
  }
  return bundle;
}

/**
 * Finish a spec: add the schema, the theme and the title, and attach the Jupyter display
 * method (non-enumerable, so the object stays plain JSON).
 */
export function plotSpec(body: Record<string, unknown>, title: string | undefined): PlotSpec {
  const spec: Record<string, unknown> = { $schema: VEGA_LITE_SCHEMA, ...(title ? { title } : {}), ...body };
  spec.config = { ...THEME, ...((body.config as Record<string, unknown>) ?? {}) };
  return withDisplay(spec as PlotSpec);
}

/** Attach the Jupyter display method to a Vega-Lite spec (returns the same object). */
export function withDisplay<T extends PlotSpec>(spec: T): T {
  Object.defineProperty(spec, JUPYTER_DISPLAY, {
    value: function display(this: PlotSpec) {
      return jupyterBundle(this);
    },
    enumerable: false,
    configurable: true,
  });
  return spec;
}

/** Colour scale for categories: the given colours, else the default palette. */
export function colorScale(opts: PlotOptions, domain?: readonly string[]): Record<string, unknown> {
  return { ...(domain ? { domain: [...domain] } : {}), range: [...(opts.colors ?? DEFAULT_COLORS)] };
}
