import { elementwise, mul, registeredOps, sum, type Tensor, tensor } from "@scribe/core";
import { nb2Op } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { gradCheck, randomArray, seededRandom, sizeOfShape } from "../helpers/numeric.js";

// Shapes exercise broadcasting: the second and third arguments broadcast against the first,
// so the engine must sum cotangents back over the broadcast axes (a fifth argument, e.g. the
// node count of poissonBetaLogPmf, is one broadcast value).
const SHAPES = [[3, 4], [4], [3, 1], [1, 4], [1]];

// Float64 central differences with h = 1e-6·max(1,|x|): truncation ~h²·f''' and rounding
// ~eps·|f|/h are both below 1e-8, so 1e-6 relative leaves room for curvature. Ops whose
// derivative comes from a series or quadrature helper get the accuracy that helper states.
const TOLERANCE: Partial<Record<string, number>> = {
  betainc: 1e-5,
  gammainc: 1e-5,
  gammaincc: 1e-5,
};

// Every op defined with defineOp: core's, and those @scribe/distributions defines.
const ops = registeredOps()
  .filter((op) => op.vjp !== null)
  .map((op) => op.name);
const opByName = new Map(registeredOps().map((op) => [op.name, op]));

describe("every differentiable elementwise op matches finite differences (float64)", () => {
  it("reaches the ops other packages define (the count kernels of @scribe/distributions)", () => {
    expect(ops).toContain(nb2Op.name);
    expect(ops).toContain("poissonBeta");
  });
  it.each(ops)("%s", (op) => {
    const def = opByName.get(op)!;
    const domains = def.testDomain;
    const rand = seededRandom(op.length * 7919 + op.charCodeAt(0));
    const inputs = domains.map((d, i) => {
      const shape = SHAPES[i]!;
      return { values: randomArray(rand, sizeOfShape(shape), d.lo, d.hi, d.integer), shape };
    });
    const differentiable = domains.map((d, i) => !d.integer && !(op === "where" && i === 0));
    const weights = tensor(randomArray(rand, 12, -1, 1), { shape: [3, 4] });
    const f = (xs: Tensor[]) => sum(mul(elementwise(def, xs), weights));
    expect(def.arity).toBe(domains.length);
    const { worst, where } = gradCheck(f, inputs, differentiable);
    expect(worst, `${op}: ${where}`).toBeLessThan(TOLERANCE[op] ?? 1e-6);
  });
});
