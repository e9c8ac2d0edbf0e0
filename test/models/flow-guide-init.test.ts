import { fromTypedArray, key, Tensor } from "@scribe/core";
import { adam } from "@scribe/infer";
import { fit } from "@scribe/models/fit.js";
import type { ParamGetter } from "@scribe/models/guides/factors.js";
import { flowFactor } from "@scribe/models/guides/flow-guide.js";
import { makeConfig } from "@scribe/models/models/config.js";
import { latentSiteSpecs } from "@scribe/models/models/sites.js";
import { describe, expect, it } from "vitest";
import { elboEstimate } from "./elbo-estimate.js";
import { rng } from "./vae-helpers.js";

// The per-parameter flow guide's start (guides/flow-guide.ts): its layers output zero at
// init, so it is the affine map of N(0, I) through the site's transform, and that map must
// start where the mean-field factor does, at the prior's centre and spread. With AutoNormal's
// narrow 0.1 start, nbdm 10 × 4 (500 steps) ended at ELBO −223.6 ± 19.8 against mean-field's
// −110.8 ± 2.2: p's Beta factor stayed near uniform (α 0.99, β 1.27 against mean-field's
// 6.8, 2.4) and the draws had a heavy left tail.
// Default run: the start's log-density against closed forms. SCRIBE_SLOW=1 also fits both
// guides on that example and compares their ELBOs.

const SLOW = process.env.SCRIBE_SLOW === "1";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const normalLogPdf = (x: number, m: number, s: number) =>
  -LOG_SQRT_2PI - Math.log(s) - ((x - m) / s) ** 2 / 2;

describe("flow guide: starts as the mean-field guide", () => {
  it("at init, r's flow is LogNormal(0, 1) and zinb's gate flow the logit-normal with Beta(1, 9)'s logit mean and variance", async () => {
    const G = 3;
    const cfg = makeConfig("zinb", {
      nCells: 5,
      nGenes: G,
      guideFlow: "affine_coupling",
      guideFlowOptions: { numLayers: 2, hiddenDims: [8] },
    });
    const specs = latentSiteSpecs(cfg);
    const get: ParamGetter = (_name, init) => (init instanceof Tensor ? init : init(key(1)));
    const rSpec = specs.find((s) => s.name === "r")!;
    const gateSpec = specs.find((s) => s.name === "gate")!;
    // the priors these closed forms assume (models/sites.ts)
    expect(rSpec.family).toEqual({ kind: "lognormal", loc: 0, scale: 1 });
    expect(gateSpec.family).toEqual({ kind: "beta", a: 1, b: 9 });
    const r = [0.3, 1.7, 6];
    const gate = [0.02, 0.1, 0.5];
    const logQr = (
      await flowFactor(cfg, rSpec, get)
        .logProb(fromTypedArray(Float32Array.from(r), [G]))
        .data()
    )[0]!;
    const logQgate = (
      await flowFactor(cfg, gateSpec, get)
        .logProb(fromTypedArray(Float32Array.from(gate), [G]))
        .data()
    )[0]!;
    // LogNormal(0, 1): the r prior's, where the mean-field LogNormal factor starts
    const wantR = r.reduce((s, y) => s + normalLogPdf(Math.log(y), 0, 1) - Math.log(y), 0);
    // Beta(1, 9): E[logit] from loc0 = logit of the mean 1/10; Var[logit] = ψ′(1) + ψ′(9) =
    // π²/3 − Σ_{k=1}^{8} 1/k² (ψ′(n) = π²/6 − Σ_{k<n} 1/k²)
    let tail = 0;
    for (let k = 1; k <= 8; k++) tail += 1 / (k * k);
    const sd = Math.sqrt((Math.PI * Math.PI) / 3 - tail);
    const m = Math.log(1 / 9);
    const wantGate = gate.reduce(
      (s, y) => s + normalLogPdf(Math.log(y / (1 - y)), m, sd) - Math.log(y) - Math.log1p(-y),
      0,
    );
    // float32 flow: 1e-4 absolute on log-densities of order 10
    expect(Math.abs(logQr - wantR)).toBeLessThan(1e-4);
    expect(Math.abs(logQgate - wantGate)).toBeLessThan(1e-4);
  });

  it.skipIf(!SLOW)(
    "nbdm 10 × 4: the per-parameter flow guide's ELBO is at least mean-field's (within noise)",
    async () => {
      const [C, G] = [10, 4];
      const R = rng(12);
      const x = new Float32Array(C * G);
      for (let c = 0; c < C; c++)
        for (let g = 0; g < G; g++) x[c * G + g] = R.poisson((R.gamma(50) * (3 + g)) / 50);
      const counts = fromTypedArray(x, [C, G]);
      const flow = {
        guideFlow: "affine_coupling" as const,
        guideFlowOptions: { numLayers: 2, hiddenDims: [8] },
      };
      const run = (o: object) =>
        fit(counts, { model: "nbdm", ...o, nSteps: 500, optimizer: adam(0.02), seed: 4 });
      const N = 60;
      const base = { nCells: C, nGenes: G };
      const m = await elboEstimate(base, (await run({})).results.params, counts, N);
      const f = await elboEstimate({ ...base, ...flow }, (await run(flow)).results.params, counts, N);
      console.log(
        `nbdm ${C}×${G}, 500 steps: ELBO (${N} draws) mean-field ${m.elbo.toFixed(2)} ± ${m.se.toFixed(2)}, per-parameter flows ${f.elbo.toFixed(2)} ± ${f.se.toFixed(2)}`,
      );
      // measured −110.76 ± 2.21 and −110.64 ± 2.35: not below mean-field by more than 3 SE
      expect(f.elbo).toBeGreaterThan(m.elbo - 3 * Math.hypot(m.se, f.se));
    },
    300_000,
  );
});
