/**
 * The time contraction of an enumerated `scan`: the factors of steps 1..T−1 (one tensor
 * with a time dim, the current states' dims and the previous states' dims) are reduced to
 * one factor over the states of step 0, by a log-space product of the T−1 transition
 * matrices M_t[current, previous] taken pairwise in ⌈log₂ T⌉ rounds (the parallel-scan
 * form of funsor's `sequential_sum_product`, Särkkä & García-Fernández, "Temporal
 * parallelization of Bayesian smoothers", 2021), then a sum over the last state. Work is
 * linear in T and no step depends on a deep chain of earlier ones.
 * @module
 */
import {
  broadcastTo,
  concat,
  enumDimOf,
  logsumexp,
  max,
  reshape,
  type SampleMessage,
  type ScanInfo,
  slice,
  type Tensor,
  transpose,
} from "@scribe/core";
import { type ContractionPlate, contractFactors, type Factor } from "./contract.js";
import type { SiteFactor, TraceFactors } from "./factors.js";

/** How a scan's vectorized steps relate to the rest of the trace. */
export interface ScanChain {
  readonly timeDim: number;
  /** Enumeration dims of the current states (the vectorized call's sites). */
  readonly curDims: number[];
  /** Enumeration dims of the same sites at step 0 (`_PREV_` names), in the same order. */
  readonly prevDims: number[];
  /** Plates outside the scan (common to its state sites). */
  readonly outerPlates: Set<string>;
  /** Number of vectorized steps (T − 1). */
  readonly length: number;
  /** A site of the scan's steps, to name in errors. */
  readonly name: string;
}

/**
 * Work out the chain structure of one scan's factors: `group` holds the sites of its
 * vectorized steps outside any `markov` loop of the body (every enumerated one is a state).
 */
export function scanChain(timeDim: number, group: readonly SiteFactor[], tf: TraceFactors): ScanChain {
  const curDims: number[] = [];
  const prevDims: number[] = [];
  let outer: Set<string> | undefined;
  // by name, not by dim: a `markov` loop in step 0 recycles dims among its sites
  const byName = new Map<string, SampleMessage>();
  for (const f of tf.factors) byName.set(f.site.name, f.site);
  for (const f of group) {
    const d = enumDimOf(f.site);
    if (d === undefined) continue;
    const prevName = (f.site.infer as Partial<ScanInfo>)._scanPrev ?? "";
    const prev = byName.get(prevName);
    const pd = prev ? enumDimOf(prev) : undefined;
    if (pd === undefined)
      throw new Error(`scan site '${f.site.name}': its step-0 site '${prevName}' was not enumerated`);
    curDims.push(d);
    prevDims.push(pd);
    const before: Set<string> | undefined = outer;
    outer = before ? new Set([...before].filter((p) => f.plates.has(p))) : new Set(f.plates);
  }
  const first = group[0]?.site;
  return {
    timeDim,
    curDims,
    prevDims,
    outerPlates: outer ?? new Set(),
    length: (first?.infer as Partial<ScanInfo> | undefined)?._scanLength ?? 1,
    name: first?.name ?? "",
  };
}

/** Log-space product of consecutive matrices a[..., t, c, p], later steps on the left. */
function chainProduct(a: Tensor, semiring: "sum" | "max"): Tensor {
  const reduce = (t: Tensor, axis: number) => (semiring === "max" ? max(t, axis) : logsumexp(t, axis));
  let m = a; // [B, L, K, K]
  for (;;) {
    const [b, len, k] = [m.shape[0]!, m.shape[1]!, m.shape[2]!]; // rank 4 by construction
    if (len === 1) return reshape(m, [b, k, k]);
    const half = Math.floor(len / 2);
    const pairs = reshape(slice(m, [0, 0, 0, 0], [b, 2 * half, k, k]), [b, half, 2, k, k]);
    const earlier = reshape(slice(pairs, [0, 0, 0, 0, 0], [b, half, 1, k, k]), [b, half, 1, k, k]); // (m, p)
    const later = reshape(slice(pairs, [0, 0, 1, 0, 0], [b, half, 2, k, k]), [b, half, k, k, 1]); // (c, m)
    const combined = reduce(later.add(earlier), 3); // [B, half, c, p]
    m = len % 2 === 1 ? concat([combined, slice(m, [0, 2 * half, 0, 0], [b, len, k, k])], 1) : combined;
  }
}

/** A scan's transition tensor laid out as [B (outer plates), T−1, current, previous]. */
export interface LaidTransitions {
  readonly laid: Tensor;
  /** The outer plates, leftmost dim first (the order of B). */
  readonly plateList: ContractionPlate[];
  /** Enumerated dims from outside the scan that its steps read, after the plates in B. */
  readonly globalDims: number[];
  /** Per rank-R axis: the size in the full layout. */
  readonly full: number[];
  readonly batch: number;
  readonly states: number;
  readonly length: number;
}

/**
 * Sum (or maximize) the scan's step-local variables out of its factors (its sites and its
 * body's contracted `markov` loops) and lay the result out as transition matrices
 * M[b, t, current, previous].
 */
export function layTransitions(
  chain: ScanChain,
  group: readonly Factor[],
  tf: TraceFactors,
  semiring: "sum" | "max" = "sum",
): LaidTransitions {
  const { rank } = tf;
  const { timeDim, curDims, prevDims, outerPlates } = chain;
  const states = new Set([...curDims, ...prevDims]);
  const local = new Set<number>();
  for (const f of group)
    for (let d = -rank; d < 0; d++)
      if (d < timeDim && !states.has(d) && (f.logp.shape[rank + d] ?? 1) > 1) local.add(d);
  for (const f of tf.factors)
    for (const d of local)
      if ((f.logp.shape[rank + d] ?? 1) > 1)
        throw new Error(
          `scan site '${chain.name}': an enumerated variable outside the scan enters its steps; only the carried state links steps`,
        );
  const m = contractFactors(group, tf.plates, { rank, sumDims: local, keep: outerPlates, semiring });
  const sizeAt = (d: number) => {
    const s = tf.enumSites.get(d);
    return (s?.infer as { _enumSize?: number } | undefined)?._enumSize ?? 1;
  };
  const plateList = [...outerPlates]
    .map((p) => tf.plates.get(p) as ContractionPlate)
    .sort((a, b) => a.dim - b.dim);
  // enumerated variables from outside the scan that its steps read (a global switch): batch
  // dims of the transition matrices, like the outer plates, eliminated after the chain
  const globalDims = [...tf.enumSites.keys()]
    .filter((d) => d > timeDim && !states.has(d) && (m.shape[rank + d] ?? 1) > 1)
    .sort((a, b) => a - b);
  const axes = [
    ...plateList.map((p) => rank + p.dim),
    ...globalDims.map((d) => rank + d),
    rank + timeDim,
    ...curDims.map((d) => rank + d),
    ...prevDims.map((d) => rank + d),
  ];
  const full = new Array<number>(rank).fill(1);
  for (const p of plateList) full[rank + p.dim] = p.size;
  full[rank + timeDim] = chain.length;
  for (const d of [...curDims, ...prevDims, ...globalDims]) full[rank + d] = sizeAt(d);
  const rest = full.map((_, i) => i).filter((i) => !axes.includes(i));
  const laid = transpose(broadcastTo(m, full), [...axes, ...rest]);
  const batch = plateList.reduce((n, p) => n * p.size, 1) * globalDims.reduce((n, d) => n * sizeAt(d), 1);
  const k = curDims.reduce((n, d) => n * sizeAt(d), 1);
  const length = full[rank + timeDim]!; // set just above
  return {
    laid: reshape(laid, [batch, length, k, k]),
    plateList,
    globalDims,
    full,
    batch,
    states: k,
    length,
  };
}

/**
 * Reduce the factors of a scan's steps 1..T−1 to one factor over the step-0 states (and the
 * outer plates), summing (or maximizing) over every later state.
 */
export function contractScan(
  chain: ScanChain,
  group: readonly Factor[],
  tf: TraceFactors,
  semiring: "sum" | "max" = "sum",
): Factor {
  const { rank } = tf;
  const { prevDims, outerPlates } = chain;
  const { laid, plateList, globalDims, full } = layTransitions(chain, group, tf, semiring);
  const product = chainProduct(laid, semiring); // [B, c_last, p_0]
  const last = semiring === "max" ? max(product, 1) : logsumexp(product, 1); // [B, p_0]
  // Back to rank R: outer plates and the step-0 states at their dims, unit dims elsewhere.
  const backAxes = [
    ...plateList.map((p) => rank + p.dim),
    ...globalDims.map((d) => rank + d),
    ...prevDims.map((d) => rank + d),
  ];
  const backRest = full.map((_, i) => i).filter((i) => !backAxes.includes(i));
  const order = [...backAxes, ...backRest];
  const inverse = new Array<number>(rank);
  order.forEach((ax, i) => {
    inverse[ax] = i;
  });
  const shaped = reshape(
    last,
    order.map((ax) => (backAxes.includes(ax) ? full[ax]! : 1)),
  );
  return { logp: transpose(shaped, inverse), plates: outerPlates };
}
