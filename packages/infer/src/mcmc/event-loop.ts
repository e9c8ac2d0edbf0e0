/**
 * Letting the event loop run during long synchronous work: timers, I/O, progress output and
 * abort signals get a turn at least every few tens of milliseconds.
 * @module
 */

/** Resolve on a later turn of the event loop (a macrotask, not a microtask). */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * Paces synchronous work: {@link due} says when `periodMs` have passed since the last turn
 * given to the event loop; {@link pause} gives it one.
 */
export class EventLoopPacer {
  #last = now();

  /** @param periodMs - the longest stretch of synchronous work between turns (default 25) */
  constructor(readonly periodMs = 25) {}

  /** Whether the work has run `periodMs` since the last pause. */
  due(): boolean {
    return now() - this.#last >= this.periodMs;
  }

  /** Give the event loop a turn. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.#last = now();
  }
}
