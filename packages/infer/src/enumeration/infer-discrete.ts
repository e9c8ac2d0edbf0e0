/**
 * `inferDiscrete`: values for a model's enumerated discrete sites given its continuous
 * values (NumPyro's `infer_discrete`). The model runs once under `enumerate`; the sites are
 * then decided one at a time, in the order the model samples them: each site's
 * max-marginal (temperature 0, max-product: the joint MAP) or marginal (temperature 1: a
 * draw from the exact joint posterior, by the chain rule) is contracted from the factors
 * with the sites decided so far held at their values. Everything stays on the device (no
 * readback). The sites of a `markov` loop are decided after the sites outside it, backwards
 * from the loop's forward messages (enumeration/markov-decode.ts). The states of an
 * enumerated `scan` (several carried state variables form one product state) are decided
 * after the sites outside it, by forward filtering and backward sampling over time
 * (Viterbi's backtracking at temperature 0), given the step-0 state and any enumerated
 * variable from outside the scan that its steps read (decided before it); per-step
 * enumerated variables that are not carried are summed (or maximized) out and not returned.
 * A `markov` loop inside the scan's body is local to each step: contracted there (over all
 * steps at once) for the chain's transitions, then, once the states' path is decided, its
 * sites are decided backwards as a top-level loop's, with the step's current and previous
 * states held at the path (their values: [T − 1, ...plates], named as in the body).
 * @module
 */
import {
  arange,
  argmax,
  broadcastTo,
  concat,
  enumDimOf,
  enumerate,
  eq,
  gather,
  type Key,
  logsumexp,
  key as makeKey,
  max,
  random,
  reshape,
  type SampleMessage,
  type SiteValues,
  seed,
  slice,
  stack,
  substitute,
  sum,
  type Tensor,
  tensor,
  trace,
  where,
} from "@scribe/core";
import { markovInfoOf } from "../handlers/markov.js";
import { contractFactors, type Factor } from "./contract.js";
import { chosenMask, decideIndex, gumbel, holdAt } from "./decide.js";
import { maxPlateNestingOf, traceFactors } from "./factors.js";
import { contractScan, type LaidTransitions, layTransitions, scanChain } from "./markov-chain.js";
import { decodeMarkovLoop, type LoopDecision } from "./markov-decode.js";
import { contractMarkovLoops } from "./markov-loop.js";

/** Options of {@link inferDiscrete}. */
export interface InferDiscreteOptions {
  /** Values of the model's continuous latent sites (e.g. one MCMC draw). */
  params?: SiteValues;
  /** 0: the joint MAP (max-product); 1: a draw from the joint posterior. Default 1. */
  temperature?: 0 | 1;
  /** Key for the draws at temperature 1 (and for any site the model samples). Default key(0). */
  rngKey?: Key | number;
  /** Plate dims the model uses; default: found by one seeded run. */
  maxPlateNesting?: number;
}

/**
 * Decide every enumerated site of `model(...args)`: returns site name → value (the shape the
 * site has in an ordinary run: its plates' batch shape plus its event shape).
 * @example
 * const model = (y: Tensor) => plate("N", y.shape[0]!, () => {
 *   const z = sample("z", Bernoulli({ probs: 0.5 }), { infer: { enumerate: "parallel" } });
 *   sample("y", new Normal(z.mul(4), 1), { obs: y });
 * });
 * inferDiscrete(model, [tensor([0.2, 3.9, 4.4])], { temperature: 0 }).z; // [0, 1, 1]
 */
export function inferDiscrete<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  opts: InferDiscreteOptions = {},
): Record<string, Tensor> {
  const temperature = opts.temperature ?? 1;
  if (temperature !== 0 && temperature !== 1)
    throw new Error(`inferDiscrete: temperature must be 0 (MAP) or 1 (posterior draw), got ${temperature}`);
  const rngKey =
    typeof opts.rngKey === "number" || opts.rngKey === undefined ? makeKey(opts.rngKey ?? 0) : opts.rngKey;
  const [kModel, kDraw] = random.split(rngKey, 2) as [Key, Key];
  let fn: (...a: A) => unknown = seed(model, kModel);
  if (opts.params) fn = substitute(fn, opts.params);
  const maxPlateNesting = opts.maxPlateNesting ?? maxPlateNestingOf(trace(fn).getTrace(...args));
  const tr = trace(enumerate(fn, { maxPlateNesting })).getTrace(...args);
  const tf = traceFactors(tr);
  const { rank } = tf;
  const semiring = temperature === 0 ? "max" : "sum";
  // Each enumerated scan enters as one factor over its step-0 states (its later states summed
  // or maximized out); those later states are decided at the end. A loop in the scan's body
  // is local to each step: contracted there, over all steps at once (as contractSequences).
  const chains = [...tf.scans].map(([timeDim, sites]) => {
    const steps = contractMarkovLoops(sites, tf, semiring);
    const group: Factor[] = [...steps.rest, ...steps.loops.map((l) => l.factor)];
    return { chain: scanChain(timeDim, steps.rest, tf), group, loops: steps.loops };
  });
  const scanStates = new Set(chains.flatMap((c) => c.chain.curDims));
  // Each `markov` loop enters as one factor over the enumerated variables from outside it
  // (its own variables eliminated forward); its sites are decided after those variables.
  const { rest, loops } = contractMarkovLoops(tf.factors, tf, semiring);
  let factors: Factor[] = [
    ...rest,
    ...loops.map((l) => l.factor),
    ...chains.map((c) => contractScan(c.chain, c.group, tf, semiring)),
  ];
  const order: SampleMessage[] = [];
  for (const s of tr.values()) {
    if (s.type !== "sample") continue;
    const d = enumDimOf(s);
    if (d !== undefined && !scanStates.has(d) && !markovInfoOf(s)) order.push(s);
  }
  const remaining = new Set(order.map((s) => enumDimOf(s)!)); // every site in `order` has a dim
  const scanLoops = chains.reduce((n, c) => n + c.loops.length, 0);
  const drawKeys = random.split(
    kDraw,
    Math.max(1, order.length + chains.length + loops.length + scanLoops),
  ) as Key[];
  const holds: { axis: number; chosen: Tensor }[] = [];
  const chosenIdx = new Map<number, Tensor>();
  const out: Record<string, Tensor> = {};
  order.forEach((site, i) => {
    const d = enumDimOf(site)!; // `order` holds enumerated sites only
    const size = (site.infer as { _enumSize?: number })._enumSize ?? 1;
    remaining.delete(d);
    const keep = new Set(site.condIndepStack.map((f) => f.name));
    const m = contractFactors(factors, tf.plates, { rank, sumDims: remaining, keep, semiring });
    const axis = rank + d;
    const idx = decideIndex(m, axis, size, temperature, drawKeys[i]!); // one key per site
    // Hold the site at its value in every factor that mentions it.
    const chosen = chosenMask(idx, d, size);
    holds.push({ axis, chosen });
    factors = factors.map((f) => ({ ...f, logp: holdAt(f.logp, axis, chosen) }));
    out[site.name] = siteValue(site, idx, size);
    chosenIdx.set(d, idx);
  });
  const holdOuter = (t: Tensor) => holds.reduce((acc, h) => holdAt(acc, h.axis, h.chosen), t);
  loops.forEach((loop, i) => {
    const key = drawKeys[order.length + chains.length + i]!;
    for (const dec of decodeMarkovLoop(loop.group, loop.used, tf, holdOuter, temperature, key))
      out[dec.site.name] = siteValue(dec.site, dec.idx, dec.size);
  });
  let scanLoopKey = order.length + chains.length + loops.length;
  chains.forEach(({ chain, group, loops: stepLoops }, i) => {
    // several carried states form one product state, the first most significant (the layout
    // of layTransitions); the path of flat indices is split back into each state's values
    const sites = chain.curDims.map((d) => tf.enumSites.get(d));
    const starts = chain.prevDims.map((d) => chosenIdx.get(d));
    const first = sites[0];
    if (!first || sites.some((s) => !s) || starts.some((s) => !s))
      throw new Error(`inferDiscrete: a scan's carried states or their step-0 values were not found`);
    const sizes = sites.map((s) => (s!.infer as { _enumSize?: number })._enumSize ?? 1); // checked above
    let start = starts[0]!;
    starts.forEach((idx, j) => {
      if (j > 0) start = start.mul(sizes[j]!).add(idx!).astype("int32"); // small integers, exact
    });
    const lt = atChosenGlobals(layTransitions(chain, group, tf, semiring), chosenIdx, rank, first.name);
    const path = decideChain(lt, start, rank, temperature, drawKeys[order.length + i]!); // [T−1, B]
    const flat = reshape(path, [path.size]);
    const frames = first.condIndepStack.filter((f) => chain.outerPlates.has(f.name));
    const n = frames.reduce((m, f) => Math.max(m, -f.dim), 0);
    const batch = new Array<number>(n).fill(1);
    for (const f of frames) batch[n + f.dim] = f.size;
    let stride = lt.states;
    // the path's previous states: step 0's, then those of steps 1..T−2 ([T−1, B])
    const b = lt.batch;
    const startB = reshape(broadcastTo(reshape(start, start.shape), unitLayout(lt, rank)), [1, b]);
    const prevPath = lt.length > 1 ? concat([startB, slice(path, [0, 0], [lt.length - 1, b])], 0) : startB;
    const flatPrev = reshape(prevPath, [prevPath.size]);
    const stateHolds: { axis: number; mask: Tensor }[] = [];
    sites.forEach((site, j) => {
      const size = sizes[j]!;
      stride /= size;
      const own = Array.from({ length: lt.states }, (_, f) => Math.floor(f / stride) % size);
      const ownIdx = tensor(own, { dtype: "int32" }); // flat state → this state's index
      const support = reshape(site!.value!, [size]); // the enumerated site holds its support
      const values = gather(support, ownIdx, 0); // flat state → value
      out[site!.name] = reshape(gather(values, flat, 0), [lt.length, ...batch]);
      if (stepLoops.length === 0) return;
      // this state's index per (step, plate element), in the rank-R layout, current and previous
      const timeLayout = unitLayout(lt, rank);
      timeLayout[rank + chain.timeDim] = lt.length;
      for (const [d, f] of [
        [chain.curDims[j]!, flat],
        [chain.prevDims[j]!, flatPrev],
      ] as const)
        stateHolds.push({
          axis: rank + d,
          mask: chosenMask(reshape(gather(ownIdx, f, 0), timeLayout), d, size),
        });
    });
    // the loops of the body, step by step given the path (and the variables decided before)
    // (the path first: holdOuter would hold the previous state's dim at step 0's value, `_PREV_`)
    const holdPath = (t: Tensor) => holdOuter(stateHolds.reduce((acc, h) => holdAt(acc, h.axis, h.mask), t));
    for (const loop of stepLoops) {
      const k = drawKeys[scanLoopKey++]!;
      for (const dec of decodeMarkovLoop(loop.group, loop.used, tf, holdPath, temperature, k))
        out[dec.site.name] = scanSiteValue(dec, chain.timeDim, lt.length, rank);
    }
  });
  return out;
}

/** Per rank-R axis: the outer plates' sizes, 1 elsewhere (the layout of a chain's start state). */
function unitLayout(lt: LaidTransitions, rank: number): number[] {
  return lt.full.map((size, ax) => (lt.plateList.some((p) => rank + p.dim === ax) ? size : 1));
}

/**
 * The values of a site of a scan's vectorized steps from its decided index (rank R: the time
 * dim, its plates, unit dims elsewhere), shaped [T − 1, ...plates batch, ...event]: the time dim
 * lies left of the plates, so the layout's order is the result's.
 */
function scanSiteValue(dec: LoopDecision, timeDim: number, length: number, rank: number): Tensor {
  const { site, idx, size } = dec;
  const frames = site.condIndepStack;
  const n = frames.reduce((m, f) => Math.max(m, -f.dim), 0);
  const batch = new Array<number>(n).fill(1);
  const layout = new Array<number>(rank).fill(1);
  layout[rank + timeDim] = length;
  for (const f of frames) {
    batch[n + f.dim] = f.size;
    layout[rank + f.dim] = f.size;
  }
  const flat = reshape(broadcastTo(idx, layout), [layout.reduce((a, c) => a * c, 1)]);
  const eventShape = site.fn.eventShape;
  const support = reshape(site.value!, [size, ...eventShape]); // enumerated sites hold their support
  return reshape(gather(support, flat, 0), [length, ...batch, ...eventShape]);
}

/**
 * The transition matrices given the enumerated variables from outside the scan that its
 * steps read (a global regime): those variables were decided before the chain, from the
 * scan's contraction over them, so the chain is decoded conditionally on their values —
 * the chain rule p(g, x) = p(g) p(x | g) that the sequential decisions follow. Returns the
 * matrices [B (outer plates), T−1, current, previous] at the chosen values.
 */
function atChosenGlobals(
  lt: LaidTransitions,
  chosenIdx: ReadonlyMap<number, Tensor>,
  rank: number,
  siteName: string,
): LaidTransitions {
  if (lt.globalDims.length === 0) return lt;
  const { plateList, full, states: n, length } = lt;
  const platesBatch = plateList.reduce((m, p) => m * p.size, 1);
  const unit = unitLayout(lt, rank);
  // flat index over the global dims, in the order layTransitions put them (leftmost dim first)
  let flat: Tensor | null = null;
  let count = 1;
  for (const d of lt.globalDims) {
    const idx = chosenIdx.get(d);
    const size = full[rank + d] ?? 1;
    if (!idx)
      throw new Error(
        `inferDiscrete: scan site '${siteName}' reads enumeration dim ${d}, which was not decided`,
      );
    if (idx.shape.some((m, ax) => m > 1 && m !== unit[ax]))
      throw new Error(
        `inferDiscrete: scan site '${siteName}' reads an enumerated variable (dim ${d}) in a plate the scan is not in`,
      );
    const here = reshape(broadcastTo(reshape(idx, idx.shape), unit), [platesBatch]);
    flat = flat === null ? here : flat.mul(size).add(here);
    count *= size;
  }
  const byGlobal = reshape(lt.laid, [platesBatch, count, length * n * n]);
  const mask = eq(reshape(arange(0, count, 1, "int32"), [1, count, 1]), reshape(flat!, [platesBatch, 1, 1])); // at least one global dim
  const laid = reshape(sum(where(mask, byGlobal, 0), 1), [platesBatch, length, n, n]);
  return { ...lt, laid, globalDims: [], batch: platesBatch };
}

/**
 * The states of steps 1..T−1 given the step-0 state: forward filtering
 * α_t(c) = ⊕_p M_t[c, p] + α_{t−1}(p), then backward choices from α_t(c) + M_{t+1}[x_{t+1}, c]
 * (⊕ = logsumexp and Gumbel-max draws, or max and argmax). Returns int32 [T−1, B].
 */
function decideChain(
  lt: LaidTransitions,
  startIdx: Tensor,
  rank: number,
  temperature: 0 | 1,
  k: Key,
): Tensor {
  const { laid, batch: b, states: n, length } = lt;
  const unit = unitLayout(lt, rank);
  const start = reshape(broadcastTo(reshape(startIdx, startIdx.shape), unit), [b]);
  const at = arange(0, n, 1, "int32");
  const step = (t: number) => reshape(slice(laid, [0, t, 0, 0], [b, t + 1, n, n]), [b, n, n]);
  /** M[b, ·, idx_b] (axis 2) or M[b, idx_b, ·] (axis 1), as [B, n]. */
  const pick = (m: Tensor, idx: Tensor, axis: 1 | 2) => {
    const mask = eq(reshape(at, axis === 2 ? [1, 1, n] : [1, n, 1]), reshape(idx, [b, 1, 1]));
    return sum(where(mask, m, 0), axis);
  };
  const reducePrev = (t: Tensor) => (temperature === 0 ? max(t, 2) : logsumexp(t, 2));
  const alphas: Tensor[] = [pick(step(0), start, 2)];
  for (let t = 1; t < length; t++) alphas.push(reducePrev(step(t).add(reshape(alphas[t - 1]!, [b, 1, n]))));
  const keys = random.split(k, length) as Key[];
  const choose = (score: Tensor, t: number) =>
    argmax(temperature === 0 ? score : score.add(gumbel(keys[t]!, score.shape, score.dtype)), 1);
  const path = new Array<Tensor>(length);
  path[length - 1] = choose(alphas[length - 1]!, length - 1);
  for (let t = length - 2; t >= 0; t--)
    path[t] = choose(alphas[t]!.add(pick(step(t + 1), path[t + 1]!, 1)), t);
  return stack(path);
}

/** The support value at `idx` (rank R, unit dims outside the site's plates), in the site's own shape. */
function siteValue(site: SampleMessage, idx: Tensor, size: number): Tensor {
  const frames = site.condIndepStack;
  const n = frames.reduce((m, f) => Math.max(m, -f.dim), 0);
  const batch = new Array<number>(n).fill(1);
  for (const f of frames) batch[n + f.dim] = f.size;
  const trailing = reshape(idx, idx.shape.slice(idx.rank - n));
  const flat = reshape(broadcastTo(trailing, batch), [batch.reduce((a, b) => a * b, 1)]);
  const eventShape = site.fn.eventShape;
  const support = reshape(site.value!, [size, ...eventShape]); // enumerated sites hold their support
  return reshape(gather(support, flat, 0), [...batch, ...eventShape]);
}
