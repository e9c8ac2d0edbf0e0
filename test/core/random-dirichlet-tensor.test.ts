import { key, random, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { betainc } from "@scribe/core/special/scalar/index.js";
import { describe, expect, it } from "vitest";

// Tensor-level random.dirichlet: log-space gammas (boost below concentration 1) and a softmax.
// References: the marginals x_j ~ Beta(a_j, Σa − a_j) through the exact regularized incomplete
// beta; the mean's derivative ∂E[x_j]/∂a_i in closed form for the pathwise gradient.

const propZ = (k: number, n: number, p: number) => (k - n * p) / Math.sqrt(n * p * (1 - p));

describe("random.dirichlet (tensor level)", () => {
  const N = 40_000;

  it.each([[[1e-3, 1e-3, 1e-3]], [[1e-4, 0.5, 2]], [[0.3, 0.7, 1.5, 4]]])(
    "Dirichlet(%j): finite draws on the simplex, marginal means and CDFs (float64)",
    (alpha) => {
      const K = alpha.length;
      const x = random.dirichlet(key(41), tensor(new Float64Array(alpha)), [N]).dataSync();
      const total = alpha.reduce((a, b) => a + b, 0);
      // counted, then one assertion each (an expect per draw cost more than the sampling)
      let outside = 0;
      let offSimplex = 0;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < K; j++) {
          const v = x[i * K + j]!;
          if (!(Number.isFinite(v) && v >= 0 && v <= 1)) outside++;
          s += v;
        }
        if (!(Math.abs(s - 1) < 1e-12)) offSimplex++;
      }
      expect(outside, "components outside [0, 1] or not finite").toBe(0);
      expect(offSimplex, "draws whose components do not sum to 1 within 1e-12").toBe(0);
      for (let j = 0; j < K; j++) {
        const [a, b] = [alpha[j]!, total - alpha[j]!];
        let m = 0;
        for (let i = 0; i < N; i++) m += x[i * K + j]!;
        const variance = (a * b) / (total ** 2 * (total + 1));
        expect(Math.abs((m / N - a / total) / Math.sqrt(variance / N)), `mean of x_${j}`).toBeLessThan(5);
        for (const t of [1e-200, 1e-20, 0.1, 0.5, 0.9]) {
          let k = 0;
          for (let i = 0; i < N; i++) if (x[i * K + j]! < t) k++;
          const p = betainc(a, b, t);
          if (p > 1e-4 && p < 1 - 1e-4) expect(Math.abs(propZ(k, N, p)), `P(x_${j} < ${t})`).toBeLessThan(5);
        }
      }
    },
  );

  it("the pathwise gradient is unbiased: mean ∂x_0/∂a matches ∂E[x_0]/∂a, with and without the boost", () => {
    for (const alpha of [
      [0.4, 1.5, 3],
      [2, 0.05, 1],
    ]) {
      const total = alpha.reduce((a, b) => a + b, 0);
      const draws = 20_000;
      const f = (p: Tensor[]) =>
        random.dirichlet(key(43), p[0]!, [draws]).slice([0, 0], [draws, 1]).sum().div(draws);
      const [, [g]] = valueAndGrad(f)([tensor(new Float64Array(alpha))]);
      const got = g!.dataSync();
      // E[x_0] = a_0/Σa: ∂/∂a_0 = (Σa − a_0)/(Σa)², ∂/∂a_i = −a_0/(Σa)² for i ≠ 0
      const want = alpha.map((_, i) => (i === 0 ? total - alpha[0]! : -alpha[0]!) / total ** 2);
      // Monte Carlo error of a mean of 20,000 pathwise derivatives: a few per cent of the scale.
      want.forEach((w, i) => {
        expect(Math.abs(got[i]! - w), `∂/∂a_${i} for ${alpha}`).toBeLessThan(
          0.06 * Math.max(...want.map(Math.abs)),
        );
      });
    }
  });
});
