/**
 * Warmup adaptation: dual-averaging step size (Hoffman & Gelman 2014, §3.2), the
 * step-size heuristic, and Stan's windowed mass-matrix adaptation schedule.
 * @module
 */
import { type Evaluations, evaluateSync } from "./evaluations.js";
import { copyPhasePoint, hamiltonian, leapfrogSteps, type PhasePoint } from "./integrator.js";
import type { MassMatrix } from "./mass-matrix.js";
import type { PotentialGradFn } from "./potential-fn.js";
import type { RngStream } from "./rng-stream.js";

const TINY = 2.2250738585072014e-308;
const HUGE = Number.MAX_VALUE;

/** Clip a step size to the positive finite floats. */
export function clipStepSize(eps: number): number {
  if (Number.isNaN(eps)) return TINY;
  return Math.min(Math.max(eps, TINY), HUGE);
}

/** Dual-averaging constants: `t0`, `kappa` and `gamma` of Hoffman & Gelman. */
export interface DualAveragingOptions {
  /** Iteration offset damping early updates (default 10). */
  t0?: number;
  /** Decay exponent of the averaging weights (default 0.75). */
  kappa?: number;
  /** Shrinkage scale toward `mu` (default 0.05). */
  gamma?: number;
}

/**
 * Nesterov dual averaging of a log step size toward a target acceptance statistic:
 * `update(accept)` returns the next trial log step size; `averaged` is the final one.
 */
export class DualAveraging {
  /** Iterations since the last restart. */
  t = 0;
  /** Averaged error `H̄`. */
  hBar = 0;
  /** Current iterate `x_t`. */
  x = 0;
  /** Averaged iterate `x̄`. */
  xBar = 0;
  /** Shrinkage point `μ`. */
  mu = 0;
  readonly #t0: number;
  readonly #kappa: number;
  readonly #gamma: number;

  /**
   * @param target - the acceptance statistic to aim for
   * @param opts - the constants
   */
  constructor(
    readonly target: number,
    opts: DualAveragingOptions = {},
  ) {
    this.#t0 = opts.t0 ?? 10;
    this.#kappa = opts.kappa ?? 0.75;
    this.#gamma = opts.gamma ?? 0.05;
  }

  /** Restart around `mu` (usually `log(10·ε)`). */
  restart(mu: number): void {
    this.t = 0;
    this.hBar = 0;
    this.x = mu;
    this.xBar = 0;
    this.mu = mu;
  }

  /** Feed one acceptance statistic; returns the new `x_t`. */
  update(accept: number): number {
    const a = Number.isFinite(accept) ? Math.min(Math.max(accept, 0), 1) : 0;
    this.t++;
    const eta = 1 / (this.t + this.#t0);
    this.hBar = (1 - eta) * this.hBar + eta * (this.target - a);
    this.x = this.mu - (Math.sqrt(this.t) / this.#gamma) * this.hBar;
    const w = this.t ** -this.#kappa;
    this.xBar = w * this.x + (1 - w) * this.xBar;
    return this.x;
  }
}

/** An adaptation window `[start, end]` (inclusive warmup iteration indices). */
export type AdaptWindow = readonly [start: number, end: number];

/**
 * Stan's warmup schedule for `n` warmup iterations: an initial fast window (step size
 * only), slow windows that double in length (mass matrix), and a final fast window.
 * @example
 * buildAdaptationSchedule(1000); // [[0,74],[75,99],[100,149],[150,249],[250,449],[450,949],[950,999]]
 */
export function buildAdaptationSchedule(n: number): AdaptWindow[] {
  if (n <= 0) return [];
  if (n < 20) return [[0, n - 1]];
  let init = 75;
  let term = 50;
  let base = 25;
  if (init + base + term > n) {
    init = Math.floor(0.15 * n);
    term = Math.floor(0.1 * n);
    base = n - init - term;
  }
  const out: AdaptWindow[] = [[0, init - 1]];
  const endSlow = n - term;
  let cur = init;
  let size = base;
  while (cur < endSlow) {
    const next = 2 * size;
    if (cur + size + next >= endSlow) size = endSlow - cur;
    out.push([cur, cur + size - 1]);
    cur += size;
    size = next;
  }
  out.push([endSlow, n - 1]);
  return out;
}

/**
 * The step-size heuristic as sampler work (see {@link Evaluations}): from `eps`, double (or
 * halve) the step until the one-step acceptance `exp(−ΔH)` crosses 0.8. A non-finite energy
 * counts as too large a step. `start` is left untouched; `work` is scratch space. A
 * synchronous `potential` is called directly (nothing yielded).
 */
export function* findReasonableStepSizeSteps(
  start: PhasePoint,
  work: PhasePoint,
  eps: number,
  mass: MassMatrix,
  rng: RngStream,
  potential?: PotentialGradFn,
): Evaluations<number> {
  const logTarget = Math.log(0.8);
  mass.sampleMomentum(rng, work.r);
  const r0 = Float64Array.from(work.r);
  function* trial(e: number): Evaluations<number> {
    copyPhasePoint(start, work);
    work.r.set(r0);
    mass.velocity(work.r, work.v);
    const h0 = hamiltonian(work);
    yield* leapfrogSteps(work, e, mass, potential);
    const h = hamiltonian(work);
    const d = h0 - h;
    return Number.isFinite(h) ? d : Number.NEGATIVE_INFINITY;
  }
  let e = clipStepSize(eps);
  const direction = (yield* trial(e)) > logTarget ? 1 : -1;
  for (let i = 0; i < 100; i++) {
    const next = clipStepSize(direction === 1 ? 2 * e : 0.5 * e);
    if (next === e) break;
    e = next;
    const d = yield* trial(e);
    if (direction === 1 ? !(d > logTarget) : d > logTarget) break;
  }
  return e;
}

/** {@link findReasonableStepSizeSteps} with a synchronous potential. */
export function findReasonableStepSize(
  start: PhasePoint,
  work: PhasePoint,
  eps: number,
  mass: MassMatrix,
  potential: PotentialGradFn,
  rng: RngStream,
): number {
  return evaluateSync(findReasonableStepSizeSteps(start, work, eps, mass, rng, potential), potential);
}
