import { readFileSync } from "node:fs";
import { div, mul, reshape, sub, sum, type Tensor, tensor } from "@scribe/core";
import {
  CategoricalProbs,
  type Distribution,
  MixtureSameFamily,
  NegativeBinomialProbs,
  ZeroInflatedDistribution,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

// SCRIBE's log-likelihood parity data (mrazomej/scribe tests/data/log_likelihood_golden.npz, MIT,
// converted to JSON; copied from shared/data/scribe to test/fixtures/scribe): per-cell and per-gene NB / ZINB log-likelihoods,
// produced in float32. Reproduced here in float32 with NegativeBinomialProbs (mean r·p/(1−p)) and
// ZeroInflatedDistribution; capture enters as p̂ = p·ν/(1 − p(1 − ν)). Target ≤ 2e-4 absolute.
const G = JSON.parse(
  readFileSync(new URL("../fixtures/scribe/log_likelihood_golden.json", import.meta.url), "utf8"),
) as Record<string, { shape: number[]; data: number[] }>;

const t32 = (name: string): Tensor => tensor(new Float32Array(G[name]!.data), { shape: G[name]!.shape });
const counts = t32("counts"); // [50 cells, 30 genes]

function pHat(p: Tensor, capture: Tensor): Tensor {
  // p̂ = p·ν / (1 − p(1 − ν)), per cell: [50, 1]
  const nu = reshape(capture, [capture.shape[0]!, 1]);
  return div(mul(p, nu), sub(1, mul(p, sub(1, nu))));
}

function model(m: string): Distribution {
  const r = t32(`params_${m}__r`);
  let p = t32(`params_${m}__p`);
  if (m.includes("vcp")) p = pHat(p, t32(`params_${m}__p_capture`));
  const nb = new NegativeBinomialProbs(r, p);
  return m.startsWith("zinb") ? ZeroInflatedDistribution(nb, { gate: t32(`params_${m}__gate`) }) : nb;
}

function maxAbs(got: Tensor, want: Tensor): number {
  const a = got.dataSync();
  const b = want.dataSync();
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
}

describe("SCRIBE log-likelihood golden values (float32)", () => {
  const worst: Record<string, number> = {};
  for (const m of ["nbdm", "zinb", "nbvcp", "zinbvcp"]) {
    it(`${m}: per-cell and per-gene sums`, () => {
      const lp = model(m).logProb(counts); // [50, 30]
      expect(lp.shape).toEqual([50, 30]);
      const eCell = maxAbs(sum(lp, 1), t32(`${m}__rb-cell`));
      const eGene = maxAbs(sum(lp, 0), t32(`${m}__rb-gene`));
      worst[m] = Math.max(eCell, eGene);
      expect(eCell).toBeLessThanOrEqual(2e-4);
      expect(eGene).toBeLessThanOrEqual(2e-4);
    });
  }

  for (const m of ["nbdm_mix", "zinb_mix", "nbvcp_mix", "zinbvcp_mix"]) {
    it(`${m}: per-cell mixture over components (MixtureSameFamily of gene-vector NBs)`, () => {
      // components: r [3, 30], p [3] (→ [3, 1]) or p̂ [50, 3, 1] with capture; genes are the event
      const r = t32(`params_${m}__r`);
      let p: Tensor = reshape(t32(`params_${m}__p`), [3, 1]);
      if (m.includes("vcp")) {
        const nu = reshape(t32(`params_${m}__p_capture`), [50, 1, 1]);
        p = div(mul(p, nu), sub(1, mul(p, sub(1, nu))));
      }
      let comp: Distribution = new NegativeBinomialProbs(r, p);
      if (m.startsWith("zinb")) comp = ZeroInflatedDistribution(comp, { gate: t32(`params_${m}__gate`) });
      const mix = new MixtureSameFamily(
        new CategoricalProbs(t32(`params_${m}__mixing_weights`)),
        comp.toEvent(1),
      );
      const lp = mix.logProb(counts); // [50]
      const e = maxAbs(lp, t32(`${m}__rb-cell__sc-0__w-none`));
      worst[m] = e;
      expect(e).toBeLessThanOrEqual(2e-4);
    });
  }

  it("reports the worst absolute errors", () => {
    console.log("SCRIBE golden worst abs error:", JSON.stringify(worst));
  });
});
