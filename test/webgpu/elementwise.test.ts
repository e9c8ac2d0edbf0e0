import { cpuBackend, elementwise, sum, tensor, type Tensor, valueAndGrad, withBackend } from "@scribe/core";
import { SCALAR_OP_TEST_DOMAINS, SCALAR_OPS, type ScalarOpName } from "@scribe/core/expr/scalar-ops.js";
import { afterAll, describe, expect, it } from "vitest";
import { randomArray, seededRandom } from "../helpers/numeric.js";
import { compare, values, webgpu } from "./gpu-env.js";

/**
 * Every scalar op on WebGPU against the cpu backend on the same float32 inputs, forward and
 * gradient. Tolerance: |gpu − cpu| ≤ max(abs, rel·|cpu|) with the per-family values below.
 */
const SPECIAL = new Set<string>([
  "lgamma", "digamma", "trigamma", "erf", "erfc", "ndtri", "logNdtr", "betaln", "gammainc", "gammaincc",
  "gammaincGradA", "gammaSampleGrad", "lgammaShiftDiff", "digammaShiftDiff", "trigammaShiftDiff", "lfactorial",
  "betainc", "betaincGradA", "betaincGradB", "pow", "atan2", "tan",
]);
const TOL = { basic: 2e-6, special: 2e-4, grad: 2e-4, specialGrad: 2e-3 };
const N = 64;
const report: string[] = [];

function inputsFor(op: ScalarOpName, seed: number): { data: Float32Array; integer: boolean }[] {
  const rand = seededRandom(seed);
  return SCALAR_OP_TEST_DOMAINS[op].map((d) => ({
    data: Float32Array.from(randomArray(rand, N, d.lo, d.hi, d.integer)),
    integer: d.integer ?? false,
  }));
}

const hasGroup = (op: ScalarOpName) => "group" in SCALAR_OPS[op];

describe.skipIf(!webgpu)("scalar ops: webgpu vs cpu", () => {
  afterAll(() => console.log(`max |gpu − cpu| (abs, rel) per op:\n${report.join("\n")}`));
  const ops = Object.keys(SCALAR_OPS) as ScalarOpName[];
  it.each(ops)("%s", async (op) => {
    const ins = inputsFor(op, ops.indexOf(op) + 1);
    const run = (b: typeof webgpu) =>
      withBackend(b!, () => elementwise(op, ins.map((x) => tensor(x.data))) as Tensor);
    const g = await values(run(webgpu));
    const c = await values(run(cpuBackend() as typeof webgpu));
    const err = compare(g, c);
    const tol = SPECIAL.has(op) || hasGroup(op) ? TOL.special : TOL.basic;
    let line = `${op}: forward ${err.abs.toExponential(1)}, ${err.rel.toExponential(1)}`;
    const out = SCALAR_OPS[op].out;
    const diffArgs = ins.map((x, i) => !x.integer && !(op === "where" && i === 0));
    if (out !== "bool" && diffArgs.some(Boolean) && !["floor", "ceil", "round", "sign", "identity"].includes(op)) {
      const gradOn = async (b: typeof webgpu) => {
        const xs = ins.map((x) => withBackend(b!, () => tensor(x.data)));
        const f = (ps: Tensor[]) => sum(elementwise(op, ps.map((p, i) => (diffArgs[i] ? p : withBackend(b!, () => tensor(ins[i]!.data))))) as Tensor);
        const [, gs] = withBackend(b!, () => valueAndGrad(f)(xs));
        return Promise.all((gs as Tensor[]).map((t, i) => (diffArgs[i] ? values(t) : Promise.resolve(new Float64Array()))));
      };
      const gg = await gradOn(webgpu);
      const cg = await gradOn(cpuBackend() as typeof webgpu);
      const gerr = gg.map((v, i) => compare(v, cg[i]!)).reduce((a, b) => ({ abs: Math.max(a.abs, b.abs), rel: Math.max(a.rel, b.rel) }));
      line += `; gradient ${gerr.abs.toExponential(1)}, ${gerr.rel.toExponential(1)}`;
      expect(gerr.rel, `${op} gradient`).toBeLessThanOrEqual(SPECIAL.has(op) || hasGroup(op) ? TOL.specialGrad : TOL.grad);
    }
    report.push(line);
    expect(err.rel, `${op} forward`).toBeLessThanOrEqual(tol);
  });
});
