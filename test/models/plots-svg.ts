/**
 * Reading back what Vega drew: the SVG of a rendered spec parsed into its marks. Vega writes
 * each data-bound mark with an `aria-label` listing the encoded fields as `title: value`
 * pairs (numbers to 12 significant digits, with U+2212 minus signs) and its position in a
 * `transform`/path; tests compare those with the values they passed in.
 */

/** One drawn mark. */
export interface DrawnMark {
  /** Vega's role description: "point", "bar", "rule mark", "text mark", "line mark", ... */
  role: string;
  /** The aria-label's `title: value` pairs. */
  fields: Record<string, string>;
  /** translate(x, y) of the mark, when it has one. */
  x?: number;
  y?: number;
  /** The path data, for rects and lines. */
  d?: string;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A number as Vega formats it (U+2212 minus, thousands commas). */
export function num(s: string | undefined): number {
  if (s === undefined) return Number.NaN;
  return Number(s.replace(/\u2212/g, "-").replace(/,/g, ""));
}

/** Every element carrying both an aria-label and an aria-roledescription, optionally of one role. */
export function drawnMarks(svg: string, role?: string): DrawnMark[] {
  const out: DrawnMark[] = [];
  const re = /<(path|line|text|rect|g)\s([^>]*?)\/?>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const attrs = m[2]!;
    const label = /aria-label="([^"]*)"/.exec(attrs)?.[1];
    const r = /aria-roledescription="([^"]*)"/.exec(attrs)?.[1];
    if (label === undefined || r === undefined) continue;
    if (role !== undefined && r !== role) continue;
    if (/role-axis|role-legend|role-title|title|axis|legend/.test(r)) {
      if (role === undefined) continue;
    }
    const fields: Record<string, string> = {};
    for (const part of unescapeXml(label).split("; ")) {
      const i = part.indexOf(": ");
      if (i > 0) fields[part.slice(0, i)] = part.slice(i + 2);
    }
    const tr = /transform="translate\(([-\d.e]+),([-\d.e]+)\)/.exec(attrs);
    const d = /\sd="([^"]*)"/.exec(attrs)?.[1];
    out.push({ role: r, fields, ...(tr ? { x: Number(tr[1]), y: Number(tr[2]) } : {}), ...(d ? { d } : {}) });
  }
  return out;
}

/** Axis titles (from the axes' aria-labels: "X-axis titled '...'"). */
export function axisTitles(svg: string): string[] {
  return [...svg.matchAll(/aria-label="[XY]-axis titled '([^']*)'/g)].map((m) => unescapeXml(m[1]!));
}

/** All visible text content. */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeXml(m[1]!));
}

/** Vertices of an SVG path made of M/L commands (Vega's line marks). */
export function pathVertices(d: string): [number, number][] {
  return [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Largest residual of the least-squares line y ≈ a + b·x (0 when y is exactly affine in x). */
export function affineResidual(
  x: readonly number[],
  y: readonly number[],
): { slope: number; maxResidual: number } {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const b = sxy / sxx;
  let r = 0;
  for (let i = 0; i < n; i++) r = Math.max(r, Math.abs(y[i]! - (my + b * (x[i]! - mx))));
  return { slope: b, maxResidual: r };
}
