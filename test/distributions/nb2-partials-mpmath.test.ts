import { readFileSync } from "node:fs";
import { type MultiOutputFn, specialScalar } from "@scribe/core";
import { nb2InSupportOp, nb2Op } from "@scribe/distributions";
import { describe, expect, it } from "vitest";

// log NB2(y | μ, θ), ∂/∂μ, ∂/∂θ against mpmath at 40 digits (nb2-partials.mpmath.py), for both
// CPU bodies of the kernel: the ordinary one and the hoisted one (1/θ, lgamma θ, ψ θ given).
const rows = JSON.parse(
  readFileSync(new URL("./nb2-partials.mpmath.json", import.meta.url), "utf8"),
) as number[][];
const { lgamma, digamma } = specialScalar;

/**
 * The size of each result's terms, Σ|term| (float64 is enough for a scale): an error is judged
 * against it, since each term is computed to about an ulp and they may cancel (∂/∂μ is 0 at
 * y = μ, and a log-pmf near 0 is a difference of terms of any size).
 */
function scales(y: number, mu: number, th: number): number[] {
  const l1 = Math.log1p(mu / th);
  return [
    Math.abs(lgamma(y + th) - lgamma(th) - lgamma(y + 1)) + th * l1 + y * Math.log1p(th / mu),
    (th * (y + mu)) / (mu * (th + mu)),
    Math.abs(digamma(y + th) - digamma(th)) + l1 + (mu + y) / (th + mu),
  ];
}

// Tolerances (error / Σ|term|): counts ≤ 16 take the product form, up to 16 factors of a few
// roundings each: 48ε ≈ 1.1e-14 at worst, so 1e-14 (measured 1.4e-15). Beyond, the value takes
// lgamma(y+θ) − lgamma(θ) with terms of up to 1.4e3 (y = 300): ulps of those against the scale,
// 1e-13 (measured 6.0e-14). The partials: a few roundings each, 1e-14 (measured 3.8e-16).
const TOL_DIRECT = [1e-14, 1e-14, 1e-14];
const TOL_LARGE = [1e-13, 1e-14, 1e-14];

describe("nb2 kernel against mpmath (value and both partials)", () => {
  for (const op of [nb2Op, nb2InSupportOp]) {
    const hoisted = op.hoisted!.fn as MultiOutputFn;
    const bodies: [string, (y: number, mu: number, th: number) => number[]][] = [
      ["ordinary body", (y, mu, th) => op.evaluate(y, mu, th)],
      [
        "hoisted body",
        (y, mu, th) => {
          const out = hoisted(y, mu, th, 1 / th, lgamma(th), digamma(th));
          return op.outputNames.map((name) => out[name]!);
        },
      ],
    ];
    for (const [label, body] of bodies)
      it(`${op.name}, ${label}: every result within its tolerance over ${rows.length} points`, () => {
        // Worst error per result, counts ≤ 16 (the product form) and beyond.
        const worst = { direct: [0, 0, 0], large: [0, 0, 0] };
        for (const [y, mu, th, ...ref] of rows) {
          const got = body(y!, mu!, th!);
          const scale = scales(y!, mu!, th!);
          const regime = y! <= 16 ? "direct" : "large";
          const tol = regime === "direct" ? TOL_DIRECT : TOL_LARGE;
          for (let j = 0; j < 3; j++) {
            const err = Math.abs(got[j]! - ref[j]!) / scale[j]!;
            worst[regime][j] = Math.max(worst[regime][j]!, err);
            if (!(err <= tol[j]!))
              expect.fail(
                `${op.name} ${label} output ${j} at y=${y}, μ=${mu}, θ=${th}: ${got[j]} vs ${ref[j]}`,
              );
          }
        }
        // every row was compared (not an empty or truncated fixture), and the worst errors of
        // both regimes stand within their bounds
        expect(rows.filter(([y]) => y! <= 16).length).toBeGreaterThan(0);
        expect(rows.filter(([y]) => y! > 16).length).toBeGreaterThan(0);
        for (let j = 0; j < 3; j++) {
          expect(worst.direct[j]).toBeLessThanOrEqual(TOL_DIRECT[j]!);
          expect(worst.large[j]).toBeLessThanOrEqual(TOL_LARGE[j]!);
        }
        const fmt = (w: number[]) => w.map((e) => e.toExponential(2)).join(", ");
        console.log(
          `${op.name} ${label}: worst error / Σ|term| (value, ∂μ, ∂θ): counts ≤ 16 ${fmt(worst.direct)}; above ${fmt(worst.large)}`,
        );
      });
  }
});
