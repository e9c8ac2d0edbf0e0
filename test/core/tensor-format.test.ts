import { inspect } from "node:util";
import { tensor } from "@scribe/core";
import { formatTensor, formatValues } from "@scribe/core/tensor/format.js";
import { describe, expect, it } from "vitest";
import cases from "./tensor-format-numpy.json" with { type: "json" };

describe("tensor display", () => {
  // NumPy's array2string output for the same arrays (tensor-format-numpy.py)
  for (const c of cases as {
    name: string;
    dtype: string;
    shape: number[];
    values: (number | string)[];
    precision: number;
    repr: string;
  }[]) {
    it(`matches NumPy's repr: ${c.name}`, () => {
      const special: Record<string, number> = {
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        "-inf": Number.NEGATIVE_INFINITY,
      };
      const vals = c.values.map((v) => (typeof v === "string" ? special[v]! : v)); // NumPy writes non-finite values as names
      const dtype = c.dtype === "float64" ? "float64" : c.dtype === "int32" ? "int32" : "float32";
      const values =
        dtype === "float32"
          ? Float32Array.from(vals)
          : dtype === "int32"
            ? Int32Array.from(vals)
            : Float64Array.from(vals);
      expect(formatValues(values, c.shape, dtype, { precision: c.precision }, "Tensor(".length)).toBe(c.repr);
    });
  }

  it("util.inspect and the Jupyter bundle show values, shape and dtype", () => {
    const t = tensor([
      [1, 2.5],
      [3, 4],
    ]);
    const expected = "Tensor([[1. , 2.5],\n        [3. , 4. ]], shape=[2, 2], dtype=float32)";
    expect(inspect(t)).toBe(expected);
    const bundle = (t as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ]!.call(t);
    expect(bundle["text/plain"]).toBe(expected);
    expect(bundle["text/html"]).toContain("<pre>Tensor([[1. , 2.5],");
    expect(inspect(tensor([true, false], { dtype: "bool" }))).toBe(
      "Tensor([ true, false], shape=[2], dtype=bool)",
    );
  });

  it("without synchronous reads (WebGPU) or after dispose it says so instead of reading", () => {
    const gpu = {
      shape: [3],
      dtype: "float32" as const,
      size: 3,
      isDisposed: false,
      backend: { name: "webgpu" },
    };
    expect(formatTensor(gpu)).toBe(
      "Tensor(shape=[3], dtype=float32, backend=webgpu; values need 'await t.data()')",
    );
    const t = tensor([1, 2]);
    t.dispose();
    expect(inspect(t)).toBe("Tensor(shape=[2], dtype=float32, disposed)");
  });
});
