import {
  cpuBackend,
  elementwise,
  registeredOps,
  type ScalarOp,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
  withBackend,
} from "@scribe/core";
import { nb2Op } from "@scribe/distributions";
import { afterAll, describe, expect, it } from "vitest";
import { randomArray, seededRandom } from "../helpers/numeric.js";
import { compare, values, webgpu } from "./gpu-env.js";

/**
 * Every scalar op on WebGPU against the cpu backend on the same float32 inputs, forward and
 * gradient. Tolerance: |gpu − cpu| ≤ max(abs, rel·|cpu|) with the per-family values below.
 */
const SPECIAL = new Set<string>([
  "lgamma",
  "digamma",
  "trigamma",
  "erf",
  "erfc",
  "ndtri",
  "logNdtr",
  "betaln",
  "gammainc",
  "gammaincc",
  "gammaincGradA",
  "gammaSampleGrad",
  "lgammaShiftDiff",
  "digammaShiftDiff",
  "trigammaShiftDiff",
  "lfactorial",
  "betainc",
  "betaincGradA",
  "betaincGradB",
  "pow",
  "atan2",
  "tan",
  "log1mexp",
]);
const TOL = { basic: 2e-6, special: 2e-4, grad: 2e-4, specialGrad: 2e-3 };
const N = 64;
const report: string[] = [];

function inputsFor(op: ScalarOp, seed: number): { data: Float32Array; integer: boolean }[] {
  const rand = seededRandom(seed);
  return op.testDomain.map((d) => ({
    data: Float32Array.from(randomArray(rand, N, d.lo, d.hi, d.integer)),
    integer: d.integer ?? false,
  }));
}

// Every op defined with defineOp, core's and those of @scribe/distributions (nb2Op among them).
const OPS = registeredOps();
const multiOutput = (op: ScalarOp) => op.outputs > 1;

describe.skipIf(!webgpu)("scalar ops: webgpu vs cpu", () => {
  afterAll(() => console.log(`max |gpu − cpu| (abs, rel) per op:\n${report.join("\n")}`));
  it("reaches the ops other packages define", () => expect(OPS).toContain(nb2Op));
  const ops = OPS.map((op) => op.name);
  it.each(ops)("%s", async (name) => {
    const op = OPS.find((o) => o.name === name)!;
    const ins = inputsFor(op, ops.indexOf(name) + 1);
    const run = (b: typeof webgpu) =>
      withBackend(
        b!,
        () =>
          elementwise(
            op,
            ins.map((x) => tensor(x.data)),
          ) as Tensor,
      );
    const g = await values(run(webgpu));
    const c = await values(run(cpuBackend() as typeof webgpu));
    const err = compare(g, c);
    const tol = SPECIAL.has(name) || multiOutput(op) ? TOL.special : TOL.basic;
    let line = `${name}: forward ${err.abs.toExponential(1)}, ${err.rel.toExponential(1)}`;
    const out = op.dtype;
    const diffArgs = ins.map((x, i) => !x.integer && !(name === "where" && i === 0));
    if (out !== "bool" && diffArgs.some(Boolean) && op.vjp !== null && !["identity"].includes(name)) {
      const gradOn = async (b: typeof webgpu) => {
        const xs = ins.map((x) => withBackend(b!, () => tensor(x.data)));
        const f = (ps: Tensor[]) =>
          sum(
            elementwise(
              op,
              ps.map((p, i) => (diffArgs[i] ? p : withBackend(b!, () => tensor(ins[i]!.data)))),
            ) as Tensor,
          );
        const [, gs] = withBackend(b!, () => valueAndGrad(f)(xs));
        return Promise.all(
          (gs as Tensor[]).map((t, i) => (diffArgs[i] ? values(t) : Promise.resolve(new Float64Array()))),
        );
      };
      const gg = await gradOn(webgpu);
      const cg = await gradOn(cpuBackend() as typeof webgpu);
      const gerr = gg
        .map((v, i) => compare(v, cg[i]!))
        .reduce((a, b) => ({ abs: Math.max(a.abs, b.abs), rel: Math.max(a.rel, b.rel) }));
      line += `; gradient ${gerr.abs.toExponential(1)}, ${gerr.rel.toExponential(1)}`;
      expect(gerr.rel, `${name} gradient`).toBeLessThanOrEqual(
        SPECIAL.has(name) || multiOutput(op) ? TOL.specialGrad : TOL.grad,
      );
    }
    report.push(line);
    expect(err.rel, `${name} forward`).toBeLessThanOrEqual(tol);
  });
});
