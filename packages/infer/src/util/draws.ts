/**
 * Collect many per-draw results into tensors with a leading draw axis, in chunks: each chunk
 * is stacked on the draws' backend and kept there (its intermediates freed with the chunk's
 * scope), and the chunks are joined at the end. There is no readback at all, on any backend
 * (ARCHITECTURE.md: algorithms read only at coarse boundaries; issue 12), so the same code
 * runs on the cpu and on WebGPU. Memory: the output, plus one chunk's intermediates while it
 * is drawn, plus one copy of the output while the chunks are joined.
 * @module
 */
import { concat, dispose, keep, realize, scope, stack, type Tensor, withBackend } from "@scribe/core";

interface Acc {
  shape: number[];
  /** The stacked chunks, kept on the draws' backend. */
  chunks: Tensor[];
}

/**
 * Run `draw(i)` for i in [0, n) and stack each returned site over a new leading axis.
 * Every draw must return the same sites with the same shapes.
 * @example
 * const out = collectDraws(1000, 100, (i) => ({ y: random.normal(key(i), [3]) }));
 * out.y!.shape; // [1000, 3]
 */
export function collectDraws(
  n: number,
  batchSize: number,
  draw: (i: number) => Record<string, Tensor>,
  what = "draws",
): Record<string, Tensor> {
  const acc = new Map<string, Acc>();
  const bs = Math.max(1, Math.floor(batchSize));
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    scope(() => {
      const chunk = new Map<string, Tensor[]>();
      for (let i = start; i < end; i++)
        for (const [name, v] of Object.entries(draw(i))) {
          const list = chunk.get(name) ?? [];
          list.push(v);
          chunk.set(name, list);
        }
      for (const [name, list] of chunk) {
        const first = list[0]!;
        if (list.length !== end - start)
          throw new Error(`${what}: site '${name}' is missing from some draws`);
        let a = acc.get(name);
        if (!a) {
          a = { shape: [...first.shape], chunks: [] };
          acc.set(name, a);
        }
        const sh = a.shape;
        for (const v of list)
          if (v.shape.length !== sh.length || v.shape.some((d, j) => d !== sh[j]))
            throw new Error(`${what}: site '${name}' changes shape between draws: [${sh}] vs [${v.shape}]`);
        const stacked = withBackend(first.backend, () => stack(list));
        // computed now, so the draws' intermediates can go with the scope
        realize(stacked);
        a.chunks.push(keep(stacked));
      }
    });
  }
  const out: Record<string, Tensor> = {};
  for (const [name, a] of acc) {
    const first = a.chunks[0]!; // n ≥ 1 draws were collected for every site in acc
    if (a.chunks.length === 1) out[name] = first;
    else {
      const joined = withBackend(first.backend, () => concat(a.chunks, 0));
      realize(joined); // computed before its inputs go
      dispose(a.chunks);
      out[name] = joined;
    }
  }
  return out;
}

/** Draw `i` of each posterior sample (the leading axis dropped). */
export function drawAt(samples: Readonly<Record<string, Tensor>>, i: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(samples)) out[k] = t.slice([i], [i + 1]).reshape(t.shape.slice(1));
  return out;
}

/** The common leading size of posterior samples (error if they differ or there are none). */
export function numDraws(samples: Readonly<Record<string, Tensor>>, what: string): number {
  const sizes = new Set(Object.values(samples).map((t) => t.shape[0]));
  if (sizes.size !== 1 || [...sizes][0] === undefined)
    throw new Error(
      `${what}: samples must be non-empty with one common leading size, got ${[...sizes].join(", ") || "none"}`,
    );
  return [...sizes][0]!;
}
