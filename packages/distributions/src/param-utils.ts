import {
  astype,
  broadcastShapes,
  broadcastTo,
  type DType,
  type Shape,
  scalar,
  sum,
  Tensor,
  unsqueeze,
} from "@scribe/core";
import type { Distribution } from "./distribution.js";
import { preBroadcast, validateArgs } from "./validation.js";

/** A parameter as a user may pass it: a tensor or a plain number. */
export type ParamLike = Tensor | number;

/**
 * The floating dtype shared by a set of parameters: float64 when any tensor parameter is
 * float64, float32 otherwise (plain numbers adopt it, so `Poisson(3)` stays float32 and
 * `Poisson(tensor(new Float64Array([3])))` is float64 throughout).
 * @internal
 */
export function paramDtype(params: readonly ParamLike[]): DType {
  return params.some((p) => p instanceof Tensor && p.dtype === "float64") ? "float64" : "float32";
}

/**
 * Turn numbers into tensors of the shared float dtype and cast integer / bool tensors to it.
 * @internal
 */
export function asFloat(p: ParamLike, dtype: DType): Tensor {
  if (typeof p === "number") return scalar(p, dtype);
  if (p.dtype === "float32" || p.dtype === "float64") return p;
  return astype(p, dtype);
}

/**
 * Convert a record of parameters to float tensors of one dtype and broadcast them to their
 * common batch shape (the last `eventDims[name]` axes of a parameter are its event axes and
 * do not take part in the batch broadcast).
 * @internal
 */
export function promoteParams<K extends string>(
  name: string,
  params: Record<K, ParamLike>,
  eventRanks: Partial<Record<K, number>> = {},
): { values: Record<K, Tensor>; batchShape: number[]; dtype: DType } {
  const keys = Object.keys(params) as K[];
  const dtype = paramDtype(keys.map((k) => params[k]));
  const t = {} as Record<K, Tensor>;
  for (const k of keys) t[k] = asFloat(params[k], dtype);
  const batchParts = keys.map((k) => {
    const r = eventRanks[k] ?? 0;
    return t[k].shape.slice(0, t[k].rank - r);
  });
  let batchShape: number[];
  try {
    batchShape = broadcastShapes(...batchParts);
  } catch {
    const desc = keys.map((k) => `${k} [${t[k].shape.join(", ")}]`).join(", ");
    throw new Error(`${name}: parameter shapes do not broadcast: ${desc}`);
  }
  const values = {} as Record<K, Tensor>;
  for (const k of keys) {
    const r = eventRanks[k] ?? 0;
    const target = [...batchShape, ...t[k].shape.slice(t[k].rank - r)];
    values[k] = sameShape(t[k].shape, target) ? t[k] : broadcastTo(t[k], target);
    if (values[k] !== t[k]) preBroadcast.set(values[k], t[k]);
  }
  return { values, batchShape, dtype };
}

/** Whether two shapes are equal. @internal */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Sum the trailing `n` axes (no-op for n = 0). @internal */
export function sumRightmost(x: Tensor, n: number): Tensor {
  if (n <= 0) return x;
  const axes = Array.from({ length: n }, (_, i) => x.rank - n + i);
  return sum(x, axes);
}

/** Insert `n` trailing unit axes. @internal */
export function unsqueezeRight(x: Tensor, n: number): Tensor {
  let y = x;
  for (let i = 0; i < n; i++) y = unsqueeze(y, y.rank);
  return y;
}

/** Float view of a value (int32 category indices or bool samples become the float dtype). @internal */
export function asValue(value: Tensor, dtype: DType): Tensor {
  return value.dtype === "float32" || value.dtype === "float64" ? value : astype(value, dtype);
}

/** Require exactly one of two alternative parameter spellings. @internal */
export function exactlyOne<A extends string, B extends string>(
  site: string,
  opts: Partial<Record<A | B, ParamLike>>,
  a: A,
  b: B,
): "a" | "b" {
  const hasA = opts[a] !== undefined;
  const hasB = opts[b] !== undefined;
  if (hasA === hasB) throw new Error(`${site}: pass exactly one of \`${a}\` or \`${b}\``);
  return hasA ? "a" : "b";
}

/**
 * Validate a freshly built distribution's parameters against its class's `argConstraints`
 * when its `validateArgs` flag is on (throws a message naming the class, the argument, the
 * index and the value).
 * @internal
 */
export function checkArgs(
  dist: Distribution,
  values: Readonly<Record<string, Tensor | number | undefined>>,
): void {
  if (!dist.validateArgs) return;
  validateArgs(dist.constructor.name, values, dist.meta.argConstraints);
}

/**
 * The float dtype a distribution computes in, found from its tensor-valued fields (wrappers
 * are searched through their `base`): float64 when any is float64, else float32.
 * @internal
 */
export function distDtype(d: object, depth = 0): DType {
  for (const v of Object.values(d)) {
    if (v instanceof Tensor && v.dtype === "float64") return "float64";
    if (
      depth < 4 &&
      v !== null &&
      typeof v === "object" &&
      !(v instanceof Tensor) &&
      !Array.isArray(v) &&
      "batchShape" in v
    )
      if (distDtype(v as object, depth + 1) === "float64") return "float64";
  }
  return "float32";
}

/** Broadcast named shapes, naming them on failure. @internal */
export function broadcastNamed(name: string, shapes: Record<string, Shape>): number[] {
  try {
    return broadcastShapes(...Object.values(shapes));
  } catch {
    const desc = Object.entries(shapes)
      .map(([k, s]) => `${k} [${s.join(", ")}]`)
      .join(", ");
    throw new Error(`${name}: shapes do not broadcast: ${desc}`);
  }
}
