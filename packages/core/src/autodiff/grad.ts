import { scope } from "../memory/scope.js";
import { astype } from "../ops/elementwise.js";
import { reshape } from "../ops/movement.js";
import { sum } from "../ops/reduce.js";
import { ones, zeros } from "../tensor/creation.js";
import { realize } from "../tensor/realize.js";
import { formatShape, shapesEqual } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { withRecording } from "./tape.js";

/** Arguments that can be differentiated: a tensor, an array of tensors, or a record of them. */
export type Params = Tensor | readonly Tensor[] | { readonly [k: string]: Tensor };

function flattenParams(p: Params): Tensor[] {
  if (p instanceof Tensor) return [p];
  if (Array.isArray(p)) return [...(p as Tensor[])];
  return Object.values(p as Record<string, Tensor>);
}

function unflatten<P extends Params>(p: P, ts: Tensor[]): P {
  if (p instanceof Tensor) return ts[0] as unknown as P;
  if (Array.isArray(p)) return ts as unknown as P;
  const out: Record<string, Tensor> = {};
  Object.keys(p).forEach((k, i) => {
    out[k] = ts[i]!;
  });
  return out as P;
}

/** A fresh tracked tensor with the same value, so the caller's tensor stays untouched. */
function track(t: Tensor): Tensor {
  t.assertAlive("grad input");
  if (t._reduction) realize(t);
  const x = new Tensor(t.backend, t.shape, t.dtype, t._buf, t._expr);
  if (t._buf) t._buf.refs++;
  x._tracked = true;
  return x;
}

/** Sum a cotangent over the axes along which `shape` was broadcast. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape === shape || shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

/** Reverse sweep from `out` with cotangent `ct`; returns cotangents of `inputs`. */
function backward(out: Tensor, ct: Tensor, inputs: readonly Tensor[]): Tensor[] {
  const nodes: Tensor[] = [];
  const seen = new Set<number>();
  const stack: Tensor[] = [out];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id) || !t._tracked) continue;
    seen.add(t.id);
    nodes.push(t);
    if (t._node) for (const i of t._node.inputs) stack.push(i);
  }
  // Ids grow with creation, so descending id order is a reverse topological order.
  nodes.sort((a, b) => b.id - a.id);
  const grads = new Map<number, Tensor>([[out.id, ct]]);
  for (const t of nodes) {
    const g = grads.get(t.id);
    if (!g || !t._node) continue;
    const cts = t._node.vjp(g);
    const inputs = t._node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i]!;
      const c = cts[i];
      if (!c || !inp._tracked) continue;
      let gi = unbroadcast(c, inp.shape);
      if (gi.dtype !== inp.dtype) gi = astype(gi, inp.dtype);
      const prev = grads.get(inp.id);
      grads.set(inp.id, prev ? prev.add(gi) : gi);
    }
  }
  return inputs.map((x) => grads.get(x.id) ?? zeros(x.shape, x.dtype));
}

/**
 * The value of `f` at `primals` and a function pulling a cotangent of the output back to
 * cotangents of each primal.
 */
export function vjp(
  f: (...xs: Tensor[]) => Tensor,
  ...primals: Tensor[]
): [Tensor, (ct: Tensor) => Tensor[]] {
  const tracked = primals.map(track);
  const out = withRecording(true, () => f(...tracked));
  const pullback = (ct: Tensor) => {
    if (ct.rank !== out.rank || ct.shape.some((d, i) => d !== out.shape[i]))
      throw new Error(
        `vjp: cotangent shape ${formatShape(ct.shape)} does not match output shape ${formatShape(out.shape)}`,
      );
    return withRecording(false, () => backward(out, ct, tracked));
  };
  return [out, pullback];
}

export interface ValueAndGradOptions {
  /** `f` returns [value, aux]; aux is passed through (not differentiated). */
  hasAux?: boolean;
}

/**
 * `valueAndGrad(f)(params, ...rest)` returns `[f(params, ...rest), ∂f/∂params]` with the
 * gradient in the same structure as `params` (a tensor, an array or a record of tensors).
 * `f` must return a scalar. Intermediates are freed when it returns.
 * @example
 * const [v, g] = valueAndGrad((x: Tensor) => x.mul(x).sum())(tensor([1, 2, 3])); // g = [2, 4, 6]
 */
export function valueAndGrad<P extends Params, A extends unknown[], Aux = never>(
  f: (params: P, ...rest: A) => Tensor | [Tensor, Aux],
  opts: ValueAndGradOptions = {},
): (params: P, ...rest: A) => [Tensor, P, ...([Aux] extends [never] ? [] : [Aux])] {
  return (params: P, ...rest: A) =>
    scope(() => {
      const flat = flattenParams(params);
      const tracked = flat.map(track);
      const res = withRecording(true, () => f(unflatten(params, tracked), ...rest));
      const [value, aux] = opts.hasAux ? (res as [Tensor, Aux]) : [res as Tensor, undefined];
      if (value.size !== 1)
        throw new Error(
          `valueAndGrad: the function must return a scalar, got shape ${formatShape(value.shape)} (sum or mean it first)`,
        );
      const ct = ones(value.shape, value.dtype);
      const grads = withRecording(false, () => backward(value, ct, tracked));
      // Detach the value from the tape so its graph can be freed with the scope.
      value._node = null;
      value._tracked = false;
      const out = [value, unflatten(params, grads)] as unknown[];
      if (opts.hasAux) out.push(aux);
      return out as [Tensor, P, ...([Aux] extends [never] ? [] : [Aux])];
    });
}

/** `grad(f)(params, ...rest)`: the gradient of scalar `f` with respect to `params`. */
export function grad<P extends Params, A extends unknown[]>(
  f: (params: P, ...rest: A) => Tensor,
): (params: P, ...rest: A) => P {
  const vg = valueAndGrad(f);
  return (params: P, ...rest: A) => vg(params, ...rest)[1] as P;
}
