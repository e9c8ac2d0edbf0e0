import { record } from "../autodiff/tape.js";
import type { LeafExpr } from "../expr/expr.js";
import { fromExpr, leafOf, readyExprOf, realize } from "../tensor/realize.js";
import { contiguousStrides, formatShape, normalizeAxis, type Shape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** The strided view a tensor currently is: its own leaf, or the view it was built as. */
function viewOf(x: Tensor): LeafExpr {
  x.assertAlive("view");
  if (!x._buf && x._expr?.kind === "leaf") return x._expr;
  return leafOf(x);
}

function fromView(v: LeafExpr): Tensor {
  return fromExpr(v);
}

function isContiguous(v: LeafExpr): boolean {
  const cs = contiguousStrides(v.shape);
  return (
    v.offset === 0 &&
    v.shape.every((d, i) => d === 1 || v.strides[i] === cs[i]) &&
    sizeOf(v.shape) === v.tensor.size
  );
}

/** A tensor that shares `x`'s storage (or pending view) without recording anything. */
function alias(x: Tensor, shape: Shape): Tensor {
  // A deferred reduction stays deferred: view its (future, contiguous) buffer with the new shape.
  if (x._reduction)
    return fromExpr({
      kind: "leaf",
      tensor: x,
      shape,
      strides: contiguousStrides(shape),
      offset: 0,
      dtype: x.dtype,
    });
  if (x._buf) {
    x._buf.refs++;
    return new Tensor(x.backend, shape, x.dtype, x._buf, null);
  }
  const v = viewOf(x);
  if (isContiguous(v)) {
    const base = v.tensor;
    realize(base);
    base._buf!.refs++;
    return new Tensor(x.backend, shape, x.dtype, base._buf, null);
  }
  realize(x);
  return alias(x, shape);
}

/** The same values, cut off from differentiation. */
export function stopGradient(x: Tensor): Tensor {
  if (!x._tracked) return x;
  return alias(x, x.shape);
}

/** Reshape (one dimension may be −1). Shares storage when the values are contiguous. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    s[neg] = rest === 0 ? 0 : x.size / rest;
  }
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0))
    throw new Error(
      `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`,
    );
  if (s.length === x.rank && s.every((d, i) => d === x.shape[i])) return x;
  const out = alias(x, s);
  return record(out, [x], "reshape", (g) => [reshape(g, x.shape)]);
}

/** Permute dimensions (reverse them by default); zero-copy. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis(a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank)
    throw new Error(
      `transpose: [${perm}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`,
    );
  if (p.every((a, i) => a === i)) return x;
  const v = viewOf(x);
  const out = fromView({ ...v, shape: p.map((a) => v.shape[a]!), strides: p.map((a) => v.strides[a]!) });
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => {
    inv[a] = i;
  });
  return record(out, [x], "transpose", (g) => [transpose(g, inv)]);
}

/** Swap the last two axes (matrix transpose of a batch). */
export function mT(x: Tensor): Tensor {
  const p = x.shape.map((_, i) => i);
  [p[x.rank - 1], p[x.rank - 2]] = [p[x.rank - 2]!, p[x.rank - 1]!];
  return transpose(x, p);
}

/** Insert a unit axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Drop unit axes (all of them, or those listed). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list =
    axes === undefined
      ? null
      : (typeof axes === "number" ? [axes] : axes).map((a) => normalizeAxis(a, x.rank));
  if (list)
    for (const a of list)
      if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
  return reshape(
    x,
    x.shape.filter((d, i) => !(d === 1 && (list === null || list.includes(i)))),
  );
}

/** Flatten to one dimension. */
export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.size]);
}

/**
 * Slice `[begin, end)` along each axis (missing trailing axes are taken whole; negative
 * indices count from the end); zero-copy.
 */
export function slice(x: Tensor, begin: readonly number[], end?: readonly (number | null)[]): Tensor {
  const v = viewOf(x);
  const b: number[] = [];
  const shape: number[] = [];
  let offset = v.offset;
  for (let i = 0; i < x.rank; i++) {
    const d = x.shape[i]!;
    let lo = begin[i] ?? 0;
    let hi = end?.[i] ?? d;
    if (lo < 0) lo += d;
    if (hi < 0) hi += d;
    lo = Math.min(Math.max(lo, 0), d);
    hi = Math.min(Math.max(hi, lo), d);
    b.push(lo);
    shape.push(hi - lo);
    offset += lo * v.strides[i]!;
  }
  const out = fromView({ ...v, shape, offset });
  return record(out, [x], "slice", (g) => [pad(g, x.shape, b)]);
}

/** Place `x` into a zero tensor of `shape` starting at `begin` (the adjoint of slice). */
export function pad(x: Tensor, shape: Shape, begin: readonly number[]): Tensor {
  const buf = x.backend.alloc(x.dtype, sizeOf(shape));
  const out = new Tensor(x.backend, shape, x.dtype, buf, null);
  const strides = contiguousStrides(shape);
  let offset = 0;
  for (let i = 0; i < shape.length; i++) offset += (begin[i] ?? 0) * strides[i]!;
  if (x.size > 0)
    x.backend.runFused([{ expr: readyExprOf(x), outDtype: x.dtype, outView: { offset, strides } }], [buf]);
  return record(out, [x], "pad", (g) => [
    slice(
      g,
      begin,
      begin.map((bi, i) => bi + x.shape[i]!),
    ),
  ]);
}

/** Join tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error("concat: needs at least one tensor");
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.rank);
  for (const t of xs)
    if (
      t.rank !== first.rank ||
      t.shape.some((d, i) => i !== a && d !== first.shape[i]) ||
      t.dtype !== first.dtype
    )
      throw new Error(
        `concat: ${formatShape(t.shape)} ${t.dtype} does not match ${formatShape(first.shape)} ${first.dtype} outside axis ${a}`,
      );
  const shape = [...first.shape];
  shape[a] = xs.reduce((n, t) => n + t.shape[a]!, 0);
  const buf = first.backend.alloc(first.dtype, sizeOf(shape));
  const out = new Tensor(first.backend, shape, first.dtype, buf, null);
  const strides = contiguousStrides(shape);
  const starts: number[] = [];
  let pos = 0;
  for (const t of xs) {
    starts.push(pos);
    if (t.size > 0)
      t.backend.runFused(
        [{ expr: readyExprOf(t), outDtype: t.dtype, outView: { offset: pos * strides[a]!, strides } }],
        [buf],
      );
    pos += t.shape[a]!;
  }
  return record(out, xs, "concat", (g) =>
    xs.map((t, i) => {
      const b = shape.map(() => 0);
      b[a] = starts[i]!;
      const e = [...shape];
      e[a] = starts[i]! + t.shape[a]!;
      return slice(g, b, e);
    }),
  );
}

/** Join tensors of equal shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error("stack: needs at least one tensor");
  const a = normalizeAxis(axis, xs[0]!.rank + 1);
  return concat(
    xs.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** Split along `axis` into `sections` equal parts, or into parts of the listed sizes. */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank);
  const d = x.shape[a]!;
  let sizes: number[];
  if (typeof sections === "number") {
    if (d % sections !== 0)
      throw new Error(`split: axis ${a} of size ${d} does not divide into ${sections} equal parts`);
    sizes = new Array<number>(sections).fill(d / sections);
  } else sizes = [...sections];
  if (sizes.reduce((s, v) => s + v, 0) !== d)
    throw new Error(`split: sizes [${sizes}] do not add up to ${d} (axis ${a})`);
  const out: Tensor[] = [];
  let pos = 0;
  for (const s of sizes) {
    const b = x.shape.map(() => 0);
    b[a] = pos;
    const e = [...x.shape];
    e[a] = pos + s;
    out.push(slice(x, b, e));
    pos += s;
  }
  return out;
}
