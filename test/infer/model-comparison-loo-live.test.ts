/**
 * Live agreement with R's loo: a matrix simulated here (a normal model with a few outliers,
 * four autocorrelated chains) goes to bench/r/loo-reference.R through a temporary JSON file,
 * and loo's r_eff, PSIS-LOO, WAIC and weights come back. Skipped when Rscript or loo is
 * missing, except under CI=true, where that is a failure (.ci/run installs r-cran-loo).
 * Tolerances as in model-comparison-loo.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { psisLoo, relativeEff, stackingWeights, waic } from "@scribe/infer";
import { describe, expect, it } from "vitest";

function hasLoo(): boolean {
  const r = spawnSync(
    "Rscript",
    [
      "-e",
      "quit(status = if (requireNamespace('loo', quietly = TRUE) && requireNamespace('jsonlite', quietly = TRUE)) 0 else 1)",
    ],
    { encoding: "utf8" },
  );
  return r.status === 0;
}

const HAS_LOO = hasLoo();
const IN_CI = process.env.CI === "true";
if (!HAS_LOO && !IN_CI)
  console.log(
    "[model-comparison-loo-live] skipped: Rscript with loo is not installed (apt-get install r-base-core r-cran-loo)",
  );

/** A small deterministic generator (xorshift) so the matrix needs no tensor backend. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()); // standard normal
}

function simulate(): { S: number; n: number; ll: Float64Array; chainId: number[]; lpdOther: Float64Array } {
  const norm = rng(12345);
  const n = 24;
  const y = Array.from({ length: n }, (_, i) => (i < 21 ? norm() : [6, -7, 9][i - 21]!));
  const chains = 4;
  const perChain = 200;
  const S = chains * perChain;
  const ll = new Float64Array(S * n);
  const ybar = y.reduce((a, b) => a + b, 0) / n;
  const chainId: number[] = [];
  for (let c = 0; c < chains; c++) {
    let e = norm();
    let logSigma = Math.log(2.5) + 0.15 * norm();
    for (let t = 0; t < perChain; t++) {
      e = 0.6 * e + 0.8 * norm();
      logSigma = 0.5 * logSigma + 0.5 * Math.log(2.5) + 0.13 * norm();
      const mu = ybar + (e * 2.5) / Math.sqrt(n);
      const sigma = Math.exp(logSigma);
      const s = c * perChain + t;
      chainId.push(c + 1);
      for (let i = 0; i < n; i++)
        ll[s * n + i] =
          -0.5 * Math.log(2 * Math.PI) - Math.log(sigma) - (0.5 * (y[i]! - mu) ** 2) / sigma ** 2;
    }
  }
  // a second model's pointwise elpd for the weights: worse on the outliers
  const lpdOther = Float64Array.from({ length: n }, (_, i) => (i < 21 ? -2.0 + 0.2 * norm() : -9));
  return { S, n, ll, chainId, lpdOther };
}

describe.skipIf(!HAS_LOO && !IN_CI)("live agreement with R loo", () => {
  it("r_eff from chains, PSIS-LOO, WAIC and stacking on a fresh matrix", () => {
    expect(
      HAS_LOO,
      "CI=true: Rscript with the loo package must be installed (apt-get install r-base-core r-cran-loo)",
    ).toBe(true);
    const sim = simulate();
    const rEff = relativeEff({ nDraws: sim.S, nObs: sim.n, data: sim.ll }, { nChains: 4 });
    const ours = psisLoo({ nDraws: sim.S, nObs: sim.n, data: sim.ll }, { rEff });
    const w = waic({ nDraws: sim.S, nObs: sim.n, data: sim.ll });
    const lpd = [Array.from(ours.pointwise.elpdLoo), Array.from(sim.lpdOther)];
    const dir = mkdtempSync(join(tmpdir(), "scribe-loo-"));
    try {
      const inp = join(dir, "in.json");
      const out = join(dir, "out.json");
      writeFileSync(
        inp,
        JSON.stringify({ S: sim.S, n: sim.n, ll: Array.from(sim.ll), chain_id: sim.chainId, lpd }),
      );
      const script = fileURLToPath(new URL("../../bench/r/loo-reference.R", import.meta.url));
      execFileSync("Rscript", [script, "matrix", inp, out], { stdio: ["ignore", "ignore", "pipe"] });
      const ref = JSON.parse(readFileSync(out, "utf8")) as {
        r_eff: number[];
        loo: { estimates: { elpd_loo: number; p_loo: number }; pareto_k: number[] };
        waic: { estimates: { elpd_waic: number; p_waic: number } };
        weights: { stacking: number[] };
      };
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      for (let i = 0; i < sim.n; i++) expect(rel(rEff[i]!, ref.r_eff[i]!)).toBeLessThan(1e-6);
      expect(rel(ours.elpdLoo.estimate, ref.loo.estimates.elpd_loo)).toBeLessThan(1e-6);
      expect(rel(ours.pLoo.estimate, ref.loo.estimates.p_loo)).toBeLessThan(1e-6);
      for (let i = 0; i < sim.n; i++)
        expect(Math.abs(ours.pointwise.paretoK[i]! - ref.loo.pareto_k[i]!)).toBeLessThan(1e-6);
      expect(rel(w.elpdWaic.estimate, ref.waic.estimates.elpd_waic)).toBeLessThan(1e-6);
      expect(rel(w.pWaic.estimate, ref.waic.estimates.p_waic)).toBeLessThan(1e-6);
      const st = stackingWeights(lpd);
      st.forEach((v, k) => void expect(Math.abs(v - ref.weights.stacking[k]!)).toBeLessThan(1e-4));
      console.log(
        `[model-comparison-loo-live] elpd_loo ${ours.elpdLoo.estimate.toFixed(6)} (loo ${ref.loo.estimates.elpd_loo.toFixed(6)}), max k̂ ${Math.max(...ours.pointwise.paretoK).toFixed(3)}, stacking [${Array.from(st, (v) => v.toFixed(4))}] (loo [${ref.weights.stacking.map((v) => v.toFixed(4))}])`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
