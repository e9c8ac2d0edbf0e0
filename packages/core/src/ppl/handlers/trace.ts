/**
 * `trace`: record every named site (sample, param, plate, deterministic) in an
 * insertion-ordered map, after all inner handlers have acted on it.
 * @module
 */
import { copyMessage, type Message, type Trace } from "../message.js";
import { Messenger } from "../messenger.js";

/** The handler behind {@link trace}; use it directly with `withHandler`. */
export class TraceMessenger extends Messenger {
  /** The recorded sites, in the order they ran. */
  readonly trace: Trace = new Map();

  /** Records a copy of each named message; sample and deterministic names must be unique. */
  override postprocessMessage(msg: Message): void {
    if (msg.name === null) return;
    if ((msg.type === "sample" || msg.type === "deterministic") && this.trace.has(msg.name))
      throw new Error(
        `trace: site names must be unique, but '${msg.name}' appears twice (rename one, or use scope() to prefix names)`,
      );
    this.trace.set(msg.name, copyMessage(msg));
  }
}

/** A function wrapped by {@link trace}: callable as before, plus trace accessors. */
export interface TracedFn<A extends unknown[], R> {
  (...args: A): R;
  /** Run the function and return its trace. */
  getTrace(...args: A): Trace;
  /** Run the function and return both its value and its trace. */
  run(...args: A): { value: R; trace: Trace };
}

/**
 * Wrap `fn` so its sites can be recorded.
 * @example
 * const model = (y: Tensor) => {
 *   const z = sample("z", new Normal(0, 1));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(z, 1), { obs: y }));
 * };
 * const tr = trace(seed(model, key(0))).getTrace(tensor([0.3, 1.2, 0.8]));
 * [...tr.keys()]; // ["z", "N", "y"]
 * tr.get("z")!.value; // the draw of z
 */
export function trace<A extends unknown[], R>(fn: (...args: A) => R): TracedFn<A, R> {
  const run = (...args: A) => {
    const t = new TraceMessenger();
    const value = t.run(() => fn(...args));
    return { value, trace: t.trace };
  };
  const f = ((...args: A) => run(...args).value) as TracedFn<A, R>;
  f.getTrace = (...args: A) => run(...args).trace;
  f.run = run;
  return f;
}
