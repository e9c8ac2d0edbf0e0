/**
 * The float32 numeric edge cases of numeric-edges.test.ts on WebGPU, where float32 is the
 * arithmetic of every intermediate (the CPU backend evaluates a fused float32 expression in
 * float64 and rounds once, so it cannot show an intermediate overflow such as 1e30/1e-30).
 * References: mpmath, test/fixtures/numeric-edges/refs.json (see generate.py there).
 * Tolerance 1e-5 relative: a few float32 roundings (6e-8 each) of logs of size ≤ 200 and of
 * GPU log/exp, which WGSL allows a few ulp of error more than JS.
 */
import { readFileSync } from "node:fs";
import { type Tensor, tensor, withBackend } from "@scribe/core";
import { CategoricalLogits, Cauchy, HalfCauchy, Poisson, Uniform } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { webgpu } from "../webgpu/gpu-env.js";

type Case = Record<string, string> & { dtype: string; ref: string };
const refs: Record<"cauchy" | "halfCauchy" | "uniform" | "poisson", Case[]> & {
  categoricalLogits: { dtype: string; logits: string[]; ref: string[] }[];
} = JSON.parse(readFileSync(new URL("../fixtures/numeric-edges/refs.json", import.meta.url), "utf8"));
const f32 = <T extends { dtype: string }>(cs: T[]) => cs.filter((c) => c.dtype === "float32");

const RTOL = 1e-5;
const num = (v: string) => tensor([Number(v)]);

async function failures(make: () => Tensor, want: readonly number[], what: string): Promise<string[]> {
  const got = await withBackend(webgpu!, make).data();
  return want.flatMap((w, i) => {
    const rel = Math.abs(got[i]! - w) / Math.abs(w);
    return rel <= RTOL ? [] : [`${what}[${i}]: got ${got[i]}, mpmath ${w}, rel ${rel.toExponential(2)}`];
  });
}

describe.skipIf(!webgpu)("numeric edges on WebGPU (float32) vs mpmath", () => {
  it(
    "Cauchy, HalfCauchy, Uniform, Poisson and CategoricalLogits",
    async () => {
      const bad: string[] = [];
      for (const c of f32(refs.cauchy))
        bad.push(
          ...(await failures(
            () => new Cauchy(num(c.loc!), num(c.scale!)).logProb(num(c.x!)),
            [Number(c.ref)],
            `Cauchy x=${c.x}`,
          )),
        );
      for (const c of f32(refs.halfCauchy))
        bad.push(
          ...(await failures(
            () => new HalfCauchy(num(c.scale!)).logProb(num(c.x!)),
            [Number(c.ref)],
            `HalfCauchy x=${c.x}`,
          )),
        );
      for (const c of f32(refs.uniform))
        bad.push(
          ...(await failures(
            () => new Uniform(num(c.low!), num(c.high!)).logProb(num(c.x!)),
            [Number(c.ref)],
            `Uniform ${c.low}..${c.high}`,
          )),
        );
      for (const c of f32(refs.poisson))
        bad.push(
          ...(await failures(
            () => new Poisson(num(c.rate!)).logProb(num(c.k!)),
            [Number(c.ref)],
            `Poisson k=${c.k}`,
          )),
        );
      for (const c of f32(refs.categoricalLogits)) {
        const k = c.logits.length;
        bad.push(
          ...(await failures(
            () =>
              new CategoricalLogits(tensor(c.logits.map(Number))).logProb(
                tensor(
                  Array.from({ length: k }, (_, i) => i),
                  { dtype: "int32" },
                ),
              ),
            c.ref.map(Number),
            `CategoricalLogits ${c.logits}`,
          )),
        );
      }
      expect(bad).toEqual([]);
    },
    { timeout: 120_000 },
  );
});
