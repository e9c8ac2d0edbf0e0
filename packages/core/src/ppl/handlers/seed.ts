/**
 * `seed`: supply random keys. The handler splits its key once per site that needs one:
 * unobserved sample sites without a value or key, `prngKey` requests and subsampled plates
 * without indices. Sites that already have a value never consume randomness, so adding an
 * observed site leaves every other draw unchanged.
 * @module
 */
import { type Key, key as makeKey, split } from "../../random/index.js";
import type { Message } from "../message.js";
import { Messenger, wrapWith } from "../messenger.js";

/** The handler behind {@link seed}; holds the current key and advances it per site. */
export class SeedMessenger extends Messenger {
  private rngKey: Key;

  constructor(rngSeed: Key | number) {
    super();
    this.rngKey = typeof rngSeed === "number" ? makeKey(rngSeed) : rngSeed;
  }

  /** Gives the site a fresh subkey if it needs one (innermost seed wins). */
  override processMessage(msg: Message): void {
    const needsKey =
      (msg.type === "sample" && !msg.isObserved) || msg.type === "prngKey" || msg.type === "plate";
    if (!needsKey || msg.value !== null || msg.kwargs.rngKey !== null) return;
    const [next, sub] = split(this.rngKey, 2);
    this.rngKey = next!;
    msg.kwargs.rngKey = sub!;
  }
}

/**
 * Wrap `fn` so its random sites draw from `rngSeed` (a key or an integer seed). Each call
 * starts again from `rngSeed`, so the wrapped function is deterministic.
 * @example
 * const draw = seed(() => sample("x", new Normal(0, 1)), key(0));
 * draw().item() === draw().item(); // true
 */
export function seed<A extends unknown[], R>(
  fn: (...args: A) => R,
  rngSeed: Key | number,
): (...args: A) => R {
  const k = typeof rngSeed === "number" ? makeKey(rngSeed) : rngSeed;
  return wrapWith(fn, () => new SeedMessenger(k));
}
