import { handlers, key, type SampleMessage, seed, type Tensor, tensor, trace } from "@scribe/core";
import { fit, twostate } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { moments, naturalMap } from "./twostate-reference.js";

// NUTS on a TwoState model (mean_fano), data simulated from the model: the posterior mean of
// each gene's mean expression is within a few standard errors of the data's, and the SCRIBE two-state models'
// derived sites come with every draw and satisfy E = r̂α/(α+β) = mu draw by draw.

const arr = (t: { dataSync(): ArrayLike<number | boolean> }) => Array.from(t.dataSync(), Number);

describe("TwoState with NUTS", () => {
  it("posterior of mu centres on the data; derived sites per draw", async () => {
    // 40 cells and 60 + 60 iterations (was 80 cells, 100 + 120: 19 s of CPU, now 4.4 s); the
    // tolerance below scales with C. (32 quadrature nodes instead of 64 did not make NUTS
    // cheaper: those runs took longer than the 64-node one.)
    const C = 40;
    const muTrue = [3, 12, 30];
    const eTrue = [1, 2, 0.5];
    const kTrue = [4, 4, 4];
    const Q = 64;
    const { model } = twostate({ nCells: C, nGenes: 3, parameterization: "mean_fano", nQuadNodes: Q });
    const tr = trace(
      seed(
        handlers.substitute(model, {
          mu: tensor(muTrue),
          excess_fano: tensor(eTrue),
          concentration: tensor(kTrue),
        }),
        key(4),
      ),
    ).getTrace(null);
    const counts = (tr.get("counts") as SampleMessage).value as Tensor;
    const emp = arr(counts.mean(0));
    const { results } = await fit(counts, {
      model: "twostate",
      parameterization: "mean_fano",
      nQuadNodes: Q,
      inferenceMethod: "mcmc",
      nWarmup: 60,
      nSamples: 60,
      seed: 2,
    });
    const s = results.getPosteriorSamples();
    expect([...s.mu!.shape]).toEqual([60, 3]);
    const mu = arr(s.mu!.mean(0));
    // The posterior mean of mu sits within ~1 posterior sd of the sample mean (flat-ish prior,
    // E[u] = mu); sd ≈ √(Var/C) from the SCRIBE two-state models' moments at the truth. 4 sd allows for MC error.
    mu.forEach((m, g) => {
      const { alpha, beta, rHat } = naturalMap("two_state_mean_fano", muTrue[g]!, eTrue[g]!, kTrue[g]!);
      const sd = Math.sqrt(moments(alpha, beta, rHat).variance / C);
      expect(Math.abs(m - emp[g]!), `gene ${g}: ${m} vs ${emp[g]}`).toBeLessThan(4 * sd);
    });
    const [a, b, r, mm] = [arr(s.alpha!), arr(s.beta!), arr(s.r_hat!), arr(s.mu!)];
    mm.forEach((m, i) => {
      expect(Math.abs(moments(a[i]!, b[i]!, r[i]!).mean - m) / m).toBeLessThan(1e-4);
    });
  }, 120_000);
});
