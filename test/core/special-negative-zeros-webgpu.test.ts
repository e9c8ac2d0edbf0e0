/**
 * The WGSL bodies of lgamma and digamma next to their negative zeros (float32, from the same
 * Taylor tables as the JS bodies) against mpmath (test/fixtures/numeric-edges/refs.json; see
 * special-negative-zeros.test.ts). Tolerance 2e-5 relative: the float32 Taylor form with 12
 * terms and a two-float root is good to a few ulp (6e-8 each) of t and of the sum; at 0.049 from
 * a zero, just outside the Taylor radius, the float32 reflection loses up to ~1e-5.
 */
import { readFileSync } from "node:fs";
import { digamma, lgamma, tensor, withBackend } from "@scribe/core";
import { describe, expect, it } from "vitest";
import { webgpu } from "../webgpu/gpu-env.js";

interface Point {
  x: string;
  ref: string;
}
const refs: Record<"lgammaNearRoots" | "digammaNearRoots", { float32: Point[] }> = JSON.parse(
  readFileSync(new URL("../fixtures/numeric-edges/refs.json", import.meta.url), "utf8"),
);

describe.skipIf(!webgpu)("lgamma and digamma next to their negative zeros on WebGPU (float32)", () => {
  for (const [name, op, pts] of [
    ["lgamma", lgamma, refs.lgammaNearRoots.float32],
    ["digamma", digamma, refs.digammaNearRoots.float32],
  ] as const) {
    it(
      name,
      async () => {
        const out = await withBackend(webgpu!, () => op(tensor(pts.map((p) => Number(p.x))))).data();
        const failures = pts.flatMap((p, i) => {
          const want = Number(p.ref);
          const rel = Math.abs(out[i]! - want) / Math.abs(want);
          return rel <= 2e-5 ? [] : [`x=${p.x}: got ${out[i]}, mpmath ${want}, rel ${rel.toExponential(2)}`];
        });
        expect(failures, name).toEqual([]);
      },
      { timeout: 120_000 },
    );
  }
});
