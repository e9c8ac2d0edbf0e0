// A kernel module for parallel chains with Tensor model arguments (issue 22, item 5): worker
// threads import it and call `eightSchoolsKernel`. Also used by bench/mcmc-parallel.ts.
import { plate, sample, type Tensor } from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { NUTS } from "@scribe/infer";

/** Eight schools, non-centred; arguments: the effects y and their standard errors. */
export const eightSchools = (y: Tensor, sigma: Tensor): void => {
  const mu = sample("mu", new Normal(0, 5));
  const tau = sample("tau", new HalfCauchy(5));
  plate("J", y.shape[0]!, () => {
    const eta = sample("eta", new Normal(0, 1));
    sample("obs", new Normal(mu.add(tau.mul(eta)), sigma), { obs: y });
  });
};

/** NUTS on {@link eightSchools}. */
export function eightSchoolsKernel(): NUTS {
  return new NUTS(eightSchools);
}
