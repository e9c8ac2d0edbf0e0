/**
 * Sequential contraction of a `markov` loop (handlers/markov.ts) under enumeration: the
 * forward algorithm generalised to Markov order h and to several enumerated sites per step.
 * A message α over the chain variables still in reach (those of the last h steps) and any
 * other enumerated variables the loop touches is carried from step to step: at step t the
 * step's factors are added, then the variables of step t − h, which no later step can
 * reference, are summed out (logsumexp, or max for max-product). Their dims are the ones
 * `markov` hands to step t + 1, so dims never collide and the work is T × K^(h+1) for K
 * states. Factors outside the loop that depend on its last states join at the end. The
 * result is one factor over the loop's plates and the enumerated variables from outside it.
 * @module
 */
import { enumDimOf, logsumexp, max, type SampleMessage, type Tensor } from "@scribe/core";
import { markovInfoOf } from "../handlers/markov.js";
import { type Factor, productOverPlates } from "./contract.js";
import type { SiteFactor, TraceFactors } from "./factors.js";

/** The factors of each `markov` loop (by chain id) and the factors outside any loop. */
export function splitMarkovFactors(factors: readonly SiteFactor[]): {
  chains: Map<number, SiteFactor[]>;
  rest: SiteFactor[];
} {
  const chains = new Map<number, SiteFactor[]>();
  const rest: SiteFactor[] = [];
  for (const f of factors) {
    const info = markovInfoOf(f.site);
    if (!info) {
      rest.push(f);
      continue;
    }
    const group = chains.get(info.chain) ?? [];
    group.push(f);
    chains.set(info.chain, group);
  }
  return { chains, rest };
}

function nonUnitDims(t: Tensor, rank: number, dims: ReadonlySet<number>): number[] {
  return [...dims].filter((d) => (t.shape[rank + d] ?? 1) > 1);
}

/**
 * Contract one `markov` loop (see the module comment). `outside` are the factors outside
 * every loop; those that mention the loop's variables are consumed (returned in `used`).
 */
export function contractMarkovLoop(
  group: readonly SiteFactor[],
  outside: readonly SiteFactor[],
  tf: TraceFactors,
  semiring: "sum" | "max" = "sum",
): { factor: Factor; chainDims: Set<number>; used: Set<SiteFactor> } {
  const rank = tf.rank;
  const steps = new Map<number, SiteFactor[]>();
  const varsAt = new Map<number, number[]>();
  const chainDims = new Set<number>();
  let history = 1;
  let common = null as Set<string> | null;
  for (const f of group) {
    const info = markovInfoOf(f.site)!; // grouped by their tag
    history = info.history;
    const list = steps.get(info.step) ?? [];
    list.push(f);
    steps.set(info.step, list);
    const d = enumDimOf(f.site);
    if (d !== undefined) {
      const vs = varsAt.get(info.step) ?? [];
      vs.push(d);
      varsAt.set(info.step, vs);
      chainDims.add(d);
    }
    common = common ? new Set([...common].filter((p) => f.plates.has(p))) : new Set(f.plates);
  }
  const plates = common ?? new Set<string>();
  for (const f of group)
    if (enumDimOf(f.site) !== undefined && [...f.plates].some((p) => !plates.has(p)))
      throw new Error(
        `markov: enumerated site '${f.site.name}' lives in plate(s) ${[...f.plates].filter((p) => !plates.has(p)).join(", ")} inside the loop's plates; only sites in the loop's own plates can be enumerated`,
      );
  // a factor in further plates (e.g. several observations per step) is multiplied out over them
  const enumOwner = new Map<number, SampleMessage>();
  for (const [d, s] of tf.enumSites) enumOwner.set(d, s);
  const lift = (f: SiteFactor): Tensor => {
    const extra = [...f.plates].filter((p) => !plates.has(p));
    if (extra.length === 0) return f.logp;
    for (const d of nonUnitDims(f.logp, rank, new Set(tf.enumSites.keys()))) {
      const owner = enumOwner.get(d);
      if (!chainDims.has(d) && owner && owner.condIndepStack.some((c) => extra.includes(c.name)))
        throw new Error(
          `markov: site '${f.site.name}' depends on the enumerated site '${owner.name}' local to plate(s) ${extra.join(", ")}; not supported inside a markov loop`,
        );
    }
    return productOverPlates(f.logp, extra, tf.plates, rank);
  };
  const reduce = (t: Tensor, dims: number[]): Tensor => {
    const axes = dims.filter((d) => (t.shape[rank + d] ?? 1) > 1).map((d) => rank + d);
    if (axes.length === 0) return t;
    return semiring === "max" ? max(t, axes, true) : logsumexp(t, axes, true);
  };
  const order = [...steps.keys()].sort((a, b) => a - b);
  let alpha: Tensor | null = null;
  const pending: number[] = []; // steps whose variables are not yet eliminated
  for (const t of order) {
    for (const f of steps.get(t)!) alpha = alpha ? alpha.add(lift(f)) : lift(f);
    pending.push(t);
    while (pending.length > 0 && pending[0]! <= t - history) {
      const s = pending.shift()!;
      alpha = reduce(alpha!, varsAt.get(s) ?? []);
    }
  }
  // factors after the loop that read its last states
  const used = new Set<SiteFactor>();
  for (const f of outside) {
    if (nonUnitDims(f.logp, rank, chainDims).length === 0) continue;
    if ([...plates].some((p) => !f.plates.has(p)))
      throw new Error(
        `markov: site '${f.site.name}' outside the loop depends on its states but not on all of its plates (${[...plates].join(", ")})`,
      );
    alpha = alpha ? alpha.add(lift(f)) : lift(f);
    used.add(f);
  }
  for (const s of pending) alpha = reduce(alpha!, varsAt.get(s) ?? []);
  if (alpha === null) throw new Error("markov: a loop without sample sites");
  return { factor: { logp: alpha, plates }, chainDims, used };
}

/** A contracted `markov` loop: its factors, the outside factors it consumed, its result. */
export interface ContractedLoop {
  readonly group: SiteFactor[];
  readonly used: Set<SiteFactor>;
  readonly factor: Factor;
}

/**
 * Every `markov` loop among `factors` contracted to one factor ({@link contractMarkovLoop}),
 * and the factors no loop consumed. Used at the top level of a trace and inside the
 * vectorized steps of an enumerated `scan` (a loop in the scan's body is local to each step).
 */
export function contractMarkovLoops(
  factors: readonly SiteFactor[],
  tf: TraceFactors,
  semiring: "sum" | "max" = "sum",
): { rest: SiteFactor[]; loops: ContractedLoop[]; chainDims: Set<number> } {
  const { chains, rest } = splitMarkovFactors(factors);
  const used = new Set<SiteFactor>();
  const loops: ContractedLoop[] = [];
  const chainDims = new Set<number>();
  for (const group of chains.values()) {
    const r = contractMarkovLoop(
      group,
      rest.filter((f) => !used.has(f)),
      tf,
      semiring,
    );
    for (const d of r.chainDims) chainDims.add(d);
    for (const f of r.used) used.add(f);
    loops.push({ group, used: r.used, factor: r.factor });
  }
  return { rest: rest.filter((f) => !used.has(f)), loops, chainDims };
}
