/**
 * The pointwise log-likelihood matrix that WAIC, PSIS-LOO and stacking work on: S draws ×
 * n observations, row-major, on the host in float64. Tensors are read once, by
 * {@link readLogLikMatrix} (the one `await`); everything after that is plain arithmetic.
 * @module
 */
import type { Tensor } from "@scribe/core";

/** A draws × observations log-likelihood matrix, row-major (`data[s * nObs + i]`). */
export interface LogLikMatrix {
  /** Number of posterior draws S (rows). */
  readonly nDraws: number;
  /** Number of observations n (columns). */
  readonly nObs: number;
  /** S·n values, row-major. */
  readonly data: Float64Array;
}

/** Anything {@link toLogLikMatrix} accepts without reading a tensor: a matrix or rows of draws. */
export type LogLikInput = LogLikMatrix | readonly (readonly number[] | Float64Array | Float32Array)[];

/**
 * Check a log-likelihood input and return it as a {@link LogLikMatrix}: rows are draws,
 * columns observations. Non-finite entries other than −∞ are an error naming the entry
 * (a NaN would silently poison every estimate).
 * @example
 * const m = toLogLikMatrix([[-1, -2], [-1.5, -2.5]]); // 2 draws × 2 observations
 * m.nObs; // 2
 */
export function toLogLikMatrix(input: LogLikInput, what = "log-likelihood"): LogLikMatrix {
  let m: LogLikMatrix;
  if ("data" in input && "nDraws" in input) {
    if (input.data.length !== input.nDraws * input.nObs)
      throw new Error(
        `${what}: ${input.data.length} values for ${input.nDraws} draws × ${input.nObs} observations`,
      );
    m = input;
  } else {
    const rows = input as readonly ArrayLike<number>[];
    const S = rows.length;
    const n = S > 0 ? rows[0]!.length : 0;
    const data = new Float64Array(S * n);
    for (let s = 0; s < S; s++) {
      const r = rows[s]!;
      if (r.length !== n) throw new Error(`${what}: draw ${s} has ${r.length} observations, draw 0 has ${n}`);
      for (let i = 0; i < n; i++) data[s * n + i] = r[i]!;
    }
    m = { nDraws: S, nObs: n, data };
  }
  if (m.nDraws < 2) throw new Error(`${what}: need at least 2 draws (rows), got ${m.nDraws}`);
  if (m.nObs < 1) throw new Error(`${what}: need at least 1 observation (column), got ${m.nObs}`);
  for (let j = 0; j < m.data.length; j++) {
    const v = m.data[j]!;
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY)
      throw new Error(
        `${what}: draw ${Math.floor(j / m.nObs)}, observation ${j % m.nObs} is ${v} (log-likelihoods must be finite or −Infinity)`,
      );
  }
  return m;
}

/**
 * Read a log-likelihood tensor [S, ...] (e.g. one site of `logLikelihood(model, samples,
 * ...)`) into a {@link LogLikMatrix}, trailing dims flattened into observations. With a record
 * of sites, their observations are concatenated in the record's order.
 * @example
 * // fragment: `model`, `mcmc` and `y` are the reader's
 * const ll = await readLogLikMatrix(logLikelihood(model, mcmc.getSamples(), y));
 */
export async function readLogLikMatrix(
  ll: Tensor | Readonly<Record<string, Tensor>>,
  what = "log-likelihood",
): Promise<LogLikMatrix> {
  const parts: Tensor[] = isTensor(ll) ? [ll] : Object.values(ll);
  if (parts.length === 0) throw new Error(`${what}: no observed sites`);
  const S = parts[0]!.shape[0];
  if (S === undefined) throw new Error(`${what}: a scalar has no draw axis; expected shape [S, ...]`);
  const widths = parts.map((t, i) => {
    if (t.shape[0] !== S) throw new Error(`${what}: site ${i} has ${t.shape[0]} draws, site 0 has ${S}`);
    return t.shape.slice(1).reduce((a, b) => a * b, 1);
  });
  const n = widths.reduce((a, b) => a + b, 0);
  const data = new Float64Array(S * n);
  const arrays = await Promise.all(parts.map((t) => t.data()));
  let off = 0;
  arrays.forEach((arr, p) => {
    const w = widths[p]!;
    for (let s = 0; s < S; s++) for (let i = 0; i < w; i++) data[s * n + off + i] = Number(arr[s * w + i]);
    off += w;
  });
  return toLogLikMatrix({ nDraws: S, nObs: n, data }, what);
}

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === "object" &&
    x !== null &&
    "shape" in x &&
    "dtype" in x &&
    typeof (x as Tensor).data === "function"
  );
}

/** Column i of a matrix (the draws of one observation). */
export function column(m: LogLikMatrix, i: number): Float64Array {
  const out = new Float64Array(m.nDraws);
  for (let s = 0; s < m.nDraws; s++) out[s] = m.data[s * m.nObs + i]!;
  return out;
}

/** log Σ exp(x), stable; −∞ for an empty or all −∞ input. */
export function logSumExp(x: ArrayLike<number>): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) if (x[i]! > mx) mx = x[i]!;
  if (mx === Number.NEGATIVE_INFINITY) return mx;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - mx);
  return mx + Math.log(s);
}

/** Sample variance with divisor n − 1. */
export function variance(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - mean) ** 2;
  return ss / (n - 1);
}
