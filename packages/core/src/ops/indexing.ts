import { record } from "../autodiff/tape.js";
import { readyExprOf, realize } from "../tensor/realize.js";
import { formatShape, normalizeAxis, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { astype } from "./elementwise.js";
import { reshape } from "./movement.js";

function asIndex(indices: Tensor, where: string): Tensor {
  if (indices.dtype === "int32") return indices;
  if (indices.dtype === "float32" || indices.dtype === "float64" || indices.dtype === "bool")
    throw new Error(`${where}: indices must be an int32 tensor, got ${indices.dtype}`);
  return astype(indices, "int32");
}

/**
 * Take slices of `x` along `axis` at `indices` (any shape; negative indices count from the
 * end). The result has shape x.shape[:axis] + indices.shape + x.shape[axis+1:].
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = normalizeAxis(axis, x.rank);
  const idx = asIndex(indices, "gather");
  const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  const buf = x.backend.alloc(x.dtype, sizeOf(shape));
  if (sizeOf(shape) > 0) x.backend.gather(realize(x), x.shape, a, realize(idx), idx.size, buf);
  const out = new Tensor(x.backend, shape, x.dtype, buf, null);
  return record(out, [x], "gather", (g) => [scatterAddInto(null, x.shape, idx, g, a)]);
}

function scatterAddInto(
  target: Tensor | null,
  shape: readonly number[],
  idx: Tensor,
  updates: Tensor,
  a: number,
): Tensor {
  const backend = updates.backend;
  const flatUpdShape = [...shape.slice(0, a), idx.size, ...shape.slice(a + 1)];
  const expected = [...shape.slice(0, a), ...idx.shape, ...shape.slice(a + 1)];
  if (updates.rank !== expected.length || updates.shape.some((d, i) => d !== expected[i]))
    throw new Error(
      `scatterAdd: updates of shape ${formatShape(updates.shape)} should have shape ${formatShape(expected)}`,
    );
  const buf = backend.alloc(updates.dtype, sizeOf(shape));
  // Start from a copy of the target (a fused copy, so it works on every backend).
  if (target && target.size > 0)
    backend.runFused([{ expr: readyExprOf(target), outDtype: updates.dtype }], [buf]);
  const upd = reshape(updates, flatUpdShape);
  if (upd.size > 0) backend.scatterAdd(realize(upd), flatUpdShape, a, realize(idx), shape, buf);
  return new Tensor(backend, shape, updates.dtype, buf, null);
}

/**
 * `target` with `updates` added at `indices` along `axis` (repeated indices accumulate):
 * the adjoint of `gather`.
 */
export function scatterAdd(target: Tensor, indices: Tensor, updates: Tensor, axis = 0): Tensor {
  const a = normalizeAxis(axis, target.rank);
  const idx = asIndex(indices, "scatterAdd");
  if (updates.dtype !== target.dtype) updates = astype(updates, target.dtype);
  const out = scatterAddInto(target, target.shape, idx, updates, a);
  return record(out, [target, updates], "scatterAdd", (g) => [
    g,
    updates._tracked ? gather(g, idx, a) : null,
  ]);
}

/** Cumulative sum along `axis` (optionally from the end). */
export function cumsum(x: Tensor, axis = -1, reverse = false): Tensor {
  const a = normalizeAxis(axis, x.rank);
  const dtype = x.dtype === "bool" ? "int32" : x.dtype;
  const src = dtype === x.dtype ? x : astype(x, dtype);
  const buf = x.backend.alloc(dtype, x.size);
  if (x.size > 0) x.backend.cumulative(realize(src), x.shape, a, "cumsum", reverse, buf);
  const out = new Tensor(x.backend, x.shape, dtype, buf, null);
  return record(out, [x], "cumsum", (g) => [cumsum(g, a, !reverse)]);
}
