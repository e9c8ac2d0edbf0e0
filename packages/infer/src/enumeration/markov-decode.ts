/**
 * `inferDiscrete` through a `markov` loop: the forward messages of enumeration/markov-loop.ts
 * are kept per step, then the loop's enumerated sites are decided backwards, last step first
 * (Viterbi's backtracking with max, forward filtering and backward sampling with logsumexp,
 * generalised to Markov order h and several sites per step). The score of a site of step t
 * is the message α_t (steps t − h + 1..t, the earlier ones eliminated) plus every factor of
 * the later steps and of the sites after the loop that read its last states, each held at
 * the values already decided; the other undecided variables of α_t are summed (maximized)
 * out. Recycled dims never meet: a factor joins the held sum only after the later variable
 * that shares a dim with one of its own was decided and held. Enumerated variables from
 * outside the loop are decided before it; `hold` fixes them in the loop's factors.
 * @module
 */
import { enumDimOf, type Key, logsumexp, max, random, type SampleMessage, type Tensor } from "@scribe/core";
import { markovInfoOf } from "../handlers/markov.js";
import { productOverPlates } from "./contract.js";
import { chosenMask, decideIndex, holdAt } from "./decide.js";
import type { SiteFactor, TraceFactors } from "./factors.js";

/** One decided site of a loop: its index tensor (rank R, a unit dim at its own dim). */
export interface LoopDecision {
  readonly site: SampleMessage;
  readonly idx: Tensor;
  readonly size: number;
}

/**
 * Decide every enumerated site of one `markov` loop (see the module comment). `used` are the
 * factors after the loop that read its states (from `contractMarkovLoop`).
 */
export function decodeMarkovLoop(
  group: readonly SiteFactor[],
  used: Iterable<SiteFactor>,
  tf: TraceFactors,
  hold: (t: Tensor) => Tensor,
  temperature: 0 | 1,
  k: Key,
): LoopDecision[] {
  const { rank } = tf;
  const reduceOp = (t: Tensor, axes: number[]) =>
    axes.length === 0 ? t : temperature === 0 ? max(t, axes, true) : logsumexp(t, axes, true);
  const reduce = (t: Tensor, dims: Iterable<number>) =>
    reduceOp(
      t,
      [...dims].map((d) => rank + d).filter((ax) => (t.shape[ax] ?? 1) > 1),
    );
  let common = null as Set<string> | null;
  const steps = new Map<number, SiteFactor[]>();
  const varsAt = new Map<number, SampleMessage[]>();
  let history = 1;
  for (const f of group) {
    const info = markovInfoOf(f.site)!; // grouped by their tag
    history = info.history;
    steps.set(info.step, [...(steps.get(info.step) ?? []), f]);
    if (enumDimOf(f.site) !== undefined) varsAt.set(info.step, [...(varsAt.get(info.step) ?? []), f.site]);
    common = common ? new Set([...common].filter((p) => f.plates.has(p))) : new Set(f.plates);
  }
  const loopPlates = common ?? new Set<string>();
  // the same lifting as the contraction (its checks already ran there)
  const lift = (f: SiteFactor) =>
    hold(
      productOverPlates(
        f.logp,
        [...f.plates].filter((p) => !loopPlates.has(p)),
        tf.plates,
        rank,
      ),
    );
  const dimsOf = (t: number) => (varsAt.get(t) ?? []).map((s) => enumDimOf(s)!); // enumerated by construction
  const order = [...steps.keys()].sort((a, b) => a - b);
  // forward: α_t over the variables of steps t − h + 1..t
  const alphas = new Map<number, Tensor>();
  let alpha: Tensor | null = null;
  const pending: number[] = [];
  for (const t of order) {
    for (const f of steps.get(t)!) alpha = alpha ? alpha.add(lift(f)) : lift(f);
    pending.push(t);
    while (pending.length > 0 && pending[0]! <= t - history) alpha = reduce(alpha!, dimsOf(pending.shift()!));
    alphas.set(t, alpha!); // every step has at least one factor
  }
  // backward
  let later: Tensor | null = null;
  for (const f of used) later = later ? later.add(lift(f)) : lift(f);
  const total = [...varsAt.values()].reduce((n, v) => n + v.length, 0);
  const keys = random.split(k, Math.max(1, total)) as Key[];
  let used_ = 0;
  const out: LoopDecision[] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    let base = later ? alphas.get(t)!.add(later) : alphas.get(t)!;
    const undecided = new Set(order.filter((s) => s > t - history && s <= t).flatMap(dimsOf));
    const holdsHere: { axis: number; mask: Tensor }[] = [];
    for (const site of varsAt.get(t) ?? []) {
      const d = enumDimOf(site)!;
      const size = (site.infer as { _enumSize?: number })._enumSize ?? 1;
      undecided.delete(d);
      const axis = rank + d;
      const idx = decideIndex(reduce(base, undecided), axis, size, temperature, keys[used_++]!);
      const mask = chosenMask(idx, d, size);
      base = holdAt(base, axis, mask);
      if (later) later = holdAt(later, axis, mask);
      holdsHere.push({ axis, mask });
      out.push({ site, idx, size });
    }
    for (const f of steps.get(t)!) {
      let term = lift(f);
      for (const h of holdsHere) term = holdAt(term, h.axis, h.mask);
      later = later ? later.add(term) : term;
    }
  }
  return out;
}
