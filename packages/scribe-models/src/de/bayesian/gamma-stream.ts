/**
 * A fast sequential random stream (xoshiro128**, the package's one generator in seeded-rng.ts) for the composition draws of the empirical
 * Bayesian DE: uniforms, normals and log-Gamma draws on plain numbers.
 *
 * Why not core's samplers: `random.gamma` gives each element its own Threefry counter stream,
 * reproducible on every backend, but it costs about 0.2–0.4 µs per draw in JS on the
 * reference machine, and a 20,000-gene × 1,000-draw × 2-condition comparison needs 4·10⁷
 * Gamma draws (W5's budget is 10 s for all of it). A sequential generator seeded from a core
 * key costs a few ns per word; every batch of draws gets its own stream from
 * `foldIn(key, batch)`, so results depend only on the key, the batch size and the order of
 * genes.
 *
 * Gamma draws: Marsaglia and Tsang, ACM TOMS 26(3), 2000, with their
 * boost G(a) = G(a + 1)·U^(1/a) for a < 1, taken in log space so that tiny shapes do not
 * underflow (as in core's `logGammaDraw`). Normals: the 128-layer ziggurat of Marsaglia and
 * Tsang, J. Stat. Softw. 5(8), 2000, with the layer index taken from bits that do not form
 * the value (the fix of Doornik, "An improved ziggurat method", 2005): one 32-bit word per
 * normal in about 99 % of the draws, which is most of the cost of a Gamma draw.
 * @module
 */
import { type Key, random } from "@scribe/core";
import { Xoshiro128 } from "../../seeded-rng.js";

const TWO_NEG32 = 2.3283064365386963e-10;
const TWO_NEG53 = 1.1102230246251565e-16;

/** Right edge of the base layer of the 128-layer normal ziggurat, and the layers' common area. */
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
/** Ziggurat tables: k (acceptance bound on |word|), w (word → x scale), f (density at the edges). */
const ZIG = (() => {
  const m1 = 2147483648;
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  k[0] = Math.floor((dn / q) * m1);
  k[1] = 0;
  w[0] = q / m1;
  w[127] = dn / m1;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / m1;
  }
  return { k, w, f };
})();

/** A seeded xoshiro128** stream with uniform, normal and log-Gamma draws. */
export class GammaStream {
  private readonly words: Xoshiro128;

  /** Seed the four state words from the Threefry bits of `k` (a zero last word is replaced, so the state is never all zero). */
  constructor(k: Key) {
    const bits = random.randomBits(k, 4);
    this.words = new Xoshiro128(bits[0]!, bits[1]!, bits[2]!, bits[3]! | 0 || 0x9e3779b9);
  }

  /** The next 32-bit output (as a signed int32). */
  nextInt(): number {
    return this.words.nextInt();
  }

  /** A uniform double in the open interval (0, 1) from 53 random bits. */
  uniform(): number {
    const hi = this.nextInt() >>> 5; // 27 bits
    const lo = this.nextInt() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) * TWO_NEG53;
  }

  /** A uniform in (0, 1) from 32 bits (enough for accept/reject tests). */
  uniform32(): number {
    return ((this.nextInt() >>> 0) + 0.5) * TWO_NEG32;
  }

  /**
   * A standard normal (ziggurat, see the module comment): the low 7 bits of a word pick the
   * layer, the other 25 (as a signed multiple of 128) the point in it.
   */
  normal(): number {
    const word = this.nextInt();
    const iz = word & 127;
    const hz = word & -128;
    if (Math.abs(hz) < ZIG.k[iz]!) return hz * ZIG.w[iz]!;
    return this.normalSlow(hz, iz);
  }

  /** The ziggurat's rare path: the base strip's tail, or a wedge tested against the density. */
  private normalSlow(hz: number, iz: number): number {
    const { k, w, f } = ZIG;
    for (;;) {
      const x = hz * w[iz]!;
      if (iz === 0) {
        let t: number;
        let y: number;
        do {
          t = -Math.log(this.uniform32()) / ZIG_R;
          y = -Math.log(this.uniform32());
        } while (y + y < t * t);
        return hz > 0 ? ZIG_R + t : -ZIG_R - t;
      }
      if (f[iz]! + this.uniform32() * (f[iz - 1]! - f[iz]!) < Math.exp(-0.5 * x * x)) return x;
      const word = this.nextInt();
      iz = word & 127;
      hz = word & -128;
      if (Math.abs(hz) < k[iz]!) return hz * w[iz]!;
    }
  }

  /**
   * log of a Gamma(a, 1) draw for any a > 0 (throws on a ≤ 0 or non-finite a, which would
   * otherwise loop or give NaN).
   */
  logGamma(a: number): number {
    if (!(a > 0) || a === Number.POSITIVE_INFINITY)
      throw new RangeError(`Gamma shape must be positive and finite, got ${a}`);
    if (a >= 1) return Math.log(this.marsagliaTsang(a));
    const u = this.uniform();
    return Math.log(this.marsagliaTsang(a + 1)) + Math.log(u) / a;
  }

  /** A Gamma(a, 1) draw for a ≥ 1 (Marsaglia–Tsang; no boost). */
  gammaAtLeastOne(a: number): number {
    return this.marsagliaTsang(a);
  }

  private marsagliaTsang(a: number): number {
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = this.normal();
      const t = 1 + c * z;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.uniform32();
      const z2 = z * z;
      if (u < 1 - 0.0331 * z2 * z2) return d * v;
      if (Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }
}
