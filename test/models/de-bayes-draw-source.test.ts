/**
 * `drawsSource` (de/bayesian/draw-source.ts): for every shape of p — [S] (shared), [S, K]
 * (per component), [S, G] and [S, K, G] — a batch's mu equals r·p/(1 − p) computed here
 * element by element on the [draw, component, gene] grid.
 */
import { drawsSource } from "@scribe/models/de/bayesian/index.js";
import { describe, expect, it } from "vitest";

describe("drawsSource", () => {
  it("mu = r·p/(1−p) for p per draw, per component, per gene and per component × gene", async () => {
    const S = 5;
    const K = 2;
    const G = 3;
    const genes = ["a", "b", "c"];
    const r = Float64Array.from({ length: S * K * G }, (_, i) => 0.5 + ((i * 7) % 11));
    const weights = Float64Array.from({ length: S * K }, (_, i) => (i % 2 ? 0.3 : 0.7));
    const pAt = (i: number) => 0.2 + ((i * 3) % 7) / 10;
    for (const [label, per, index] of [
      ["[S]", 1, (s: number) => s],
      ["[S, K]", K, (s: number, k: number) => s * K + k],
      ["[S, G]", G, (s: number, _k: number, g: number) => s * G + g],
      ["[S, K, G]", K * G, (s: number, k: number, g: number) => (s * K + k) * G + g],
    ] as const) {
      const p = Float64Array.from({ length: S * per }, (_, i) => pAt(i));
      const src = drawsSource({ genes, r, p, nDraws: S, nComponents: K, weights });
      const start = 1;
      const n = 3;
      const b = await src.batch(start, n, undefined as never);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < K; k++)
          for (let g = 0; g < G; g++) {
            const s = start + i;
            const pv = p[index(s, k, g)]!;
            const want = (r[(s * K + k) * G + g]! * pv) / (1 - pv);
            expect(b.mu[(i * K + k) * G + g], `${label} draw ${s} component ${k} gene ${g}`).toBeCloseTo(
              want,
              12,
            );
          }
    }
  });
});
