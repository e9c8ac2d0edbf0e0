import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnnData, createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { ScribeResults } from "@scribe/models/results/results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";

// `scribe fit --inference-method mcmc` end to end (issue 16): NUTS on a 12 × 4 nbdm data set
// (30 warmup + 30 draws, seeded), then the written params.json and results.h5ad are checked
// against values computed here from the stored draws (decoded from base64 by this file, not by
// the results code): posterior means, the MCMC MAP (the draw of lowest potential energy, as
// SCRIBE) and the per-cell NB log-likelihood at that draw (lgamma by Lanczos, float64).

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
function decode(e: Encoded): Float64Array {
  const b = Buffer.from(e.data, "base64");
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const arr =
    e.dtype === "float64"
      ? new Float64Array(buf)
      : e.dtype === "int32"
        ? new Int32Array(buf)
        : new Float32Array(buf);
  return Float64Array.from(arr);
}

/** log Γ(x), x > 0: Lanczos (g = 7, 9 terms), |error| < 1e-13 relative for the x used here. */
function lgamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
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

function column(ad: AnnData, frame: "obs" | "var", name: string): number[] {
  const col = ad[frame].columns[name];
  if (!col) throw new Error(`no ${frame} column ${name}`);
  return Array.from(col as ArrayLike<number>, Number);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-mcmc-"));
  X = new Float64Array(C * G);
  let s = 7;
  for (let i = 0; i < X.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    X[i] = (s >> 8) % (3 + 2 * (i % G));
  }
  tenx = join(dir, "tenx");
  write10x(tenx, createAnnData({ X: { format: "dense", data: X, shape: [C, G] } }));
});

describe("scribe fit --inference-method mcmc", () => {
  it("writes params.json and results.h5ad; summaries equal values computed from the stored draws", async () => {
    const out = join(dir, "mcmc");
    const S = 30;
    const r = await cli([
      "fit",
      tenx,
      "-q",
      "--model",
      "nbdm",
      "--inference-method",
      "mcmc",
      "--mcmc-samples",
      String(S),
      "--mcmc-warmup",
      "30",
      "--n-samples",
      "5",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { params: string; h5ad: string; steps: number };
    expect(summary.params).toBe(join(out, "params.json"));
    expect(existsSync(summary.params) && existsSync(summary.h5ad)).toBe(true);
    expect(existsSync(join(out, "checkpoint.ckpt"))).toBe(false);

    const json = JSON.parse(readFileSync(summary.params, "utf8")) as {
      inferenceMethod: string;
      mcmcSamples: Record<string, Encoded>;
      mcmcPotentialEnergy: number[];
    };
    expect(json.inferenceMethod).toBe("mcmc");
    const p = decode(json.mcmcSamples.p!);
    const rr = decode(json.mcmcSamples.r!);
    expect(json.mcmcSamples.r!.shape).toEqual([S, G]);
    const energy = json.mcmcPotentialEnergy;
    expect(energy).toHaveLength(S);
    expect(energy.every(Number.isFinite)).toBe(true);
    expect(new Set(energy).size).toBeGreaterThan(2); // several distinct draws: picking the lowest is a real choice
    // the MCMC MAP: the draw with the lowest potential energy
    let best = 0;
    for (let i = 1; i < S; i++) if (energy[i]! < energy[best]!) best = i;

    const ad = await readH5ad(summary.h5ad);
    const scribe = ad.uns.scribe as Record<string, unknown>;
    expect(scribe.inference_method).toBe("mcmc");
    // var scribe_r_mean: the mean of the stored draws (float64 draws; 1e-9 relative covers the sum order)
    const rMean = column(ad, "var", "scribe_r_mean");
    for (let g = 0; g < G; g++) {
      let m = 0;
      for (let s = 0; s < S; s++) m += rr[s * G + g]!;
      expect(rMean[g]).toBeCloseTo(m / S, 9);
    }
    // uns p_map: p of the lowest-energy draw, exactly
    expect(Array.from(scribe.p_map as ArrayLike<number>, Number)).toEqual([p[best]]);
    // obs scribe_log_likelihood: Σ_g log NB(x_cg; r_g, p) at that draw (float64 throughout: 1e-8)
    const ll = column(ad, "obs", "scribe_log_likelihood");
    for (let c = 0; c < C; c++) {
      let want = 0;
      for (let g = 0; g < G; g++) want += nbLogProb(X[c * G + g]!, rr[best * G + g]!, p[best]!);
      expect(Math.abs(ll[c]! - want)).toBeLessThan(1e-8 * Math.max(1, Math.abs(want)));
    }

    // the saved results give the same MAP, and the posterior mean on request
    const res = ScribeResults.fromJSON(json as unknown as Record<string, unknown>);
    expect(Array.from(await res.getMap().p!.data(), Number)).toEqual([p[best]]);
    const meanP = p.reduce((a, b) => a + b, 0) / S;
    expect(Number((await res.getMap({ mcmcEstimate: "mean" }).p!.data())[0])).toBeCloseTo(meanP, 12);
  }, 120_000);
});
