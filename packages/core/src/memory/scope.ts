import { cpuBackend, currentBackend } from "../backend/registry.js";
import { realize } from "../tensor/realize.js";
import { Tensor } from "../tensor/tensor.js";
import { openScopes } from "./scope-stack.js";

/**
 * Memory scopes, in the spirit of tf.tidy: every tensor created inside `scope(fn)` is freed
 * when it returns, except what it returns (tensors anywhere inside arrays / plain objects)
 * and what was passed to `keep`.
 */
const stack = openScopes;

function collect(value: unknown, out: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, out, seen);
}

/** Mark a tensor to survive the scopes it was created in. */
export function keep<T extends Tensor>(t: T): T {
  t._kept = true;
  return t;
}

/** Run `fn`, then free every tensor it created except its result and kept tensors. */
export function scope<T>(fn: () => T): T {
  const created = new Set<Tensor>();
  stack.push(created);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of created) if (!t._kept) t.dispose();
    throw e;
  }
  stack.pop();
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  // Survivors may be lazy views or expressions over tensors about to be freed: compute them now.
  for (const t of created) if (t._kept) survivors.add(t);
  for (const t of survivors) if (!t.isDisposed) realize(t);
  const parent = stack[stack.length - 1];
  for (const t of created) {
    if (survivors.has(t)) {
      if (parent) parent.add(t);
    } else t.dispose();
  }
  return result;
}

/** Buffers allocated and not yet freed on the current backend (and the cpu one). */
export function liveBuffers(): number {
  const b = currentBackend();
  return b === cpuBackend() ? b.liveBuffers() : b.liveBuffers() + cpuBackend().liveBuffers();
}

/** Free several tensors (or tensors inside arrays / objects) now. */
export function dispose(value: unknown): void {
  const s = new Set<Tensor>();
  collect(value, s);
  for (const t of s) t.dispose();
}
