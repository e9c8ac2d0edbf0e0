import { readFileSync } from "node:fs";
import * as core from "@scribe/core";
import { type Tensor, tensor } from "@scribe/core";
import { describe, expect, it } from "vitest";

/**
 * The special functions as tensor ops (through the fused CPU kernels), in float64 and
 * float32, against the mpmath reference vectors. The scalar suite checks the algorithms
 * tightly; this one checks that the tensor layer reaches them with no loss beyond storage.
 */
type Raw = number | string;
const cases = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/special_functions.json", import.meta.url), "utf8"),
) as {
  fn: string;
  args: (Raw | Raw[])[];
  expected: Raw;
  tag: string;
}[];
const num = (v: Raw) =>
  v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "nan" ? Number.NaN : (v as number);

const TENSOR_FNS: Record<string, (...a: Tensor[]) => Tensor> = {
  lgamma: core.lgamma,
  digamma: core.digamma,
  trigamma: core.trigamma,
  log1p: core.log1p,
  expm1: core.expm1,
  softplus: core.softplus,
  log_sigmoid: core.logSigmoid,
  betaln: core.betaln,
  xlogy: core.xlogy,
  xlog1py: core.xlog1py,
  erf: core.erf,
  erfc: core.erfc,
  ndtri: core.ndtri,
  log_ndtr: core.logNdtr,
  betainc: core.betainc,
  gammainc: core.gammainc,
  gammaincc: core.gammaincc,
  logsumexp: (x) => core.logsumexp(x),
};

/** Distance in float32 units in the last place. */
function ulps32(a: number, b: number): number {
  const fa = Math.fround(a);
  const fb = Math.fround(b);
  if (fa === fb) return 0;
  const spacing = Math.abs(Math.fround(fb * (1 + 2 ** -23)) - fb) || 1.4e-45;
  return Math.abs(fa - fb) / spacing;
}

describe("special functions as tensor ops match the reference vectors", () => {
  it.each(["float64", "float32"] as const)("%s", (dtype) => {
    let checked = 0;
    for (const c of cases) {
      const f = TENSOR_FNS[c.fn];
      if (!f) continue;
      const args = c.args.map((a) =>
        Array.isArray(a) ? tensor(a.map(num), { dtype }) : tensor([num(a)], { dtype }),
      );
      // float32 inputs are rounded: only cases whose inputs are exact in float32 compare to the reference.
      if (
        dtype === "float32" &&
        c.args.flat().some((a) => Math.fround(num(a)) !== num(a) && Number.isFinite(num(a)))
      )
        continue;
      const got = f(...args).dataSync()[0]!;
      const want = num(c.expected);
      checked++;
      if (!Number.isFinite(want)) {
        expect(Number.isNaN(want) ? Number.isNaN(got) : got === want, `${c.fn}(${c.args}) = ${got}`).toBe(
          true,
        );
        continue;
      }
      if (dtype === "float64") {
        // the scalar suite's own tolerance table applies; 5e-13 covers its loosest edge entry
        const rtol = c.tag === "ordinary" ? 1e-12 : 5e-13;
        expect(Math.abs(got - want), `${c.fn}(${c.args})`).toBeLessThanOrEqual(
          rtol * Math.abs(want) + 1e-300,
        );
      } else if (Math.abs(want) >= 1.2e-38 && Math.abs(want) < 3.4e38) {
        // float32: computed in float64 and rounded once, so within 1 ulp of the rounded reference
        expect(ulps32(got, want), `${c.fn}(${c.args}) = ${got} vs ${want}`).toBeLessThanOrEqual(1);
      }
    }
    expect(checked).toBeGreaterThan(dtype === "float64" ? 250 : 60);
  });
});
