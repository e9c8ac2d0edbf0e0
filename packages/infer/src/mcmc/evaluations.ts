/**
 * The one protocol between the samplers' tree logic (on the CPU, in float64) and the
 * potential (on any backend): sampler code is written once as a generator that yields the
 * phase point whose potential it needs and receives the energy back, with the gradient
 * written into the point. Two drivers run it: {@link evaluateSync} with a synchronous
 * potential (the cpu backend's fast path: no promise per leapfrog step) and
 * {@link evaluateAsync} with a potential read by one `await` (WebGPU).
 * @module
 */
import type { PhasePoint } from "./integrator.js";
import type { AsyncPotentialGradFn, PotentialGradFn } from "./potential-fn.js";

/**
 * Sampler work that asks for potential evaluations: it yields a point `p` whose potential
 * at `p.z` is wanted, and is resumed with `U(p.z)` after `∇U(p.z)` was written into `p.g`.
 */
export type Evaluations<T> = Generator<PhasePoint, T, number>;

/** Run `work` to the end, answering each evaluation with the synchronous `potential`. */
export function evaluateSync<T>(work: Evaluations<T>, potential: PotentialGradFn): T {
  let r = work.next();
  while (!r.done) {
    const p = r.value;
    r = work.next(potential(p.z, p.g));
  }
  return r.value;
}

/** Run `work` to the end, answering each evaluation with one `await` of `potential`. */
export async function evaluateAsync<T>(work: Evaluations<T>, potential: AsyncPotentialGradFn): Promise<T> {
  let r = work.next();
  while (!r.done) {
    const p = r.value;
    r = work.next(await potential(p.z, p.g));
  }
  return r.value;
}

/**
 * How a sampler reaches its potential: synchronously where the backend reads back
 * synchronously (`sync`), else with one `await` per evaluation (`async`).
 */
export interface PotentialAccess {
  readonly sync?: PotentialGradFn;
  readonly async: AsyncPotentialGradFn;
}

/**
 * Run `work` with the synchronous potential when there is one (no promise at all on that
 * path), else with the asynchronous one.
 */
export function evaluate<T>(work: Evaluations<T>, access: PotentialAccess): T | Promise<T> {
  return access.sync ? evaluateSync(work, access.sync) : evaluateAsync(work, access.async);
}
