/**
 * Potential energy and pointwise log-likelihood of a model.
 * @module
 */
import { type Key, type Message, scalar, seed, substitute, type Tensor, trace } from "@scribe/core";
import { bijectTo, type Constraint } from "@scribe/distributions";
import { collectDraws, drawAt, numDraws } from "./draws.js";
import { siteLogProb, traceLogDensity } from "./log-density.js";
import { observedSites } from "./sites.js";

/**
 * U(u) = −(log p(T(u), data) + Σ log|det J_T(u)|): each latent site named in
 * `unconstrained` takes the value T(u) with T = bijectTo(its support); sites not named are
 * drawn under `rngKey` (NumPyro's `potential_energy`).
 * @example
 * const model = (y: Tensor) => {
 *   const sigma = sample("sigma", new HalfNormal(1));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(0, sigma), { obs: y }));
 * };
 * const u = potentialEnergy(model, [tensor([0.3, -1.2, 0.8])], { sigma: tensor(0) }); // sigma = exp(0) = 1
 * u.item(); // ≈ 4.57 = −(log p(sigma = 1, y) + log|d exp(u)/du| at u = 0)
 */
export function potentialEnergy<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  unconstrained: Readonly<Record<string, Tensor>>,
  rngKey: Key | number = 0,
): Tensor {
  let logDet: Tensor = scalar(0);
  const pick = (msg: Message): Tensor | undefined => {
    if (msg.type !== "sample" || msg.isObserved || !Object.hasOwn(unconstrained, msg.name)) return undefined;
    const u = unconstrained[msg.name]!;
    const support = msg.fn.support as Constraint | undefined;
    if (!support) throw new Error(`potentialEnergy: site '${msg.name}' has no support constraint`);
    if (support.name === "real") return u;
    const t = bijectTo(support);
    const x = t.forward(u);
    logDet = logDet.add(t.logAbsDetJacobian(u, x).sum());
    return x;
  };
  const tr = trace(seed(substitute(model, pick), rngKey)).getTrace(...args);
  return traceLogDensity(tr).add(logDet).neg();
}

/** Options of {@link pointwiseLogLikelihood}. */
export interface LogLikelihoodOptions {
  /** Draws per chunk between readbacks (default 100). */
  batchSize?: number;
  /** Key for sites the samples do not cover (default 0). */
  rngKey?: Key | number;
}

/**
 * Pointwise log-likelihood: for every observed site, log p(obs | draw) per draw, with the
 * site's batch (plate) dims: site → [numDraws, ...batchShape]. Unscaled by plates (masks
 * apply). Feeds WAIC / PSIS-LOO.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const draws = { mu: tensor([0.6, 0.8, 1.0]) }; // e.g. mcmc.getSamples()
 * const ll = logLikelihood(model, draws, tensor([0.3, 1.2, 0.8, 1.5, 0.9]));
 * ll.y!.shape; // [3, 5]: [numDraws, N]
 */
export function logLikelihood<A extends unknown[]>(
  model: (...args: A) => unknown,
  samples: Readonly<Record<string, Tensor>>,
  ...args: A
): Record<string, Tensor> {
  return pointwiseLogLikelihood(model, samples, args);
}

/** {@link logLikelihood} with options. */
export function pointwiseLogLikelihood<A extends unknown[]>(
  model: (...args: A) => unknown,
  samples: Readonly<Record<string, Tensor>>,
  args: A,
  opts: LogLikelihoodOptions = {},
): Record<string, Tensor> {
  const n = numDraws(samples, "logLikelihood");
  return collectDraws(
    n,
    opts.batchSize ?? 100,
    (i) => {
      const tr = trace(seed(substitute(model, drawAt(samples, i)), opts.rngKey ?? 0)).getTrace(...args);
      const out: Record<string, Tensor> = {};
      for (const s of observedSites(tr))
        if (!s.infer.isAuxiliary) out[s.name] = siteLogProb(s, { scaled: false });
      return out;
    },
    "logLikelihood",
  );
}
