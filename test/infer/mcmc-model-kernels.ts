// Model kernels for the MCMC deterministic-site and resume tests. Worker threads import this
// module and call its factories, so everything a chain needs is built here (no arguments).
import { deterministic, plate, sample, tensor } from "@scribe/core";
import { Gamma, Normal, Poisson } from "@scribe/distributions";
import { HMC, NUTS } from "@scribe/infer";

/** Observations of the Normal–Normal part (known sd 2, prior N(0, 10²) on mu). */
export const Y = [1.2, 0.4, 2.5, 1.9, 0.8, 1.1, 2.2, 1.5, 0.3, 1.7];
/** Counts of the Gamma–Poisson part (prior Gamma(2, rate 0.5) on lam). */
export const COUNTS = [3, 5, 2, 4, 6, 3, 2, 5];
/** Covariate of the vector deterministic site `lin = mu + lam·X`. */
export const X = [-1, 0.5, 2];

const y = tensor(Y, { dtype: "float64" });
const counts = tensor(COUNTS, { dtype: "float64" });
const x = tensor(X, { dtype: "float64" });

/** How many times {@link conjugateModel} has been run in this thread. */
export const modelCalls = { n: 0 };

/**
 * Two independent conjugate pairs with deterministic sites between and after the latent
 * sites: `muAffine = 3·mu − 1`, `lin = mu + lam·X` ([3]), `logLam = log lam`, and inside
 * the data plate `resid = y − mu` ([10]).
 */
export function conjugateModel(): void {
  modelCalls.n++;
  const mu = sample("mu", new Normal(0, 10));
  deterministic("muAffine", mu.mul(3).sub(1));
  const lam = sample("lam", new Gamma(2, 0.5));
  deterministic("lin", mu.add(lam.mul(x)));
  deterministic("logLam", lam.log());
  plate("data", 10, () => {
    deterministic("resid", y.sub(mu));
    sample("y", new Normal(mu, 2), { obs: y });
  });
  plate("counts", 8, () => sample("c", new Poisson(lam), { obs: counts }));
}

/** The same model without deterministic sites. */
export function plainModel(): void {
  modelCalls.n++;
  const mu = sample("mu", new Normal(0, 10));
  const lam = sample("lam", new Gamma(2, 0.5));
  plate("data", 10, () => sample("y", new Normal(mu, 2), { obs: y }));
  plate("counts", 8, () => sample("c", new Poisson(lam), { obs: counts }));
}

/** Exact posteriors: mu ~ N(muMean, muVar), lam ~ Gamma(lamShape, rate lamRate), independent. */
export const POSTERIOR = (() => {
  const prec = 1 / 100 + Y.length / 4;
  const sumY = Y.reduce((a, b) => a + b, 0);
  return {
    muMean: sumY / 4 / prec,
    muVar: 1 / prec,
    lamShape: 2 + COUNTS.reduce((a, b) => a + b, 0),
    lamRate: 0.5 + COUNTS.length,
  };
})();

/** NUTS on {@link conjugateModel} (or {@link plainModel} when `plain`). */
export function makeNuts(plain = false): NUTS {
  return new NUTS({ model: plain ? plainModel : conjugateModel });
}

/** Static HMC with a dense mass matrix on {@link conjugateModel}. */
export function makeDenseHmc(): HMC {
  return new HMC({ model: conjugateModel, denseMass: true, trajectoryLength: 1.5 });
}
