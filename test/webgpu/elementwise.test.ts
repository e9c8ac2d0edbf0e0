import {
  cpuBackend,
  elementwise,
  onesLike,
  registeredOps,
  type ScalarOp,
  type Tensor,
  tensor,
  vjp,
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

type GpuOrCpu = NonNullable<typeof webgpu>;

/**
 * The op's values on `b` and, when `diffArgs` has a true entry, the gradient of their sum with
 * respect to each differentiable argument (empty for the others). One `vjp` gives both from a
 * single forward pass: on SwiftShader nearly all of a case's time is compiling its shaders, and
 * valueAndGrad(sum ∘ op) compiled a third, the op fused into the sum, next to the forward and
 * gradient kernels. The pullback of ones is the gradient of the sum.
 */
async function evaluate(
  b: GpuOrCpu,
  op: ScalarOp,
  ins: { data: Float32Array }[],
  diffArgs: boolean[] | null,
): Promise<{ out: Float64Array; grads: Float64Array[] }> {
  const { out, grads } = withBackend(b, () => {
    const xs = ins.map((x) => tensor(x.data));
    if (!diffArgs) return { out: elementwise(op, xs) as Tensor, grads: [] as (Tensor | null)[] };
    const wrt = xs.filter((_, i) => diffArgs[i]);
    const [y, pullback] = vjp(
      (...ps: Tensor[]) => {
        let k = 0;
        return elementwise(
          op,
          xs.map((x, i) => (diffArgs[i] ? ps[k++]! : x)),
        ) as Tensor;
      },
      ...wrt,
    );
    let k = 0;
    const gs = pullback(onesLike(y));
    return { out: y, grads: diffArgs.map((d) => (d ? gs[k++]! : null)) };
  });
  return {
    out: await values(out),
    grads: await Promise.all(grads.map((t) => (t ? values(t) : Promise.resolve(new Float64Array())))),
  };
}

describe.skipIf(!webgpu)("scalar ops: webgpu vs cpu", () => {
  afterAll(() => console.log(`max |gpu − cpu| (abs, rel) per op:\n${report.join("\n")}`));
  it("reaches the ops other packages define", () => expect(OPS).toContain(nb2Op));
  const ops = OPS.map((op) => op.name);
  it.each(ops)("%s", async (name) => {
    const op = OPS.find((o) => o.name === name)!;
    const ins = inputsFor(op, ops.indexOf(name) + 1);
    const diffArgs = ins.map((x, i) => !x.integer && !(name === "where" && i === 0));
    const withGrad =
      op.dtype !== "bool" && diffArgs.some(Boolean) && op.vjp !== null && !["identity"].includes(name);
    const g = await evaluate(webgpu!, op, ins, withGrad ? diffArgs : null);
    const c = await evaluate(cpuBackend() as GpuOrCpu, op, ins, withGrad ? diffArgs : null);
    const err = compare(g.out, c.out);
    const tol = SPECIAL.has(name) || multiOutput(op) ? TOL.special : TOL.basic;
    let line = `${name}: forward ${err.abs.toExponential(1)}, ${err.rel.toExponential(1)}`;
    if (withGrad) {
      const gerr = g.grads
        .map((v, i) => compare(v, c.grads[i]!))
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
