/**
 * A buffered stream of uniform and normal draws derived from one counter-based key, for
 * the sampler's hot loop (momenta, tree directions, multinomial selections).
 * @module
 */
import { foldIn, type Key, random } from "@scribe/core";

const BLOCK = 512;
const TWO_M53 = 1 / 9007199254740992;

/**
 * Uniform and standard normal draws from a key, refilled in blocks of Threefry bits:
 * block `b` is `randomBits(foldIn(key, b), 512)`, so the stream depends only on the key.
 */
export class RngStream {
  readonly #key: Key;
  #block = 0;
  #pos = BLOCK;
  #bits: Uint32Array = new Uint32Array(0);
  #spare = Number.NaN;

  /** @param k - the key the whole stream is derived from */
  constructor(k: Key) {
    this.#key = k;
  }

  #word(): number {
    if (this.#pos >= BLOCK) {
      this.#bits = random.randomBits(foldIn(this.#key, this.#block++), BLOCK);
      this.#pos = 0;
    }
    return this.#bits[this.#pos++]!;
  }

  /** A uniform draw on the open interval (0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.#word() >>> 5;
    const b = this.#word() >>> 6;
    return (a * 67108864 + b + 0.5) * TWO_M53;
  }

  /** A fair coin: true or false. */
  bit(): boolean {
    return (this.#word() & 1) === 1;
  }

  /** A standard normal draw (Box–Muller, both branches used). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const s = this.#spare;
      this.#spare = Number.NaN;
      return s;
    }
    const u1 = this.uniform();
    const u2 = this.uniform();
    const rad = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u2;
    this.#spare = rad * Math.sin(th);
    return rad * Math.cos(th);
  }
}
