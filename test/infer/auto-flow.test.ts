import { key, sample, slice, type Tensor } from "@scribe/core";
import { Normal } from "@scribe/distributions";
import {
  AutoAffineCouplingFlow,
  AutoIAFNormal,
  AutoMAFNormal,
  AutoNormal,
  type AutoNormalizingFlow,
  AutoSplineCouplingFlow,
  adam,
  cosineDecay,
  SVI,
  TraceELBO,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

// The banana: x1 ~ N(0, 1), x2 | x1 ~ N(b·(x1² − 1), 1) with no data, so the posterior is
// the prior and log Z = 0: the ELBO is −KL(q ‖ p) ≤ 0. The best mean-field Normal has
// m1 = 0, s2 = 1, m2 = b(s1² − 1) and s1² solving 1 = s1² + 4b²s1⁴; its ELBO is
// log s1 + ½ − ½ s1² − b² s1⁴ (closed form, derived in the comment of MEAN_FIELD_OPTIMUM).
const B = 1;
const banana = () => {
  const x1 = sample("x1", new Normal(0, 1));
  sample("x2", new Normal(x1.square().sub(1).mul(B), 1));
};

/** The mean-field optimum's ELBO: maximise log s1 + ½ − ½s1² − b²s1⁴ (and the s2 terms, 0 at s2 = 1). */
const MEAN_FIELD_OPTIMUM = (() => {
  const s1sq = (-1 + Math.sqrt(1 + 16 * B * B)) / (8 * B * B);
  return 0.5 * Math.log(s1sq) + 0.5 - 0.5 * s1sq - B * B * s1sq * s1sq;
})(); // ≈ −0.318 for b = 1

const LOG_2PI = Math.log(2 * Math.PI);

/** log p(x1, x2) in closed form, per draw. */
function bananaLogDensity(x1: Tensor, x2: Tensor): Tensor {
  const r = x2.sub(x1.square().sub(1).mul(B));
  return x1.square().add(r.square()).mul(-0.5).sub(LOG_2PI);
}

/** Mean and standard error of log p − log q over `s` draws (read back once). */
async function elboEstimate(logp: Tensor, logq: Tensor): Promise<{ elbo: number; se: number }> {
  const w = (await logp.sub(logq).data()) as Float32Array;
  const n = w.length;
  const mean = w.reduce((a, v) => a + v, 0) / n;
  const v = w.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { elbo: mean, se: Math.sqrt(v / n) };
}

const S = 20_000;
const SLOW = process.env.SCRIBE_SLOW === "1";

async function flowElbo(guide: AutoNormalizingFlow<[]>, params: Record<string, Tensor>) {
  const q = guide.latentDistribution(params);
  const u = q.sample(key(77), [S]);
  const logq = q.logProb(u); // the draw's own passes: no inverse needed
  const x1 = slice(u, [0, 0], [S, 1]).reshape([S]);
  const x2 = slice(u, [0, 1], [S, 2]).reshape([S]);
  return elboEstimate(bananaLogDensity(x1, x2), logq);
}

async function meanFieldElbo(params: Record<string, Tensor>) {
  const q1 = new Normal(params.x1_auto_loc!, params.x1_auto_scale!);
  const q2 = new Normal(params.x2_auto_loc!, params.x2_auto_scale!);
  const x1 = q1.sample(key(78), [S]);
  const x2 = q2.sample(key(79), [S]);
  return elboEstimate(bananaLogDensity(x1, x2), q1.logProb(x1).add(q2.logProb(x2)));
}

describe("normalizing-flow autoguides", () => {
  for (const [name, G] of [
    ["AutoIAFNormal", AutoIAFNormal],
    ["AutoMAFNormal", AutoMAFNormal],
    ["AutoSplineCouplingFlow", AutoSplineCouplingFlow],
    ["AutoAffineCouplingFlow", AutoAffineCouplingFlow],
  ] as const) {
    it(`${name}: trains a few SVI steps; draws have the site shapes and finite log-densities`, async () => {
      const g = new G(banana, { numLayers: 2, hiddenDims: [8], initScale: 1 });
      const fit = await new SVI(banana, g, adam(0.01), new TraceELBO()).run(key(1), 20, []);
      expect(fit.losses.every((l) => Number.isFinite(l))).toBe(true);
      const draws = g.samplePosterior(key(2), fit.params, [50]);
      expect(draws.x1!.shape).toEqual([50]);
      expect(draws.x2!.shape).toEqual([50]);
      const q = g.latentDistribution(fit.params);
      const u = q.sample(key(3), [5]);
      const lp = (await q.logProb(u).data()) as Float32Array;
      expect([...lp].every((v) => Number.isFinite(v))).toBe(true);
      expect(() => g.quantiles()).toThrow(/no closed form/);
    }, 180_000);
  }

  /** An affine-coupling flow (2 layers, tanh, `hidden`) fitted to the banana for `steps` steps. */
  async function fitFlow(steps: number, lr: number, hidden: number[]) {
    const flow = new AutoAffineCouplingFlow(banana, {
      numLayers: 2,
      hiddenDims: hidden,
      activation: "tanh",
      initScale: 1,
    });
    const fit = await new SVI(banana, flow, adam(cosineDecay(lr, steps, 0.05)), new TraceELBO()).run(
      key(0),
      steps,
      [],
    );
    return flowElbo(flow, fit.params);
  }

  it("affine coupling flow beats the best mean-field ELBO (closed form) by far more than the Monte-Carlo error", async () => {
    // 800 steps at 0.01 with hidden layers of 16 (the full comparison below fits AutoNormal
    // too, and a flow of 32 + 32 for 3,000 steps at 0.003): measured ELBO −0.259 ± 0.004
    // against the closed-form optimum of every mean-field Normal guide, −0.318
    const f = await fitFlow(800, 0.01, [16, 16]);
    console.log(`banana: affine-coupling flow ELBO ${f.elbo.toFixed(4)} ± ${f.se.toFixed(4)} (800 steps)`);
    expect(f.elbo).toBeLessThan(4 * f.se); // the ELBO never exceeds log Z = 0
    expect(f.elbo - MEAN_FIELD_OPTIMUM).toBeGreaterThan(0.04);
    expect(f.elbo - MEAN_FIELD_OPTIMUM).toBeGreaterThan(8 * f.se);
  }, 120_000);

  it.runIf(SLOW)(
    "affine coupling flow beats AutoNormal's ELBO on the banana by far more than the Monte-Carlo error (SCRIBE_SLOW)",
    async () => {
      const t0 = performance.now();
      const mf = new AutoNormal(banana);
      const mfFit = await new SVI(banana, mf, adam(cosineDecay(0.02, 1000, 0.05)), new TraceELBO()).run(
        key(0),
        1000,
        [],
      );
      const t1 = performance.now();
      const f = await fitFlow(3000, 0.003, [32, 32]);
      const t2 = performance.now();
      const m = await meanFieldElbo(mfFit.params);
      console.log(
        `banana (b = ${B}): ELBO AutoNormal ${m.elbo.toFixed(4)} ± ${m.se.toFixed(4)} (optimum ${MEAN_FIELD_OPTIMUM.toFixed(4)}), ` +
          `affine-coupling flow ${f.elbo.toFixed(4)} ± ${f.se.toFixed(4)} (log Z = 0); fit ${((t1 - t0) / 1000).toFixed(1)} s / ${((t2 - t1) / 1000).toFixed(1)} s`,
      );
      expect(m.elbo).toBeLessThan(MEAN_FIELD_OPTIMUM + 4 * m.se); // no mean-field guide can do better
      expect(f.elbo).toBeLessThan(4 * f.se); // the ELBO never exceeds log Z = 0
      // seeded run: ≈ −0.17 against ≈ −0.32 (SE ≈ 0.006 each, from 20 000 draws)
      expect(f.elbo - m.elbo).toBeGreaterThan(0.08);
      expect(f.elbo - m.elbo).toBeGreaterThan(8 * Math.hypot(f.se, m.se));
    },
    300_000,
  );
});
