/**
 * How a tensor shows itself: a NumPy-like repr (nested brackets, values aligned in a shared
 * format, long axes abridged with "..." as NumPy does past 1000 elements) with the shape and
 * dtype. Used by `util.inspect` in Node (`Symbol.for("nodejs.util.inspect.custom")`, so core
 * needs no `node:` import) and by Deno's Jupyter kernel (`Symbol.for("Jupyter.display")`).
 * Display may read values synchronously on the CPU (display only); on WebGPU it shows the
 * shape and dtype and says that values need `await t.data()`.
 * @module
 */
import type { DType } from "./dtype.js";

/** Options of {@link formatValues} (NumPy's print options). */
export interface FormatOptions {
  /** Abridge when the tensor has more elements than this (default 1000). */
  threshold?: number;
  /** Items kept at each end of an abridged axis (default 3). */
  edgeItems?: number;
  /** Most digits after the point (default 4 for float32, 8 for float64). */
  precision?: number;
  /** Line width before wrapping a row (default 75). */
  lineWidth?: number;
}

/** The part of a tensor display needs (avoids importing the class, which imports this file). */
interface Displayable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  readonly isDisposed: boolean;
  readonly backend: { readonly name: string; readSync?: unknown };
  dataSync?: () => ArrayLike<number>;
}

/**
 * NumPy's default float format ("maxprec"): fixed notation with the fewest digits (at most
 * `precision`) that show every value, trailing zeros trimmed and padded with spaces so points
 * align; scientific notation when the magnitudes span more than 10³ or leave [1e−4, 1e8).
 */
function floatFormatter(vals: number[], precision: number): (v: number) => string {
  const finite = vals.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((a) => a > 0);
  const max = abs.length ? Math.max(...abs) : 0;
  const min = abs.length ? Math.min(...abs) : 0;
  const sci = max >= 1e8 || (min > 0 && min < 1e-4) || (min > 0 && max / min > 1e3);
  const special = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
  let d = 0;
  const exact = (v: number, k: number) => (sci ? Number(v.toExponential(k)) : Number(v.toFixed(k)));
  for (const v of finite) while (d < precision && exact(v, d) !== exact(v, precision)) d++;
  if (sci) {
    // mantissa digits shared (zero-filled), two-digit exponent: 1.0e-05, 1.e+09
    const one = (v: number) => {
      const [m, e] = v.toExponential(d).split("e") as [string, string];
      const exp = `${e[0]}${e.slice(1).padStart(2, "0")}`;
      return `${d === 0 ? `${m}.` : m}e${exp}`;
    };
    const w = Math.max(0, ...finite.map((v) => one(v).length));
    return (v) => (Number.isFinite(v) ? one(v) : special(v)).padStart(w);
  }
  const parts = (v: number): [string, string] => {
    let t = v.toFixed(d);
    if (d > 0) t = t.replace(/0+$/, "");
    const [i, f = ""] = t.split(".") as [string, string?];
    return [i, f];
  };
  const ps = finite.map(parts);
  const wi = Math.max(0, ...ps.map((p) => p[0].length));
  const wf = Math.max(0, ...ps.map((p) => p[1].length));
  return (v) => {
    if (!Number.isFinite(v)) return special(v).padStart(wi + 1 + wf);
    const [i, f] = parts(v);
    return `${i.padStart(wi)}.${f.padEnd(wf)}`;
  };
}

/** Format values of `shape` and `dtype` as nested brackets (NumPy's layout). */
export function formatValues(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  opts: FormatOptions = {},
  indent = 0,
): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const edge = opts.edgeItems ?? 3;
  const abridge = size > (opts.threshold ?? 1000);
  const keep = (n: number): number[] =>
    abridge && n > 2 * edge
      ? [
          ...Array.from({ length: edge }, (_, i) => i),
          -1,
          ...Array.from({ length: edge }, (_, i) => n - edge + i),
        ]
      : Array.from({ length: n }, (_, i) => i);
  // collect the shown values first, so they share one format and width
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const shown: number[] = [];
  const walk = (axis: number, off: number) => {
    if (axis === shape.length) {
      shown.push(Number(values[off]));
      return;
    }
    for (const i of keep(shape[axis]!)) if (i >= 0) walk(axis + 1, off + i * strides[axis]!);
  };
  walk(0, 0);
  const fmt =
    dtype === "bool"
      ? (v: number) => (v ? "true" : "false")
      : dtype === "int32"
        ? (v: number) => String(v)
        : floatFormatter(shown, opts.precision ?? (dtype === "float64" ? 8 : 4));
  const width = Math.max(1, ...shown.map((v) => fmt(v).length));
  const cell = (v: number) => fmt(v).padStart(width);
  if (shape.length === 0) return fmt(Number(values[0])).trim();
  const lineWidth = opts.lineWidth ?? 75;
  const render = (axis: number, off: number, pad: number): string => {
    const idx = keep(shape[axis]!);
    if (axis === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? "..." : cell(Number(values[off + i]))));
      // NumPy's rule: wrap before a word (with its comma, or the closing bracket) that would pass lineWidth
      const lines: string[] = [];
      let line = "";
      items.forEach((it, k) => {
        const tail = k === items.length - 1 ? 1 : 1;
        const start = pad + 1;
        const next = line === "" ? it : `${line}, ${it}`;
        if (line !== "" && start + next.length + tail > lineWidth) {
          lines.push(`${line},`);
          line = it;
        } else line = next;
      });
      lines.push(line);
      return `[${lines.join(`\n${" ".repeat(pad + 1)}`)}]`;
    }
    const sep = `,${"\n".repeat(shape.length - 1 - axis)}${" ".repeat(pad + 1)}`;
    return `[${idx.map((i) => (i < 0 ? "..." : render(axis + 1, off + i * strides[axis]!, pad + 1))).join(sep)}]`;
  };
  return render(0, 0, indent);
}

/**
 * The repr of a tensor: `Tensor([[1., 2.], [3., 4.]], shape=[2, 2], dtype=float32)` laid out
 * like NumPy's; without synchronous reads (WebGPU) the values are replaced by a note.
 */
export function formatTensor(t: Displayable, opts: FormatOptions = {}): string {
  const head = `shape=[${t.shape.join(", ")}], dtype=${t.dtype}`;
  if (t.isDisposed) return `Tensor(${head}, disposed)`;
  if (!t.backend.readSync || !t.dataSync)
    return `Tensor(${head}, backend=${t.backend.name}; values need 'await t.data()')`;
  let values: ArrayLike<number>;
  try {
    values = t.dataSync();
  } catch (err) {
    return `Tensor(${head}; values unavailable: ${(err as Error).message})`;
  }
  return `Tensor(${formatValues(values, t.shape, t.dtype, opts, "Tensor(".length)}, ${head})`;
}

/** Jupyter mime bundle of a tensor (the repr as text, and as preformatted HTML). */
export function tensorBundle(t: Displayable): Record<string, string> {
  const text = formatTensor(t);
  const html = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return { "text/plain": text, "text/html": `<pre>${html}</pre>` };
}
