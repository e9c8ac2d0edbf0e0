/**
 * The ELBO with discrete sites enumerated in the guide (Pyro/NumPyro `TraceEnum_ELBO` with
 * `config_enumerate` on guide sites), and optionally other discrete sites enumerated in the
 * model only: the guide runs under `enumerate`, so each such site holds its whole support
 * along its own dim, and the model is replayed on those values under `enumerate` too, its
 * own enumerated sites taking dims further left. The expectation over the enumerated guide
 * sites is then exact, as in the Dice estimator (Foerster et al., "DiCE: The Infinitely
 * Differentiable Monte Carlo Estimator", ICML 2018; Pyro's `Dice.compute_expectation`):
 * every cost term is weighted elementwise by the guide probability of the enumerated values
 * it depends on, Π_j q_j (closed over the guide sites those q_j depend on in turn), and
 * summed over every dim, plates included, so a per-element guide site in a plate weights
 * that element's terms only. The cost terms are a guide site's −log q, a model site's log p
 * when it touches no model-enumerated site, and, for each group of model sites connected
 * through model-enumerated sites, their log-factors with those sites summed out and the
 * plates not common to the whole group multiplied out (NumPyro's contracted cost terms, so
 * the cost is log Σ_z p, not Σ_z log p). A model-enumerated site may therefore not be more
 * global than the guide-enumerated sites its group depends on (refused by name, as NumPyro
 * does). The model's `markov` loops and enumerated `scan`s are contracted first, each to one
 * factor over its plates and the variables from outside it, guide-enumerated ones kept (a
 * guide-enumerated switch of an HMM, say); a guide-enumerated site inside such a loop is
 * refused by name. The gradient reaches the guide's discrete parameters through the weights (no
 * score-function term).
 * @module
 */
import { enumDimOf, exp, type SampleMessage, type Tensor, type Trace } from "@scribe/core";
import { markovInfoOf } from "../handlers/markov.js";
import { siteLogProb } from "../util/log-density.js";
import { contractFactors, type Factor } from "./contract.js";
import { contractSequences } from "./enum-log-density.js";
import { type TraceFactors, traceFactors } from "./factors.js";

function sites(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample");
}

/** True when some guide site asks for parallel enumeration. */
export function guideWantsEnumeration(tr: Trace): boolean {
  return sites(tr).some((s) => !s.isObserved && s.infer.enumerate === "parallel");
}

/**
 * The `maxPlateNesting` to run the model under `enumerate` with when it is replayed on the
 * enumerated guide trace: its own enumerated sites then take dims left of the guide's.
 */
export function modelEnumNesting(guideTrace: Trace, maxPlateNesting: number): number {
  let n = maxPlateNesting;
  for (const s of sites(guideTrace)) {
    const d = enumDimOf(s);
    if (d !== undefined) n = Math.max(n, -d);
  }
  return n;
}

const nonUnitDims = (t: Tensor, rank: number, dims: Iterable<number>): number[] =>
  [...dims].filter((d) => -d <= rank && (t.shape[rank + d] ?? 1) > 1);

/** A log-factor to cost, with its site when it is one site's (not a contracted loop or scan). */
type CostFactor = Factor & { readonly site?: SampleMessage };

/** Factors connected through the non-unit dims of `dims` they share (NumPyro's `_partition`). */
function components(factors: readonly CostFactor[], rank: number, dims: ReadonlySet<number>) {
  const groups: { factors: CostFactor[]; dims: Set<number> }[] = [];
  for (const f of factors) {
    const merged = { factors: [f], dims: new Set(nonUnitDims(f.logp, rank, dims)) };
    for (let i = groups.length - 1; i >= 0; i--) {
      const g = groups[i]!; // i < groups.length
      if ([...g.dims].some((d) => merged.dims.has(d))) {
        merged.factors.push(...g.factors);
        for (const d of g.dims) merged.dims.add(d);
        groups.splice(i, 1);
      }
    }
    groups.push(merged);
  }
  return groups;
}

/**
 * A guide-enumerated site may not sit inside the model's `markov` loops or enumerated scans:
 * their contraction sums the loop's own variables step by step, while a guide site's values
 * must stay as a dim to be weighted by q (refused by name).
 */
function refuseGuideSitesInSequences(tf: TraceFactors, guideEnum: ReadonlyMap<number, SampleMessage>): void {
  const inScan = [...tf.scans.values()].flat();
  for (const f of [...tf.factors.filter((g) => markovInfoOf(g.site) !== undefined), ...inScan]) {
    const d = enumDimOf(f.site);
    if (d !== undefined && guideEnum.has(d))
      throw new Error(
        `TraceEnumELBO: site '${f.site.name}' is enumerated in the guide but lies in a ${inScan.includes(f) ? "scan" : "markov loop"} of the model; guide-side enumeration of a loop's own sites is not supported (enumerate it in the model)`,
      );
  }
}

/**
 * The model's cost terms (see the module comment): one log p per site, except that sites
 * connected through model-enumerated sites share one contracted term. A `markov` loop or an
 * enumerated `scan` of the model is first contracted to one factor over its plates and the
 * enumerated variables from outside it (guide-enumerated ones included, kept as dims), which
 * then joins the grouping like a site's factor.
 */
function modelCosts(modelTrace: Trace, guideEnum: ReadonlyMap<number, SampleMessage>): Tensor[] {
  const modelSites = sites(modelTrace);
  const sumDims = new Set<number>();
  for (const s of modelSites) {
    const d = enumDimOf(s);
    if (d !== undefined && !guideEnum.has(d)) sumDims.add(d);
  }
  if (sumDims.size === 0) return modelSites.map((s) => siteLogProb(s));
  const tf = traceFactors(modelTrace);
  refuseGuideSitesInSequences(tf, guideEnum);
  const { rest, contracted, eliminated } = contractSequences(tf);
  for (const d of eliminated) sumDims.delete(d);
  const what = (dims: ReadonlySet<number>) =>
    dims.size > 0
      ? `model-enumerated site(s) ${[...dims].map((m) => `'${tf.enumSites.get(m)?.name}'`).join(", ")} are`
      : "the model-enumerated sites of a markov loop or scan are";
  const costs: Tensor[] = [];
  for (const group of components([...rest, ...contracted], tf.rank, sumDims)) {
    if (group.dims.size === 0 && group.factors.every((f) => f.site !== undefined)) {
      for (const f of group.factors) costs.push(siteLogProb(f.site!)); // every factor has a site here
      continue;
    }
    // keep the plates every factor of the group lives in; multiply out the others
    const outermost = new Set(group.factors[0]!.plates); // a group has at least one factor
    for (const f of group.factors) for (const p of outermost) if (!f.plates.has(p)) outermost.delete(p);
    for (const f of group.factors)
      for (const d of nonUnitDims(f.logp, tf.rank, guideEnum.keys())) {
        const g = guideEnum.get(d)!; // d is a key of guideEnum
        const p = g.condIndepStack.find((c) => !outermost.has(c.name));
        if (p)
          throw new Error(
            `TraceEnumELBO: ${what(group.dims)} more global than guide-enumerated site '${g.name}' in plate '${p.name}' (summing them out multiplies that plate out); enumerate '${g.name}' in the model as well, or those sites in the guide`,
          );
      }
    let cost = contractFactors(group.factors, tf.plates, {
      rank: tf.rank,
      sumDims: group.dims,
      keep: outermost,
    });
    // the kept plates' subsampling scale, which the contraction applies only to plates it multiplies out
    for (const p of outermost) {
      const scale = tf.plates.get(p)?.scale ?? 1;
      if (scale !== 1) cost = cost.mul(scale);
    }
    costs.push(cost);
  }
  return costs;
}

/**
 * ELBO of a model trace replayed on an enumerated guide trace (see the module comment).
 * `modelTrace` comes from the model run under `enumerate` with `modelEnumNesting` (or
 * without `enumerate` when the model enumerates nothing itself).
 */
export function guideEnumElbo(modelTrace: Trace, guideTrace: Trace): Tensor {
  const guideSites = sites(guideTrace).filter((s) => !s.isObserved);
  const guideEnum = new Map<number, SampleMessage>();
  for (const s of guideSites) {
    const d = enumDimOf(s);
    if (d !== undefined) guideEnum.set(d, s);
  }
  // log q and the enumeration dims each enumerated guide site's log q depends on
  const logQ = new Map<number, { lq: Tensor; dims: number[] }>();
  const nonUnit = (t: Tensor) => nonUnitDims(t, t.rank, guideEnum.keys());
  for (const [d, s] of guideEnum) {
    const lq = siteLogProb(s, { scaled: false });
    logQ.set(d, { lq, dims: nonUnit(lq) });
  }
  const weightOf = (cost: Tensor): Tensor | null => {
    const closure = new Set<number>();
    const todo = nonUnit(cost);
    while (todo.length > 0) {
      const d = todo.pop()!;
      if (closure.has(d)) continue;
      closure.add(d);
      for (const p of logQ.get(d)?.dims ?? []) if (!closure.has(p)) todo.push(p);
    }
    let lw: Tensor | null = null;
    for (const d of closure) {
      const lq = logQ.get(d)!.lq;
      lw = lw ? lw.add(lq) : lq;
    }
    return lw ? exp(lw) : null;
  };
  let elbo: Tensor | null = null;
  const addCost = (cost: Tensor) => {
    const w = weightOf(cost);
    const term = (w ? cost.mul(w) : cost).sum();
    elbo = elbo ? elbo.add(term) : term;
  };
  for (const cost of modelCosts(modelTrace, guideEnum)) addCost(cost);
  for (const s of guideSites) addCost(siteLogProb(s).neg());
  if (elbo === null) throw new Error("TraceEnumELBO: the model and guide have no sample sites");
  return elbo;
}
