import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { type AnnData, createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { ScribeResults } from "@scribe/models/results/results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";

// `scribe fit --amortize-capture` end to end (issue 16): 15 SVI steps of unconstrained nbvcp
// with the amortized capture guide on a 12 × 4 data set (seeded), then the written files are
// checked: the per-cell log-likelihood at the MAP against a float64 computation done here from
// the stored guide params (the capture MLP run by hand on log1p of each cell's total, the
// Jacobian-corrected modes by bisection, NB thinned by capture), and the capture summaries
// against the results API called on the saved results with the counts bound. (Unconstrained,
// because the constrained Beta factors sit at a boundary mode after a short run.)

const C = 12;
const G = 4;
let dir: string;
let tenx: string;
let X: Float64Array;

const cli = cliInProcess;

interface Encoded {
  shape: number[];
  dtype: "float32" | "float64" | "int32";
  data: string;
}

/** A stored tensor's values (base64 little-endian), decoded independently of results/serialize.ts. */
function decode(e: Encoded | undefined): Float64Array {
  if (!e) throw new Error("missing stored tensor");
  const b = Buffer.from(e.data, "base64");
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return Float64Array.from(e.dtype === "float64" ? new Float64Array(buf) : new Float32Array(buf));
}

/** log Γ(x), x > 0: Lanczos (g = 7, 9 terms), |error| < 1e-13 relative for the x used here. */
function lgamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log NB(x; r, p), NumPyro's NegativeBinomialProbs (mean r·p/(1−p)). */
function nbLogProb(x: number, r: number, p: number): number {
  return lgamma(x + r) - lgamma(r) - lgamma(x + 1) + r * Math.log1p(-p) + x * Math.log(p);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * The mode of T(X), X ~ Normal(μ, s), in the constrained space (SCRIBE's Jacobian-corrected MAP
 * of a Normal + transform factor): x* maximizes −(x−μ)²/(2s²) − log T'(x). Its derivative is
 * strictly decreasing for s² < 2 (sigmoid) or s² < 4 (softplus), so bisection finds the root
 * (the code under test searches a grid and takes Newton steps instead).
 */
function transformedNormalMode(mu: number, s: number, t: "sigmoid" | "softplus"): number {
  expect(s * s).toBeLessThan(t === "sigmoid" ? 2 : 4);
  const grad = (x: number) =>
    -(x - mu) / (s * s) + (t === "sigmoid" ? 2 * sigmoid(x) - 1 : -(1 - sigmoid(x)));
  let lo = mu - 10 * s - 10;
  let hi = mu + 10 * s + 10;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (grad(mid) > 0) lo = mid;
    else hi = mid;
  }
  const x = (lo + hi) / 2;
  return t === "sigmoid" ? sigmoid(x) : softplus(x);
}

/**
 * The capture MLP (guides/amortized-capture.ts, SCRIBE's amortizer): log1p(total) through
 * leaky-ReLU layers to (loc, log scale) of the unconstrained capture factor; returns the
 * mode of sigmoid(Normal(loc, exp(log scale))) per cell.
 */
function captureMap(params: Record<string, Encoded>, totals: number[]): number[] {
  const layers: { W: Float64Array; b: Float64Array; nIn: number; nOut: number }[] = [];
  for (let i = 0; params[`capture_amortizer_W${i}`]; i++) {
    const w = params[`capture_amortizer_W${i}`]!;
    layers.push({
      W: decode(w),
      b: decode(params[`capture_amortizer_b${i}`]),
      nIn: w.shape[0]!,
      nOut: w.shape[1]!,
    });
  }
  expect(layers.length).toBeGreaterThan(1);
  return totals.map((total) => {
    let h = [Math.log1p(total)];
    layers.forEach((L, i) => {
      const next = Array.from({ length: L.nOut }, (_, o) => {
        let s = L.b[o]!;
        for (let k = 0; k < L.nIn; k++) s += h[k]! * L.W[k * L.nOut + o]!;
        return i < layers.length - 1 ? Math.max(s, 0.01 * s) : s;
      });
      h = next;
    });
    return transformedNormalMode(h[0]!, Math.exp(h[1]!), "sigmoid");
  });
}

function column(ad: AnnData, frame: "obs" | "var", name: string): number[] {
  const col = ad[frame].columns[name];
  if (!col) throw new Error(`no ${frame} column ${name}`);
  return Array.from(col as ArrayLike<number>, Number);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-amortized-"));
  X = new Float64Array(C * G);
  let s = 3;
  // cells with different depths, so the capture MLP sees different totals
  for (let i = 0; i < X.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    X[i] = ((s >> 8) % 5) * (1 + Math.floor(i / G / 4));
  }
  tenx = join(dir, "tenx");
  write10x(tenx, createAnnData({ X: { format: "dense", data: X, shape: [C, G] } }));
});

describe("scribe fit --amortize-capture", () => {
  it("writes the run folder; the MAP log-likelihood and capture summaries match independent computations", async () => {
    const out = join(dir, "amortized");
    const nSamples = 6;
    const r = await cli([
      "fit",
      tenx,
      "-q",
      "--model",
      "nbvcp",
      "--amortize-capture",
      "--unconstrained",
      "--n-steps",
      "15",
      "--learning-rate",
      "0.01",
      "--n-samples",
      String(nSamples),
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { params: string; h5ad: string; steps: number };
    expect(summary.steps).toBe(15);
    expect(existsSync(summary.params) && existsSync(summary.h5ad)).toBe(true);
    const json = JSON.parse(readFileSync(summary.params, "utf8")) as {
      options: Record<string, unknown>;
      params: Record<string, Encoded>;
    };
    expect(json.options.amortizeCapture).toBe(true);
    const params = json.params;
    // no per-cell capture params: the MLP holds them
    expect(Object.keys(params).some((k) => k.startsWith("p_capture"))).toBe(false);

    const ad = await readH5ad(summary.h5ad);
    const totals = Array.from({ length: C }, (_, c) => {
      let t = 0;
      for (let g = 0; g < G; g++) t += X[c * G + g]!;
      return t;
    });
    const nu = captureMap(params, totals);
    // unconstrained nbvcp: p = sigmoid(Normal), r = softplus(Normal) (families/traits.ts)
    const p = transformedNormalMode(decode(params.p_loc)[0]!, decode(params.p_scale)[0]!, "sigmoid");
    const rLoc = decode(params.r_loc);
    const rScale = decode(params.r_scale);
    const rMap = Array.from(rLoc, (m, g) => transformedNormalMode(m, rScale[g]!, "softplus"));
    const ll = column(ad, "obs", "scribe_log_likelihood");
    for (let c = 0; c < C; c++) {
      const pHat = (p * nu[c]!) / (1 - p * (1 - nu[c]!));
      let want = 0;
      for (let g = 0; g < G; g++) want += nbLogProb(X[c * G + g]!, rMap[g]!, pHat);
      // float32 guide params and likelihood: 1e-4 relative
      expect(Math.abs(ll[c]! - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    }

    // capture means: finite, in (0, 1), and what the results API gives for the saved fit
    const capture = column(ad, "obs", "scribe_p_capture_mean");
    expect(capture).toHaveLength(C);
    for (const v of capture) expect(v > 0 && v < 1).toBe(true);
    const counts = fromTypedArray(Float32Array.from(X), [C, G]);
    const saved = ScribeResults.fromJSON(json as unknown as Record<string, unknown>);
    expect(() => saved.getMap()).toThrow(/counts/);
    const bound = saved.withCounts(counts);
    const draws = bound.getPosteriorSamples({ nSamples, seed: 42 });
    expect(Array.from(await draws.p_capture!.mean(0).data(), Number)).toEqual(capture);
    const mapCapture = Array.from(await bound.getMap().p_capture!.data(), Number);
    mapCapture.forEach((v, c) => {
      expect(v).toBeCloseTo(nu[c]!, 5);
    });
    expect(() => saved.withCounts(counts.slice([0, 0], [C - 1, G]))).toThrow(/\[11,4\].*12 cells × 4 genes/);
  }, 120_000);
});
