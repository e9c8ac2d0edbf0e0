import { type Tensor, tensor, valueAndGrad } from "@scribe/core";

/** A small seeded generator (mulberry32) for test inputs; independent of the library's RNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(
  rand: () => number,
  n: number,
  lo: number,
  hi: number,
  integer = false,
): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = integer ? Math.floor(lo + rand() * (hi - lo + 1)) : lo + rand() * (hi - lo);
  return out;
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Check the reverse-mode gradient of a scalar function of several float64 tensors against
 * central finite differences. Returns the worst error relative to max(1, |fd|).
 */
export function gradCheck(
  f: (xs: Tensor[]) => Tensor,
  inputs: { values: Float64Array; shape: number[] }[],
  differentiable: boolean[],
  h = 1e-6,
): { worst: number; where: string } {
  const make = () => inputs.map((x) => tensor(new Float64Array(x.values), { shape: x.shape }));
  const [, grads] = valueAndGrad((xs: Tensor[]) => f(xs))(make());
  const analytic = (grads as Tensor[]).map((g) => g.dataSync());
  let worst = 0;
  let where = "";
  const evalAt = (arg: number, idx: number, delta: number) => {
    const xs = inputs.map((x, i) => {
      const v = new Float64Array(x.values);
      if (i === arg) v[idx] = v[idx]! + delta;
      return tensor(v, { shape: x.shape });
    });
    return f(xs).item();
  };
  inputs.forEach((x, arg) => {
    if (!differentiable[arg]) return;
    for (let i = 0; i < x.values.length; i++) {
      const step = h * Math.max(1, Math.abs(x.values[i]!));
      const fd = (evalAt(arg, i, step) - evalAt(arg, i, -step)) / (2 * step);
      const err = Math.abs(analytic[arg]![i]! - fd) / Math.max(1, Math.abs(fd));
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `arg ${arg}[${i}] at ${x.values[i]}: analytic ${analytic[arg]![i]} vs fd ${fd}`;
      }
    }
  });
  return { worst, where };
}
