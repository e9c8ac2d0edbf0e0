/**
 * Per-draw values stacked over a leading draw axis, chunk by chunk, without reading
 * anything back: each chunk's model runs are freed once their values are stacked, so memory
 * stays bounded by the output plus one chunk, on the cpu and on WebGPU alike.
 * @module
 */
import { concat, dispose, scope, stack, type Tensor } from "@scribe/core";

interface SiteChunks {
  readonly shape: readonly number[];
  readonly dtype: Tensor["dtype"];
  readonly chunks: Tensor[];
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Collects `draw(i)` (site name → tensor) for draws `0 … n−1`, chunk by chunk, into one
 * tensor per site of shape `[n, ...site]`. Every draw must give the same sites, each with
 * one shape and dtype.
 * @example
 * const c = new DrawChunks(10, "example");
 * c.addChunk(0, 5, (i) => ({ x: tensor([i, 2 * i]) }));
 * c.addChunk(5, 10, (i) => ({ x: tensor([i, 2 * i]) }));
 * c.finish().x!.shape; // [10, 2]
 */
export class DrawChunks {
  readonly #sites = new Map<string, SiteChunks>();
  #next = 0;

  /**
   * @param n - draws in all
   * @param what - names the caller in errors (e.g. "Predictive")
   */
  constructor(
    readonly n: number,
    readonly what: string,
  ) {}

  /** Run draws `start … end−1` and stack each site's values; the draws' other tensors are freed. */
  addChunk(start: number, end: number, draw: (i: number) => Record<string, Tensor>): void {
    if (start !== this.#next || end <= start || end > this.n)
      throw new Error(
        `${this.what}: chunk [${start}, ${end}) does not continue draws 0…${this.#next - 1} of ${this.n}`,
      );
    const stacked = scope(() => {
      const lists = new Map<string, Tensor[]>();
      for (let i = start; i < end; i++) {
        const out = draw(i);
        if (i === start && this.#sites.size > 0) this.#checkSameSites(Object.keys(out), i);
        for (const [name, v] of Object.entries(out)) {
          let list = lists.get(name);
          if (!list) {
            if (i !== start)
              throw new Error(`${this.what}: site '${name}' is missing from draws before draw ${i}`);
            list = [];
            lists.set(name, list);
          }
          this.#checkValue(name, v, list[0] ?? v, i);
          list.push(v);
        }
      }
      const out: Record<string, Tensor> = {};
      for (const [name, list] of lists) {
        if (list.length !== end - start)
          throw new Error(`${this.what}: site '${name}' is missing from some draws`);
        out[name] = stack(list);
      }
      return out;
    });
    for (const [name, t] of Object.entries(stacked)) {
      const site = this.#sites.get(name);
      if (site) site.chunks.push(t);
      else this.#sites.set(name, { shape: t.shape.slice(1), dtype: t.dtype, chunks: [t] });
    }
    this.#next = end;
  }

  #checkSameSites(names: readonly string[], i: number): void {
    const known = [...this.#sites.keys()];
    const missing = known.filter((k) => !names.includes(k));
    const extra = names.filter((k) => !this.#sites.has(k));
    if (missing.length > 0 || extra.length > 0)
      throw new Error(
        `${this.what}: draw ${i} gives sites [${names.join(", ")}], earlier draws gave [${known.join(", ")}]`,
      );
  }

  #checkValue(name: string, v: Tensor, first: Tensor, i: number): void {
    const site = this.#sites.get(name);
    const shape = site?.shape ?? first.shape;
    const dtype = site?.dtype ?? first.dtype;
    if (!sameShape(v.shape, shape))
      throw new Error(
        `${this.what}: site '${name}' changes shape between draws: [${shape}] vs [${v.shape}] at draw ${i}`,
      );
    if (v.dtype !== dtype)
      throw new Error(
        `${this.what}: site '${name}' changes dtype between draws: ${dtype} vs ${v.dtype} at draw ${i}`,
      );
  }

  /** The stacked values, site → `[n, ...site]`; the chunks are freed. Call after the last chunk. */
  finish(): Record<string, Tensor> {
    if (this.#next !== this.n) throw new Error(`${this.what}: ${this.#next} of ${this.n} draws collected`);
    const out: Record<string, Tensor> = {};
    for (const [name, s] of this.#sites) {
      if (s.chunks.length === 1) out[name] = s.chunks[0]!;
      else {
        out[name] = scope(() => concat(s.chunks));
        dispose(s.chunks);
      }
    }
    this.#sites.clear();
    return out;
  }
}
