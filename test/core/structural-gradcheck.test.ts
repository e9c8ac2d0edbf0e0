import { keep, mul, sum, type Tensor, tensor } from "@scribe/core";
import { describe, expect, it } from "vitest";
import { gradCheck, randomArray, seededRandom, sizeOfShape } from "../helpers/numeric.js";
import { OP_CASES } from "./op-cases.js";

// Same float64 finite-difference scheme and 1e-6 tolerance as the elementwise suite.
describe("reductions, movement, indexing and linear algebra match finite differences (float64)", () => {
  it.each(OP_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const rand = seededRandom(c.name.length * 104729 + 7);
    const inputs = c.inputs.map((d) => ({
      values: randomArray(rand, sizeOfShape(d.shape), d.lo, d.hi, d.integer),
      shape: d.shape,
    }));
    // Random output weights so every output element's cotangent differs.
    let weights: Tensor | null = null;
    const f = (xs: Tensor[]) => {
      const y = c.fn(xs);
      weights ??= keep(tensor(randomArray(seededRandom(99), y.size, -1, 1), { shape: [...y.shape] }));
      return sum(mul(y, weights));
    };
    const { worst, where } = gradCheck(
      f,
      inputs,
      c.inputs.map((d) => !d.integer),
    );
    expect(worst, where).toBeLessThan(1e-6);
  });
});
