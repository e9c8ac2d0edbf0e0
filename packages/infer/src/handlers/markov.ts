/**
 * `markov`: a loop whose steps depend on the last `history` steps only (NumPyro's
 * `numpyro.contrib.funsor.markov` / Pyro's `pyro.markov` used as `for t in markov(range(T))`),
 * in callback form. Under `enumerate` it recycles enumeration dims: the k-th latent site of
 * step t takes the dim of the k-th latent site of step t − history − 1, so a loop of any
 * length uses (history + 1) × (sites per step) dims. Every sample site of the loop is tagged
 * with its chain and step, and the contraction (`contractTrace`, enumeration/markov-loop.ts)
 * eliminates the chain sequentially, the forward algorithm, in time linear in T.
 * @module
 */
import { enumDimOf, type Message, Messenger, type SampleMessage } from "@scribe/core";

/** Options of {@link markov}. */
export interface MarkovOptions {
  /** Markov order: how many earlier steps a step may depend on (default 1). */
  history?: number;
}

/** The `infer` field of the sample sites inside a {@link markov} loop. */
export interface MarkovInfo {
  /** Loop id, distinct per `markov` call within a model run. */
  readonly chain: number;
  /** Position of the step in the loop (0-based). */
  readonly step: number;
  readonly history: number;
  /** Index of the site among the step's latent sites (−1 for observed sites). */
  readonly slot: number;
}

/** The markov tag of a traced site, if it ran inside a {@link markov} loop. */
export function markovInfoOf(site: SampleMessage): MarkovInfo | undefined {
  const m = (site.infer as { _markov?: MarkovInfo })._markov;
  return m && typeof m.step === "number" ? m : undefined;
}

let nextChainId = 0;

/** The handler behind one {@link markov} loop. */
class MarkovMessenger extends Messenger {
  step = 0;
  private slot = 0;
  /** Enumeration dims per step and slot. */
  private readonly dims: (number | undefined)[][] = [];

  constructor(
    private readonly chain: number,
    private readonly history: number,
  ) {
    super();
  }

  /** Start the next step. */
  advance(step: number): void {
    this.step = step;
    this.slot = 0;
  }

  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const latent = !msg.isObserved && msg.value === null;
    const slot = latent ? this.slot++ : -1;
    const info: MarkovInfo = { chain: this.chain, step: this.step, history: this.history, slot };
    const reuse = latent ? this.dims[this.step - this.history - 1]?.[slot] : undefined;
    msg.infer = { ...msg.infer, _markov: info, ...(reuse !== undefined ? { _enumDimReuse: reuse } : {}) };
  }

  override postprocessMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const info = markovInfoOf(msg);
    if (!info || info.chain !== this.chain || info.slot < 0) return;
    const d = enumDimOf(msg);
    if (d === undefined) return;
    const row = this.dims[info.step] ?? [];
    row[info.slot] = d;
    this.dims[info.step] = row;
  }
}

/**
 * Run `body(t, i)` for each step of `steps` (a count T for 0 … T − 1, or any iterable), as a
 * Markov chain of order `history` (see the module comment). Returns the bodies' results.
 * @example
 * // an order-2 HMM with enumerated hidden states
 * const model = (y: Tensor) => {
 *   let prev = [tensor(0), tensor(0)];
 *   markov(y.shape[0]!, (t) => {
 *     const x = sample(`x_${t}`, new Categorical({ probs: trans.index([prev[1]!, prev[0]!]) }), {
 *       infer: { enumerate: "parallel" },
 *     });
 *     sample(`y_${t}`, new Normal(locs.index(x), 1), { obs: y.index(t) });
 *     prev = [prev[1]!, x];
 *   }, { history: 2 });
 * };
 */
export function markov<T = number, R = void>(
  steps: number | Iterable<T>,
  body: (t: T, i: number) => R,
  opts: MarkovOptions = {},
): R[] {
  const history = opts.history ?? 1;
  if (!Number.isInteger(history) || history < 0)
    throw new Error(`markov: history must be a non-negative integer, got ${opts.history}`);
  if (typeof steps === "number" && !(Number.isInteger(steps) && steps >= 0))
    throw new Error(`markov: the number of steps must be a non-negative integer, got ${steps}`);
  const it: Iterable<T> =
    typeof steps === "number" ? (Array.from({ length: steps }, (_, i) => i) as T[]) : steps;
  const h = new MarkovMessenger(nextChainId++, history);
  const out: R[] = [];
  let i = 0;
  for (const t of it) {
    h.advance(i);
    const step = i;
    out.push(h.run(() => body(t, step)));
    i++;
  }
  return out;
}
