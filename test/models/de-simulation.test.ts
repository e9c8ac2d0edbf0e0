import { momTest, nbFit, nbTest, simulateTwoGroup } from "@scribe/models/de/index.js";
import { makeRng } from "@scribe/models/seeded-rng.js";
import { describe, expect, it } from "vitest";

/** One-sample Kolmogorov–Smirnov test against U(0, 1): [D, asymptotic p-value]. */
function ksUniform(p: ArrayLike<number>): [number, number] {
  const s = Array.from(p)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  s.forEach((v, i) => {
    d = Math.max(d, (i + 1) / n - v, v - i / n);
  });
  const en = Math.sqrt(n);
  const lam = (en + 0.12 + 0.11 / en) * d; // Stephens (1970) small-sample correction
  let q = 0;
  for (let j = 1; j < 100; j++) q += 2 * (-1) ** (j - 1) * Math.exp(-2 * j * j * lam * lam);
  return [d, Math.min(Math.max(q, 0), 1)];
}

describe("simulation: 28 samples (14 vs 14), 16,000 genes, 10 % DE, seed 1", () => {
  it("QL test: FDR at padj < 0.05 ≤ 5 %, power ≥ 67 %", () => {
    const sim = simulateTwoGroup({ nGenes: 16000, nPerGroup: 14, seed: 1 });
    const fit = nbFit(sim.counts, { conditions: sim.conditions, reference: "A" });
    const t = nbTest(fit, { contrast: "conditionB" });
    let calls = 0;
    let fp = 0;
    let tp = 0;
    let nde = 0;
    for (let g = 0; g < 16000; g++) {
      nde += sim.isDE[g]!;
      if (t.padj[g]! < 0.05) {
        calls++;
        if (sim.isDE[g]) tp++;
        else fp++;
      }
    }
    const fdr = fp / calls;
    const power = tp / nde;
    console.log(
      `[de-sim] calls ${calls}, FDR ${(100 * fdr).toFixed(2)} %, power ${(100 * power).toFixed(2)} %, d0 ${fit.ql!.d0.toFixed(2)}`,
    );
    expect(fdr).toBeLessThanOrEqual(0.05);
    expect(power).toBeGreaterThanOrEqual(0.67);
  });
});

describe("permuted labels: p-values are uniform (KS)", () => {
  for (const k of [2, 3, 5, 10]) {
    it(`${k} vs ${k} replicates, QL and MoM`, () => {
      const G = process.env.SCRIBE_SLOW ? 16000 : 2000;
      const sim = simulateTwoGroup({ nGenes: G, nPerGroup: k, seed: 10 + k, deFraction: 0 });
      const rng = makeRng(99 + k);
      const lab = sim.conditions.slice();
      for (let i = lab.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [lab[i], lab[j]] = [lab[j]!, lab[i]!];
      }
      const fit = nbFit(sim.counts, { conditions: lab, reference: "A" });
      const ql = nbTest(fit, { contrast: "conditionB" });
      const mom = momTest(sim.counts, { conditions: lab, reference: "A" });
      const [dq, pq] = ksUniform(ql.pval);
      const [dm, pm] = ksUniform(mom.pval);
      console.log(
        `[de-ks] ${k} vs ${k}: QL D=${dq.toFixed(4)} p=${pq.toFixed(3)}; MoM D=${dm.toFixed(4)} p=${pm.toFixed(3)}`,
      );
      expect(pq).toBeGreaterThan(0.01);
      expect(pm).toBeGreaterThan(0.01);
    });
  }
});
