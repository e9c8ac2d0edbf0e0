/**
 * Calibration of the Bayesian DE by simulation (issue 14): two conditions drawn from nbdm
 * (or nbvcp) with a known set of genes whose composition changes — some by less than τ, some
 * by more — each fitted with fit(), then compared. The truth per gene is the expected CLR
 * change under the true parameters, Δ_g = [ψ(rA_g) − mean ψ(rA)] − [ψ(rB_g) − mean ψ(rB)]
 * (E log G(r) = ψ(r) for the Gamma parts of a Dirichlet(r) composition).
 *
 * Checks: among the genes called at target PEFP 0.05 (lfsr_τ below `findThreshold`), the
 * proportion with |Δ_g| ≤ τ or the wrong sign is at most 0.05 plus two binomial standard
 * errors; among genes with lfsr < 0.05 the proportion of wrong signs is at most the same bound.
 * Power and an NB-GLM DE on pseudobulk of the same cells (5 pseudo-replicates per condition)
 * are printed beside it. Default run: one seeded nbdm replicate; SCRIBE_SLOW=1 adds replicates
 * and nbvcp.
 */
import { fromTypedArray, key, specialScalar } from "@scribe/core";
import { compare, GammaStream } from "@scribe/models/de/bayesian/index.js";
import { nbFit, nbTest } from "@scribe/models/de/index.js";
import { fit } from "@scribe/models/fit.js";
import { describe, expect, it } from "vitest";

const { digamma } = specialScalar;

interface Sim {
  countsA: Float64Array;
  countsB: Float64Array;
  rA: number[];
  rB: number[];
}

function poisson(rng: GammaStream, lam: number): number {
  if (lam > 50) return Math.max(0, Math.round(lam + Math.sqrt(lam) * rng.normal()));
  let k = 0;
  let p = Math.exp(-lam);
  let cdf = p;
  const u = rng.uniform();
  while (u > cdf && k < 10_000) {
    k++;
    p *= lam / k;
    cdf += p;
  }
  return k;
}

/** nbdm (shared p) or nbvcp (capture ν ~ Beta-ish in [0.3, 0.9]) counts for one condition. */
function draw(rng: GammaStream, r: number[], C: number, p: number, capture: boolean): Float64Array {
  const G = r.length;
  const out = new Float64Array(C * G);
  for (let c = 0; c < C; c++) {
    const nu = capture ? 0.3 + 0.6 * rng.uniform() : 1;
    for (let g = 0; g < G; g++)
      out[c * G + g] = poisson(rng, nu * Math.exp(rng.logGamma(r[g]!)) * (p / (1 - p)));
  }
  return out;
}

function simulate(seed: number, G: number, C: number, capture: boolean): Sim {
  const rng = new GammaStream(key(seed));
  const rA = Array.from({ length: G }, () => 4 + 12 * rng.uniform());
  const rB = [...rA];
  // genes 0..7: large changes (±1.5 on the log scale); 8..13: small (±0.2); the rest unchanged
  for (let g = 0; g < 14; g++) {
    const lf = (g < 8 ? 1.5 : 0.2) * (g % 2 === 0 ? 1 : -1);
    rB[g] = rA[g]! * Math.exp(-lf);
  }
  return { countsA: draw(rng, rA, C, 0.5, capture), countsB: draw(rng, rB, C, 0.5, capture), rA, rB };
}

function trueDelta(rA: number[], rB: number[]): number[] {
  const clr = (r: number[]) => {
    const m = r.reduce((s, v) => s + digamma(v), 0) / r.length;
    return r.map((v) => digamma(v) - m);
  };
  const a = clr(rA);
  const b = clr(rB);
  return a.map((v, g) => v - b[g]!);
}

function pseudobulkDe(sim: Sim, G: number, C: number): boolean[] {
  const reps = 5;
  const n = 2 * reps;
  const data = new Float64Array(G * n);
  for (const [side, counts] of [
    [0, sim.countsA],
    [1, sim.countsB],
  ] as const)
    for (let c = 0; c < C; c++) {
      const s = side * reps + (c % reps);
      for (let g = 0; g < G; g++) data[g * n + s]! += counts[c * G + g]!;
    }
  const conditions = Array.from({ length: n }, (_, s) => (s < reps ? "A" : "B"));
  const f = nbFit({ data, nGenes: G, nSamples: n }, { conditions, reference: "B" });
  const t = nbTest(f, { contrast: "conditionA" });
  return Array.from(t.padj, (q) => q < 0.05);
}

async function replicate(seed: number, opts: { G: number; C: number; capture: boolean; steps: number }) {
  const { G, C, capture, steps } = opts;
  const sim = simulate(seed, G, C, capture);
  const model = capture ? "nbvcp" : "nbdm";
  const fitOne = async (x: Float64Array) =>
    (
      await fit(fromTypedArray(Float32Array.from(x), [C, G]), {
        model,
        parameterization: "mean_prob",
        nSteps: steps,
        learningRate: 0.05,
        seed,
      })
    ).results;
  const resA = await fitOne(sim.countsA);
  const resB = await fitOne(sim.countsB);
  const tau = 0.5;
  const cmp = await compare(resA, resB, { tau, nSamples: 500, seed });
  const gl = cmp.geneLevel(tau);
  const truth = trueDelta(sim.rA, sim.rB);
  const called = cmp.callGenes({ tau, targetPefp: 0.05 });
  let nCalled = 0;
  let falseCalls = 0;
  let nSign = 0;
  let wrongSign = 0;
  let nTrue = 0;
  let hits = 0;
  for (let g = 0; g < G; g++) {
    const real = Math.abs(truth[g]!) > tau;
    if (real) nTrue++;
    if (called[g]) {
      nCalled++;
      if (!real || Math.sign(truth[g]!) !== Math.sign(gl.mean[g]!)) falseCalls++;
      else hits++;
    }
    if (gl.lfsr[g]! < 0.05) {
      nSign++;
      if (Math.sign(truth[g]!) !== Math.sign(gl.mean[g]!)) wrongSign++;
    }
  }
  const glm = pseudobulkDe(sim, G, C);
  const changed = (g: number) => sim.rA[g] !== sim.rB[g];
  const glmCalls = glm.filter(Boolean).length;
  const glmFalse = glm.filter((c, g) => c && !changed(g)).length;
  const glmHits = glm.filter((c, g) => c && changed(g) && g < 8).length;
  console.log(
    `${model} seed ${seed}: ${nCalled} called at PEFP target 0.05 (achieved ${cmp.pefp(cmp.findThreshold(0.05, { tau, useLfsrTau: true }), { tau, useLfsrTau: true }).toFixed(3)}), ` +
      `${falseCalls} false (|Δ| ≤ ${tau} or wrong sign); power ${hits}/${nTrue}; lfsr < 0.05: ${nSign} genes, ${wrongSign} wrong sign | ` +
      `NB-GLM pseudobulk (5+5 reps, padj < 0.05): ${glmCalls} calls, ${glmFalse} on unchanged genes, ${glmHits}/8 large changes found`,
  );
  return { nCalled, falseCalls, nSign, wrongSign };
}

/** 0.05 plus two binomial standard errors at 0.05 for n decisions. */
const bound = (n: number) => 0.05 + 2 * Math.sqrt((0.05 * 0.95) / Math.max(n, 1));

describe("Bayesian DE calibration by simulation", () => {
  it("nbdm, one seeded replicate: false-call and wrong-sign proportions within PEFP 0.05 + MC error", async () => {
    // 600 steps (was 800): 7 of the 8 large changes called and none false (800: 8; 400: 6, a
    // fit short of convergence calls less, which would make the bound easy to meet)
    const r = await replicate(1, { G: 40, C: 100, capture: false, steps: 600 });
    expect(r.nCalled).toBeGreaterThan(0);
    expect(r.falseCalls / r.nCalled).toBeLessThanOrEqual(bound(r.nCalled));
    expect(r.wrongSign / Math.max(r.nSign, 1)).toBeLessThanOrEqual(bound(r.nSign));
  }, 300_000);

  it.runIf(process.env.SCRIBE_SLOW === "1")(
    "replicates over seeds, nbdm and nbvcp: pooled false-call and wrong-sign proportions",
    async () => {
      let called = 0;
      let falseCalls = 0;
      let sign = 0;
      let wrong = 0;
      for (const capture of [false, true])
        for (const seed of [2, 3, 4]) {
          const r = await replicate(seed, { G: 80, C: 200, capture, steps: 2000 });
          called += r.nCalled;
          falseCalls += r.falseCalls;
          sign += r.nSign;
          wrong += r.wrongSign;
        }
      console.log(`pooled: ${falseCalls}/${called} false calls, ${wrong}/${sign} wrong signs`);
      expect(falseCalls / called).toBeLessThanOrEqual(bound(called));
      expect(wrong / Math.max(sign, 1)).toBeLessThanOrEqual(bound(sign));
    },
    3_600_000,
  );
});
