/**
 * Per-element counter streams, the building block of every sampler here.
 *
 * Draw `m` of element `i` under key `k` is the Threefry-2x32 block of the counter
 * `(m, i)` under `k`, so element `i`'s draws depend only on `(k, i, m)`: not on `n`,
 * on other elements, or on the order in which elements are computed. Draw 0 of
 * element `i` is the block JAX's `random.bits` (partitionable Threefry) uses for
 * element `i`.
 *
 * @module
 */
import type { Key } from "./key.js";
import { paramMessage } from "./param-rules.js";
import { pcos2pi, plog } from "./portable-math.js";
import { threefry2x32Into } from "./threefry.js";

/** 2^-52. */
const EPS52 = 2.220446049250313e-16;
/** 2^20. */
const TWO20 = 1048576;

/**
 * A uniform double in the open interval (0, 1) from one 64-bit block: the top 52 of
 * its 64 bits (`w0` then `w1`) as an integer `j`, mapped to `(j + 0.5) / 2^52`. The
 * result lies on a grid of spacing 2^-52 from 2^-53 to 1 - 2^-53; it is JAX's float64
 * uniform from the same bits plus 2^-53.
 *
 * @param w0 - first output word (uint32)
 * @param w1 - second output word (uint32)
 *
 * @example
 * ```ts
 * uniformFromBits(0, 0); // 2^-53
 * ```
 */
export function uniformFromBits(w0: number, w1: number): number {
  return (w0 * TWO20 + (w1 >>> 12) + 0.5) * EPS52;
}

/**
 * A sequential source of draws for one element: `reset(i)` selects element `i` and
 * rewinds to draw 0; each `uniform()` consumes the next draw. Internal to the samplers
 * (exported for tests and for backends that need to reproduce the scheme).
 */
export class ElementStream {
  private readonly k0: number;
  private readonly k1: number;
  private readonly buf = new Uint32Array(2);
  /** Element index (the second counter word). */
  index = 0;
  /** Number of draws consumed so far (the first counter word of the next draw). */
  draw = 0;

  /** @param k - the key all draws are made under */
  constructor(k: Key) {
    this.k0 = k.hi;
    this.k1 = k.lo;
  }

  /** Selects element `i` and rewinds to its draw 0. Returns `this`. */
  reset(i: number): this {
    this.index = i;
    this.draw = 0;
    return this;
  }

  /** The next raw block `[w0, w1]` of this element (a view, overwritten by the next call). */
  bits(): Uint32Array {
    threefry2x32Into(this.k0, this.k1, this.draw, this.index, this.buf, 0);
    this.draw++;
    return this.buf;
  }

  /** The next draw as a uniform double in (0, 1), see {@link uniformFromBits}. */
  uniform(): number {
    const b = this.bits();
    return uniformFromBits(b[0]!, b[1]!);
  }

  /** The top 52 bits of the next draw as an integer in [0, 2^52). */
  int52(): number {
    const b = this.bits();
    return b[0]! * TWO20 + (b[1]! >>> 12);
  }

  /**
   * A standard normal by the Box–Muller transform (Box and Muller, 1958), using the
   * cosine branch only: two draws `u1, u2` give `sqrt(-2 ln u1) cos(2 pi u2)`.
   * |result| <= sqrt(2 * 53 ln 2) ~ 8.57.
   */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * plog(u1)) * pcos2pi(u2);
  }

  /** A uniform integer in [0, m) for 1 <= m <= 2^52, exact (rejection of the top partial range). */
  below(m: number): number {
    const limit = 4503599627370496 - (4503599627370496 % m);
    for (;;) {
      const j = this.int52();
      if (j < limit) return j % m;
    }
  }
}

/** A sampler parameter: one number for all elements, or one per element. */
export type Param = number | ArrayLike<number>;

/** Reads parameter `p` at element `i` (a scalar or length-1 array broadcasts). */
export function at(p: Param, i: number): number {
  if (typeof p === "number") return p;
  return p.length === 1 ? p[0]! : p[i]!;
}

/**
 * Checks a parameter: its length is 1 or `n`, and every value satisfies `ok`.
 *
 * @throws RangeError naming the sampler, the parameter and the bad value
 */
export function checkParam(
  fn: string,
  name: string,
  p: Param,
  n: number,
  ok: (x: number) => boolean,
  want: string,
): void {
  if (typeof p === "number") {
    if (!ok(p)) throw new RangeError(paramMessage(fn, name, want, p));
    return;
  }
  if (p.length !== 1 && p.length !== n) {
    throw new RangeError(
      `${fn}: ${name} has length ${p.length}, which does not broadcast to n = ${n} (give 1 or ${n} values)`,
    );
  }
  for (let i = 0; i < p.length; i++) {
    const x = p[i]!;
    if (!ok(x)) throw new RangeError(paramMessage(fn, name, want, x, i));
  }
}

/** Checks that `n` is a valid sample count. */
export function checkCount(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 4294967295) {
    throw new RangeError(`${fn}: n must be an integer in [0, 2^32), got ${n}`);
  }
}
