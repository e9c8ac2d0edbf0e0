/**
 * The ELBO with discrete sites enumerated in the guide (Pyro/NumPyro `TraceEnum_ELBO` with
 * `config_enumerate` on guide sites): the guide runs under `enumerate`, so each such site
 * holds its whole support along its own dim, and the model is replayed on those values. The
 * expectation over the enumerated guide sites is then exact, as in the Dice estimator
 * (Foerster et al., "DiCE: The Infinitely Differentiable Monte Carlo Estimator", ICML 2018;
 * Pyro's `Dice.compute_expectation`): every cost term, a model site's log p or a guide site's
 * −log q (plate-scaled), is weighted elementwise by the guide probability of the enumerated
 * values it depends on, Π_j q_j (closed over the guide sites those q_j depend on in turn), and
 * summed over every dim, plates included, so a per-element guide site in a plate weights
 * that element's terms only. The gradient reaches the guide's discrete parameters through
 * the weights (no score-function term). Model-side enumeration in the same model is not
 * supported together with guide-side enumeration.
 * @module
 */
import { enumDimOf, exp, type SampleMessage, type Tensor, type Trace } from "@scribe/core";
import { siteLogProb } from "../util/log-density.js";

function sites(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample");
}

/** True when some guide site asks for parallel enumeration. */
export function guideWantsEnumeration(tr: Trace): boolean {
  return sites(tr).some((s) => !s.isObserved && s.infer.enumerate === "parallel");
}

/**
 * ELBO of a model trace replayed on an enumerated guide trace (see the module comment).
 * `modelTrace` must come from a model run without `enumerate`.
 */
export function guideEnumElbo(modelTrace: Trace, guideTrace: Trace): Tensor {
  const guideSites = sites(guideTrace).filter((s) => !s.isObserved);
  const guideEnum = guideSites.filter((s) => enumDimOf(s) !== undefined);
  const guideEnumNames = new Set(guideEnum.map((s) => s.name));
  for (const s of sites(modelTrace))
    if (!guideEnumNames.has(s.name) && (s.infer.enumerate === "parallel" || enumDimOf(s) !== undefined))
      throw new Error(
        `TraceEnumELBO: model site '${s.name}' is enumerated while the guide enumerates too; enumerate either in the model or in the guide`,
      );
  // log q and the enumeration dims each enumerated guide site's log q depends on
  const logQ = new Map<number, { lq: Tensor; dims: number[] }>();
  const enumDims = guideEnum.map((s) => enumDimOf(s)!);
  const nonUnit = (t: Tensor) => enumDims.filter((d) => -d <= t.rank && (t.shape[t.rank + d] ?? 1) > 1);
  for (const s of guideEnum) {
    const lq = siteLogProb(s, { scaled: false });
    logQ.set(enumDimOf(s)!, { lq, dims: nonUnit(lq) });
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
  for (const s of sites(modelTrace)) if (s.type === "sample") addCost(siteLogProb(s));
  for (const s of guideSites) addCost(siteLogProb(s).neg());
  if (elbo === null) throw new Error("TraceEnumELBO: the model and guide have no sample sites");
  return elbo;
}
