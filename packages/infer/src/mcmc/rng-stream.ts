/**
 * A buffered stream of uniform and normal draws derived from one counter-based key, for
 * the sampler's hot loop (momenta, tree directions, multinomial selections).
 * @module
 */
import { foldIn, type Key, random } from "@scribe/core";

const BLOCK = 512;

const isWord = (x: unknown): x is number =>
  Number.isInteger(x) && (x as number) >= 0 && (x as number) < 4294967296;

/**
 * A key from plain data `{ hi, lo }` (e.g. a key read back from JSON), checked to hold two
 * uint32 words; throws naming `what` otherwise.
 */
export function keyFromPlain(k: { hi: number; lo: number }, what = "key"): Key {
  if (!k || typeof k !== "object" || !isWord(k.hi) || !isWord(k.lo))
    throw new Error(`${what}: expected { hi, lo } with two uint32 words, got ${JSON.stringify(k)}`);
  return Object.freeze({ hi: k.hi, lo: k.lo });
}

/**
 * Where an {@link RngStream} stands, as plain JSON data: the stream's key, the index of
 * the next block to generate, the read position in the current block (512 when none is
 * loaded) and the cached second Box–Muller normal (`null` when there is none).
 * {@link RngStream.fromState} continues the stream exactly from it.
 */
export interface RngStreamState {
  /** The key the whole stream is derived from, as `{ hi, lo }` uint32 words. */
  key: { hi: number; lo: number };
  /** Index of the next block of bits to generate. */
  block: number;
  /** Words already read from the current block (512: none left / none loaded). */
  pos: number;
  /** The spare standard normal of the last Box–Muller pair, or null. */
  spare: number | null;
}
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

  /** The stream's position as plain data (see {@link RngStreamState}). */
  getState(): RngStreamState {
    return {
      key: { hi: this.#key.hi, lo: this.#key.lo },
      block: this.#block,
      pos: this.#pos,
      spare: Number.isNaN(this.#spare) ? null : this.#spare,
    };
  }

  /**
   * A stream that continues exactly where `s` was taken: the same draws, bit for bit, as
   * the stream `s` came from would have produced next.
   * @example
   * const a = new RngStream(key(0));
   * a.normal();
   * const b = RngStream.fromState(JSON.parse(JSON.stringify(a.getState())));
   * a.normal() === b.normal(); // true
   */
  static fromState(s: RngStreamState): RngStream {
    const bad = (what: string) => new Error(`RngStream.fromState: ${what} (got ${JSON.stringify(s)})`);
    if (!s || typeof s !== "object" || !s.key) throw bad("expected { key, block, pos, spare }");
    const k = keyFromPlain(s.key, "RngStream.fromState: key");
    if (!Number.isSafeInteger(s.block) || s.block < 0) throw bad("block must be a non-negative integer");
    if (!Number.isInteger(s.pos) || s.pos < 0 || s.pos > BLOCK)
      throw bad(`pos must be an integer in [0, ${BLOCK}]`);
    if (s.pos < BLOCK && s.block === 0) throw bad("pos inside a block but no block generated yet");
    if (s.spare !== null && !Number.isFinite(s.spare)) throw bad("spare must be a finite number or null");
    const r = new RngStream(k);
    r.#block = s.block;
    r.#pos = s.pos;
    if (s.pos < BLOCK) r.#bits = random.randomBits(foldIn(k, s.block - 1), BLOCK);
    r.#spare = s.spare ?? Number.NaN;
    return r;
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
