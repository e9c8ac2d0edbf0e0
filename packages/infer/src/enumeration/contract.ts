/**
 * Exact elimination of enumerated dims from a set of log-factors that live in plates: the
 * tensor variable elimination of Obermeyer et al., "Tensor Variable Elimination for
 * Plated Factor Graphs" (ICML 2019), as Pyro's `contract_tensor_tree` / NumPyro's
 * funsor-based `TraceEnum_ELBO` run it, in log space. Every factor is a tensor of one
 * common rank R whose rightmost dims are plate dims and whose dims further left are
 * enumeration dims. Starting from the most deeply plated factors, the enumeration dims local
 * to a plate set are summed out (logsumexp, or max for max-product) over each connected
 * group of factors, then the plates not shared with the dims still pending are multiplied
 * out (a sum over the plate dim in log space, times the subsampling scale), and the result
 * moves to the parent plate set. Correct for plates that nest (tree-structured plate
 * graphs), which covers models whose plates nest one inside another.
 * @module
 */
import { logsumexp, max, sum, type Tensor } from "@scribe/core";

/** A log-factor: a rank-R tensor and the names of the plates it lives in. */
export interface Factor {
  readonly logp: Tensor;
  readonly plates: ReadonlySet<string>;
}

/** A plate (or a pseudo-plate such as the time axis of a scan) as the contraction sees it. */
export interface ContractionPlate {
  /** Its negative dim. */
  readonly dim: number;
  /** Its (subsample) size. */
  readonly size: number;
  /** Multiplier applied when it is multiplied out: full size / subsample size. */
  readonly scale: number;
}

/** Options of {@link contractFactors}. */
export interface ContractOptions {
  /** The common rank of every factor. */
  readonly rank: number;
  /** Enumeration dims to eliminate. Other enumeration dims are kept. */
  readonly sumDims: ReadonlySet<number>;
  /** Plates never multiplied out (their dims are kept in the result). */
  readonly keep?: ReadonlySet<string>;
  /** `"sum"` (marginal, logsumexp) or `"max"` (max-product, for MAP). Default "sum". */
  readonly semiring?: "sum" | "max";
}

function dimsOf(t: Tensor, rank: number, dims: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const d of dims) if ((t.shape[rank + d] ?? 1) > 1) out.add(d);
  return out;
}

function keyOf(ord: ReadonlySet<string>): string {
  return [...ord].sort().join("\u0000");
}

/** Multiply the factor out over `names` (log space: sum over their dims, times their scale). */
export function productOverPlates(
  t: Tensor,
  names: Iterable<string>,
  plates: ReadonlyMap<string, ContractionPlate>,
  rank: number,
): Tensor {
  let out = t;
  for (const name of names) {
    const p = plates.get(name);
    if (!p) throw new Error(`enumeration: factor in unknown plate '${name}'`);
    const axis = rank + p.dim;
    // A factor constant along the plate (size 1 there) appears `size` times in the product.
    out = (out.shape[axis] ?? 1) === 1 ? out.mul(p.size) : sum(out, axis, true);
    if (p.scale !== 1) out = out.mul(p.scale);
  }
  return out;
}

/** Groups of factors connected through shared dims of `dims` (a factor with none is alone). */
function connected(
  terms: Tensor[],
  rank: number,
  dims: ReadonlySet<number>,
): { terms: Tensor[]; dims: Set<number> }[] {
  const groups: { terms: Tensor[]; dims: Set<number> }[] = [];
  for (const t of terms) {
    const own = dimsOf(t, rank, dims);
    const merged = { terms: [t], dims: own };
    for (let i = groups.length - 1; i >= 0; i--) {
      const g = groups[i]!; // i < groups.length
      if ([...g.dims].some((d) => own.has(d))) {
        merged.terms.push(...g.terms);
        for (const d of g.dims) merged.dims.add(d);
        groups.splice(i, 1);
      }
    }
    groups.push(merged);
  }
  return groups;
}

function addAll(ts: readonly Tensor[]): Tensor {
  let acc = ts[0]!; // callers pass at least one tensor
  for (let i = 1; i < ts.length; i++) acc = acc.add(ts[i]!);
  return acc;
}

/**
 * Contract `factors`: eliminate `sumDims`, multiply out every plate not in `keep`, and
 * return the sum of what remains as one rank-R tensor (size 1 on every eliminated dim; the
 * kept plates and the enumeration dims not in `sumDims` keep their sizes). With nothing
 * kept the result holds the log of the total (its `sum()` is the scalar).
 */
export function contractFactors(
  factors: readonly Factor[],
  plates: ReadonlyMap<string, ContractionPlate>,
  opts: ContractOptions,
): Tensor {
  const { rank, sumDims } = opts;
  const keep = opts.keep ?? new Set<string>();
  const reduce = (t: Tensor, dims: ReadonlySet<number>): Tensor => {
    if (dims.size === 0) return t;
    const axes = [...dims].map((d) => rank + d);
    return opts.semiring === "max" ? max(t, axes, true) : logsumexp(t, axes, true);
  };
  // The plate set each factor is reduced over, and each sum dim's own plate set (the plates
  // common to every factor that mentions it).
  const tree = new Map<string, { ord: Set<string>; terms: Tensor[] }>();
  const dimOrd = new Map<number, Set<string>>();
  for (const f of factors) {
    const ord = new Set([...f.plates].filter((p) => !keep.has(p)));
    const k = keyOf(ord);
    const node = tree.get(k) ?? { ord, terms: [] };
    node.terms.push(f.logp);
    tree.set(k, node);
    for (const d of dimsOf(f.logp, rank, sumDims)) {
      const prev = dimOrd.get(d);
      dimOrd.set(d, prev ? new Set([...prev].filter((p) => ord.has(p))) : new Set(ord));
    }
  }
  const pendingDims = new Set(dimOrd.keys());
  const done: Tensor[] = [];
  const place = (t: Tensor, ord: Set<string>) => {
    const k = keyOf(ord);
    const node = tree.get(k) ?? { ord, terms: [] };
    node.terms.push(t);
    tree.set(k, node);
  };
  for (let guard = 0; pendingDims.size > 0; guard++) {
    if (guard > 10_000)
      throw new Error("enumeration: the contraction did not terminate (plates that do not nest?)");
    // The most deeply plated factors first.
    let leafKey: string | null = null;
    let leafSize = -1;
    for (const [k, node] of tree)
      if (node.ord.size > leafSize || (node.ord.size === leafSize && leafKey !== null && k < leafKey)) {
        leafKey = k;
        leafSize = node.ord.size;
      }
    if (leafKey === null) break;
    const leaf = tree.get(leafKey)!; // the key was just found in the map
    tree.delete(leafKey);
    const leafDims = new Set([...pendingDims].filter((d) => keyOf(dimOrd.get(d)!) === leafKey));
    for (const d of leafDims) pendingDims.delete(d);
    for (const group of connected(leaf.terms, rank, leafDims)) {
      const term = reduce(addAll(group.terms), group.dims);
      const pending = dimsOf(term, rank, pendingDims);
      const parent = new Set<string>();
      for (const d of pending) for (const p of dimOrd.get(d)!) parent.add(p);
      for (const p of parent)
        if (!leaf.ord.has(p))
          throw new Error(
            `enumeration: an enumerated variable in plate '${p}' meets factors outside that plate; only nested plates are supported`,
          );
      const contracted = productOverPlates(
        term,
        [...leaf.ord].filter((p) => !parent.has(p)),
        plates,
        rank,
      );
      if (pending.size === 0) done.push(contracted);
      else place(contracted, parent);
    }
  }
  for (const node of tree.values())
    for (const t of node.terms) done.push(productOverPlates(t, node.ord, plates, rank));
  if (done.length === 0) throw new Error("enumeration: nothing to contract");
  return addAll(done);
}
