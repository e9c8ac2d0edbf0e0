/**
 * The global handler stack and `applyStack`. Handlers (messengers) are pushed while a
 * wrapped function runs; a message is processed innermost → outermost, stopping where a
 * handler sets `stop`, then the site's default behaviour runs if no value was set, then the
 * handlers that were reached post-process it outermost → innermost.
 * @module
 */
import { keyedHostDraw } from "../jit/host-inputs.js";
import type { Key } from "../random/index.js";
import { choice } from "../random/permutation.js";
import { baseFields, type Message, type PrngKeyMessage } from "./message.js";

const handlerStackArray: Messenger[] = [];

/** The active handlers, outermost first (a read-only view, for inspection and tests). */
export function handlerStack(): readonly Messenger[] {
  return handlerStackArray;
}

/**
 * A handler. Subclasses override `processMessage` (on the way out from the site) and/or
 * `postprocessMessage` (on the way back in). `run(body)` pushes the handler, runs `body`
 * and pops it, also when `body` throws.
 */
export class Messenger {
  /** Called innermost-first before the site's default behaviour. */
  processMessage(_msg: Message): void {}

  /** Called outermost-first after the site's default behaviour. */
  postprocessMessage(_msg: Message): void {}

  /** Push onto the global stack. Prefer `run`, which always pops. */
  enter(): void {
    handlerStackArray.push(this);
  }

  /** Remove this handler and every handler pushed after it (so a throw cannot leak handlers). */
  exit(): void {
    const i = handlerStackArray.lastIndexOf(this);
    if (i >= 0) handlerStackArray.length = i;
  }

  /** Run `body` with this handler active. */
  run<R>(body: () => R): R {
    this.enter();
    try {
      return body();
    } finally {
      this.exit();
    }
  }
}

/**
 * Run `body` with handler `h` active (the callback form of a `with` block).
 * @example
 * const model = () => sample("z", new Normal(0, 1));
 * const t = new TraceMessenger();
 * withHandler(t, () => seed(model, 0)());
 * [...t.trace.keys()]; // ["z"]: the sites model() ran
 */
export function withHandler<R>(h: Messenger, body: () => R): R {
  return h.run(body);
}

/**
 * Run `body` under several handlers, listed outermost first (as nested `with` statements
 * would read).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 1));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const t = new TraceMessenger();
 * withHandlers([new SeedMessenger(key(0)), t], () => model(tensor([0.3, 1.2, 0.8])));
 * [...t.trace.keys()]; // ["mu", "N", "y"]
 */
export function withHandlers<R>(hs: readonly Messenger[], body: () => R): R {
  const go = (i: number): R => (i === hs.length ? body() : hs[i]!.run(() => go(i + 1)));
  return go(0);
}

/**
 * Wrap `fn` so each call runs under a fresh handler from `make` (handlers are created per
 * call, so a wrapped function is stateless: a seeded model gives the same draws each call).
 */
export function wrapWith<A extends unknown[], R>(
  fn: (...args: A) => R,
  make: () => Messenger,
): (...args: A) => R {
  return (...args: A) => make().run(() => fn(...args));
}

/** The site's own behaviour when no handler supplied a value. */
export function defaultProcess(msg: Message): void {
  if (msg.value !== null) return;
  switch (msg.type) {
    case "sample": {
      const k = msg.kwargs.rngKey;
      if (k === null)
        throw new Error(
          `sample site '${msg.name}': no random key to draw with; run the model under seed(model, key) or pass { rngKey }`,
        );
      const fn = msg.fn;
      msg.value =
        fn.reparametrized && fn.rsample
          ? fn.rsample(k, msg.kwargs.sampleShape)
          : fn.sample(k, msg.kwargs.sampleShape);
      return;
    }
    case "param": {
      const init = msg.fn;
      msg.value = typeof init === "function" ? init(prngKey()) : init;
      return;
    }
    case "plate": {
      const [size, subsampleSize] = msg.args;
      const k = msg.kwargs.rngKey;
      if (k === null)
        throw new Error(
          `plate '${msg.name}': drawing ${subsampleSize} of ${size} subsample indices needs a random key; run the model under seed(model, key) or substitute the indices`,
        );
      // drawn on the host from the plate's key; a host input of a compiled step (jit/host-inputs.ts),
      // whose replays redraw them from their own keys
      msg.value = keyedHostDraw(k, (kk) => choice(kk, size, subsampleSize), [subsampleSize]);
      return;
    }
    case "subsample":
      msg.value = msg.args[0];
      return;
    case "prngKey":
      msg.value = msg.kwargs.rngKey;
      return;
    case "deterministic":
      return;
  }
}

/**
 * Draw a random key from the enclosing `seed` handler (via a `prngKey` message). Returns
 * `null`, with a warning, when no handler supplies one.
 * @example
 * seed(() => prngKey(), key(0))(); // a Key
 */
export function prngKey(): Key | null {
  if (handlerStackArray.length === 0) {
    console.warn("prngKey(): no seed handler is active; returning null (wrap the model in seed(model, key))");
    return null;
  }
  const msg: PrngKeyMessage = {
    ...baseFields(null),
    type: "prngKey",
    name: null,
    kwargs: { rngKey: null },
    value: null,
  };
  return applyStack(msg).value;
}

/**
 * Send `msg` through the handler stack: process innermost → outermost until `stop`, run the
 * default behaviour, then post-process the reached handlers outermost → innermost.
 * Returns the same (mutated) message.
 */
export function applyStack<M extends Message>(msg: M): M {
  return applyStackBelow(msg, handlerStackArray.length);
}

/**
 * `applyStack` restricted to the handlers below (outside) stack position `top`; used by
 * `block` to fetch a key for a hidden site from the handlers outside itself.
 * @internal
 */
export function applyStackBelow<M extends Message>(msg: M, top: number): M {
  const stack = handlerStackArray.slice(0, top);
  let pointer = 0;
  for (let i = stack.length - 1; i >= 0; i--) {
    pointer = i;
    stack[i]!.processMessage(msg);
    if (msg.stop) break;
  }
  defaultProcess(msg);
  for (let i = pointer; i < stack.length; i++) stack[i]!.postprocessMessage(msg);
  return msg;
}

/** Stack position of `h` (outermost = 0), or -1. @internal */
export function stackIndexOf(h: Messenger): number {
  return handlerStackArray.lastIndexOf(h);
}
