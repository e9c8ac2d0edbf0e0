import {
  defineOp,
  elementwise,
  type MultiOutputSpec,
  mul,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@scribe/core";
import { compiledLoopSources } from "@scribe/core/backend/cpu/codegen.js";
import { describe, expect, it } from "vitest";

/**
 * A multi-output op's CPU body returns its outputs in an object keyed by the output names
 * (ops/define-op.ts, `MultiOutputFn`); the generated loop reads the fields by name. Checked
 * with a user-defined op against closed forms, and the spec errors by their messages.
 */

/** log(x² + y²) and its partials 2x/(x²+y²), 2y/(x²+y²), built in one `return`. */
const spec: MultiOutputSpec = {
  name: "testLogHypot2",
  module: import.meta.url,
  arity: 2,
  outputs: ["value", "gradX", "gradY"],
  dtype: "float",
  cost: 10,
  testDomain: [
    { lo: 0.5, hi: 3 },
    { lo: 0.5, hi: 3 },
  ],
  cpu: {
    fn: (x: number, y: number) => {
      const s = x * x + y * y;
      return { value: Math.log(s), gradX: (2 * x) / s, gradY: (2 * y) / s };
    },
  },
  wgsl: { fn: "sp_testLogHypot2" },
  wgslLib: {
    sp_testLogHypot2:
      "fn sp_testLogHypot2(x: f32, y: f32) -> vec3<f32> { let s = x * x + y * y; return vec3<f32>(log(s), 2.0 * x / s, 2.0 * y / s); }",
  },
  vjp: (g, _args, outs) => [mul(g, outs[1]!), mul(g, outs[2]!)],
};
const logHypot2 = defineOp(spec);

describe("multi-output ops return their outputs by name", () => {
  it("evaluate lists the outputs in the spec's order", () => {
    const [v, gx, gy] = logHypot2.evaluate(3, 4);
    expect(v).toBeCloseTo(Math.log(25), 14);
    expect(gx).toBeCloseTo(6 / 25, 15);
    expect(gy).toBeCloseTo(8 / 25, 15);
  });

  it("a fused loop reads the named outputs: value and gradient equal the closed forms (float64)", () => {
    const xs = [0.5, 1.25, 2, 3];
    const ys = [2.5, 0.75, 1, 3];
    const f = valueAndGrad((p: { x: Tensor; y: Tensor }) => sum(elementwise(logHypot2, [p.x, p.y])));
    const [value, g] = f({ x: tensor(xs, { dtype: "float64" }), y: tensor(ys, { dtype: "float64" }) });
    const s = xs.map((x, i) => x * x + ys[i]! * ys[i]!);
    // one rounding per operation in both: 1e-14 relative
    expect(value.dataSync()[0]).toBeCloseTo(
      s.reduce((a, b) => a + Math.log(b), 0),
      13,
    );
    g.x.dataSync().forEach((v, i) => void expect(v).toBeCloseTo((2 * xs[i]!) / s[i]!, 14));
    g.y.dataSync().forEach((v, i) => void expect(v).toBeCloseTo((2 * ys[i]!) / s[i]!, 14));
    const loop = [...compiledLoopSources().values()].find((src) => src.includes("F_testLogHypot2("));
    expect(loop).toMatch(/res\d+\.value/);
    expect(loop).not.toMatch(/new Float64Array/);
  });

  it("names a missing output at the arguments it was called with", () => {
    const broken = defineOp({
      ...spec,
      name: "testMissingOutput",
      cpu: { fn: (x: number, y: number) => ({ value: x + y, gradX: 1 }) },
      // The registry is process-wide and unit files share a worker: without a VJP the generic
      // gradient suite, which may run later in the same worker, leaves this broken op out.
      vjp: null,
    });
    expect(() => broken.evaluate(1, 2)).toThrow(
      "defineOp('testMissingOutput'): cpu.fn returned undefined for output 'gradY' at (1, 2)",
    );
  });

  it("refuses output names that are not identifiers or that repeat", () => {
    expect(() => defineOp({ ...spec, name: "testBadName", outputs: ["value", "grad-x", "gradY"] })).toThrow(
      "output name 'grad-x' is not an identifier",
    );
    expect(() => defineOp({ ...spec, name: "testRepeat", outputs: ["value", "g", "g"] })).toThrow(
      "output names repeat: value, g, g",
    );
  });
});
