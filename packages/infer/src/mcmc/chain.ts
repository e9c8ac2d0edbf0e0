/**
 * One Markov chain of HMC or NUTS with its warmup adaptation: the state machine the
 * MCMC driver (and a worker thread) steps.
 * @module
 */
import { foldIn, type Key } from "@scribe/core";
import {
  type AdaptWindow,
  buildAdaptationSchedule,
  clipStepSize,
  DualAveraging,
  findReasonableStepSizeSteps,
} from "./adaptation.js";
import type { Evaluations } from "./evaluations.js";
import { copyPhasePoint, newPhasePoint, type PhasePoint } from "./integrator.js";
import { MassMatrix, Welford, type WelfordState } from "./mass-matrix.js";
import {
  hmcTransitionSteps,
  NutsWorkspace,
  nutsTransitionSteps,
  type TransitionInfo,
  type TransitionSettings,
} from "./nuts-tree.js";
import { RngStream, type RngStreamState } from "./rng-stream.js";
import type { SamplerSetup } from "./setup.js";

/** Settings shared by HMC and NUTS (NumPyro's names, camelCased). */
export interface HMCSettings {
  /** Initial step size (default 1). */
  stepSize?: number;
  /** Adapt the step size by dual averaging during warmup (default true). */
  adaptStepSize?: boolean;
  /** Adapt the mass matrix in Stan's windows during warmup (default true). */
  adaptMassMatrix?: boolean;
  /** A dense (full) mass matrix instead of a diagonal one (default false). */
  denseMass?: boolean;
  /** Initial inverse mass matrix: `dim` entries (diagonal) or `dim²` (dense, row-major). */
  inverseMassMatrix?: Float64Array;
  /** Target of the acceptance statistic (default 0.8). */
  targetAcceptProb?: number;
  /** Energy error beyond which a trajectory counts as divergent (default 1000). */
  maxDeltaEnergy?: number;
  /** Shrink the mass-matrix estimate toward 1e-3·I as Stan does (default true). */
  regularizeMassMatrix?: boolean;
  /** Run the step-size heuristic at the start even without step-size adaptation (default false). */
  findHeuristicStepSize?: boolean;
}

/** The trajectory rule: NUTS with a maximum depth, or static HMC. */
export type TrajectoryRule =
  | { readonly kind: "nuts"; readonly maxTreeDepth: number }
  | { readonly kind: "hmc"; readonly numSteps?: number; readonly trajectoryLength: number };

/** What one iteration reports. */
export interface StepRecord extends TransitionInfo {
  /** The step size used for this iteration. */
  stepSize: number;
  /** Potential energy at the new position. */
  potentialEnergy: number;
}

/**
 * Warmup adaptation in progress, saved with a chain state taken mid-warmup (NumPyro's
 * `HMCAdaptState` fields, plus the window position): the dual-averaging iterates, the
 * Welford accumulators of the current mass-matrix window and the schedule's length, so
 * the chain resumes adapting exactly where it stopped.
 */
export interface WarmupState {
  /** Warmup iterations of the whole schedule (the chain's `numWarmup`). */
  numWarmup: number;
  /** Whether the step size and the mass matrix are being adapted. */
  adaptStepSize: boolean;
  adaptMassMatrix: boolean;
  /** Dual averaging (Hoffman & Gelman 2014, §3.2): `t`, `H̄`, `x_t`, `x̄`, `μ`. */
  dualAveraging: { t: number; hBar: number; x: number; xBar: number; mu: number };
  /** Accumulators of the current slow window. */
  welford: WelfordState;
  /** Index of the current window in Stan's schedule for `numWarmup`. */
  window: number;
}

/**
 * The state of one chain between iterations, as plain JSON-able data (NumPyro's
 * `HMCState` fields that sampling needs): enough to continue the chain exactly in this
 * process or another one. After warmup a chain resumed from it only samples (step size and
 * mass matrix stay fixed); taken mid-warmup it carries {@link WarmupState}, and the resumed
 * chain finishes the warmup first, bit for bit as if it had not stopped.
 */
export interface ChainState {
  /** Iterations done so far, warmup included (NumPyro's `i`). */
  iteration: number;
  /** Unconstrained position (NumPyro's `z`, flattened). */
  z: number[];
  /** Potential energy at `z` (recomputed on resume, kept here for inspection). */
  potentialEnergy: number;
  /** Step size (the adapted one after warmup). */
  stepSize: number;
  /** Inverse mass matrix: `dim` entries (diagonal) or `dim²` (dense, row-major). */
  inverseMassMatrix: number[];
  /** Whether `inverseMassMatrix` is a full matrix. */
  denseMass: boolean;
  /** The chain's random stream (NumPyro's `rng_key`). */
  rng: RngStreamState;
  /** Adaptation in progress; present only in a state taken before warmup ended. */
  warmup?: WarmupState;
}

/** Warmup iterations a chain resumed from `s` still has to run (0 after warmup). */
export function remainingWarmup(s: ChainState): number {
  return s.warmup ? Math.max(0, s.warmup.numWarmup - s.iteration) : 0;
}

/** The random stream a fresh chain with key `k` uses: `foldIn(k, 1)`, from its start. */
export function chainRngState(k: Key): RngStreamState {
  return new RngStream(foldIn(k, 1)).getState();
}

const MAX_INIT_TRIES = 100;

/**
 * Find a starting position whose potential and gradient are finite, trying
 * `setup.initPosition` with up to 100 keys (sampler work: one evaluation per try).
 */
export function* findValidInitSteps(setup: SamplerSetup, k: Key): Evaluations<PhasePoint> {
  const p = newPhasePoint(setup.dim);
  for (let t = 0; t < MAX_INIT_TRIES; t++) {
    p.z.set(setup.initPosition(foldIn(k, t)));
    p.pe = yield p;
    if (Number.isFinite(p.pe) && p.g.every(Number.isFinite)) return p;
  }
  throw new Error(
    `MCMC: cannot find valid initial parameters in ${MAX_INIT_TRIES} tries (the potential or its gradient is not finite; ` +
      `last potential ${p.pe}). Check the model for sites with invalid parameters, or pass initParams.`,
  );
}

/** Throw a clear error unless `s` is a chain state for `dim` parameters. */
function checkChainState(s: ChainState, dim: number): void {
  const bad = (what: string) => new Error(`MCMC: invalid chain state: ${what}`);
  if (!s || typeof s !== "object") throw bad("not an object");
  if (!Array.isArray(s.z) && !ArrayBuffer.isView(s.z)) throw bad("z is not an array");
  if (s.z.length !== dim)
    throw bad(`z has ${s.z.length} entries, the model has ${dim} unconstrained parameters`);
  if (!Array.from(s.z).every(Number.isFinite)) throw bad("z has non-finite entries");
  if (!(s.stepSize > 0 && Number.isFinite(s.stepSize))) throw bad(`stepSize is ${s.stepSize}`);
  if (!Number.isSafeInteger(s.iteration) || s.iteration < 0) throw bad(`iteration is ${s.iteration}`);
  if (typeof s.denseMass !== "boolean") throw bad("denseMass is not a boolean");
  const m = s.inverseMassMatrix?.length;
  if (m !== (s.denseMass ? dim * dim : dim))
    throw bad(`inverseMassMatrix has ${m} entries, expected ${s.denseMass ? dim * dim : dim}`);
  const w = s.warmup;
  if (w !== undefined) {
    if (!w || typeof w !== "object") throw bad("warmup is not an object");
    if (!Number.isSafeInteger(w.numWarmup) || w.numWarmup <= s.iteration)
      throw bad(`warmup.numWarmup is ${w?.numWarmup}, it must exceed the iteration ${s.iteration}`);
    const da = w.dualAveraging;
    if (!da || ![da.t, da.hBar, da.x, da.xBar, da.mu].every(Number.isFinite))
      throw bad("warmup.dualAveraging needs finite t, hBar, x, xBar and mu");
    if (!Number.isSafeInteger(w.window) || w.window < 0) throw bad(`warmup.window is ${w.window}`);
  }
}

/** Evaluate the potential and gradient at `p.z`, a saved position that must give finite values. */
function* restorePoint(p: PhasePoint): Evaluations<void> {
  p.pe = yield p;
  if (!(Number.isFinite(p.pe) && p.g.every(Number.isFinite)))
    throw new Error(
      `MCMC: the potential or its gradient is not finite at the saved position (potential ${p.pe}); ` +
        "were the model arguments changed?",
    );
}

/**
 * One chain: position, step size, mass matrix and adaptation state. Its work is written as
 * sampler work ({@link Evaluations}): run {@link ChainSampler.initialize} once, then
 * {@link ChainSampler.transition} per iteration, each with `evaluateSync` (a synchronous
 * potential) or `evaluateAsync` (a device read with `await`).
 */
export class ChainSampler {
  /** Current phase point (position `z`, gradient, potential). */
  readonly state: PhasePoint;
  /** Iterations done (warmup included). */
  iteration = 0;
  /** Current step size. */
  stepSize: number;
  /** Current metric. */
  mass: MassMatrix;
  readonly #setup: SamplerSetup;
  readonly #rule: TrajectoryRule;
  readonly #numWarmup: number;
  readonly #rng: RngStream;
  readonly #ws: NutsWorkspace;
  readonly #work: PhasePoint;
  readonly #adaptStep: boolean;
  readonly #adaptMass: boolean;
  readonly #regularize: boolean;
  readonly #maxDeltaEnergy: number;
  readonly #da: DualAveraging;
  readonly #welford: Welford;
  readonly #windows: AdaptWindow[];
  #win = 0;
  readonly #from?: ChainState;
  readonly #initKey: Key;
  readonly #heuristicAtStart: boolean;
  #initialized = false;

  /**
   * @param setup - the resolved problem
   * @param rule - NUTS or HMC
   * @param settings - step size and adaptation settings
   * @param k - the chain's key
   * @param numWarmup - warmup iterations (adaptation happens only there)
   * @param from - continue from this saved state instead (then `k` is unused,
   *   nothing is adapted whatever `numWarmup` is, and the step size, mass matrix and random
   *   stream are the saved ones); see {@link ChainSampler.fromState}
   */
  constructor(
    setup: SamplerSetup,
    rule: TrajectoryRule,
    settings: HMCSettings,
    k: Key,
    numWarmup: number,
    from?: ChainState,
  ) {
    this.#setup = setup;
    this.#rule = rule;
    const dim = setup.dim;
    if (from) checkChainState(from, dim);
    const resumed = from?.warmup;
    const nw = from ? (resumed?.numWarmup ?? 0) : numWarmup;
    this.#numWarmup = nw;
    const dense = from ? from.denseMass : (settings.denseMass ?? false);
    this.#rng = from ? RngStream.fromState(from.rng) : new RngStream(foldIn(k, 1));
    this.state = newPhasePoint(dim);
    if (from) this.state.z.set(from.z);
    this.#from = from;
    this.#initKey = foldIn(k, 0);
    this.mass = new MassMatrix(
      dim,
      dense,
      from ? Float64Array.from(from.inverseMassMatrix) : settings.inverseMassMatrix,
    );
    this.#ws = new NutsWorkspace(dim, rule.kind === "nuts" ? rule.maxTreeDepth : 1);
    this.#work = newPhasePoint(dim);
    this.#adaptStep = resumed ? resumed.adaptStepSize : (settings.adaptStepSize ?? true) && nw > 0;
    this.#adaptMass = resumed ? resumed.adaptMassMatrix : (settings.adaptMassMatrix ?? true) && nw > 0;
    this.#regularize = settings.regularizeMassMatrix ?? true;
    this.#maxDeltaEnergy = settings.maxDeltaEnergy ?? 1000;
    this.#da = new DualAveraging(settings.targetAcceptProb ?? 0.8);
    this.#welford = new Welford(dim, dense);
    this.#windows = buildAdaptationSchedule(nw);
    if (resumed) {
      if (resumed.window >= this.#windows.length)
        throw new Error(
          `MCMC: invalid chain state: warmup.window ${resumed.window} is past the ${this.#windows.length} windows of ${nw} warmup iterations`,
        );
      Object.assign(this.#da, resumed.dualAveraging);
      this.#welford.setState(resumed.welford);
      this.#win = resumed.window;
    }
    if (from) {
      this.iteration = from.iteration;
      this.stepSize = from.stepSize;
    } else this.stepSize = clipStepSize(settings.stepSize ?? 1);
    this.#heuristicAtStart = !from && (this.#adaptStep || (settings.findHeuristicStepSize ?? false));
  }

  /**
   * Evaluate the starting point (a valid random initial position, or the saved state's
   * position) and, when adapting, find a first step size. Run once before any transition.
   */
  *initialize(): Evaluations<void> {
    if (this.#initialized) throw new Error("MCMC: a chain is initialized once");
    if (this.#from) yield* restorePoint(this.state);
    else copyPhasePoint(yield* findValidInitSteps(this.#setup, this.#initKey), this.state);
    if (this.#heuristicAtStart) this.stepSize = yield* this.#heuristic();
    // A chain resumed mid-warmup keeps its dual-averaging state.
    if (!this.#from?.warmup) this.#da.restart(Math.log(10 * this.stepSize));
    this.#initialized = true;
  }

  /**
   * A chain that continues from a saved {@link ChainState}: the saved step size, mass matrix
   * and random stream (and, for a state taken mid-warmup, the rest of the warmup with the
   * saved adaptation statistics); the potential and gradient are re-evaluated at the saved
   * position. Stepping it gives bit for bit the draws the saved chain would have given next.
   */
  static fromState(
    setup: SamplerSetup,
    rule: TrajectoryRule,
    settings: HMCSettings,
    state: ChainState,
  ): ChainSampler {
    return new ChainSampler(setup, rule, settings, { hi: 0, lo: 0 }, 0, state);
  }

  /**
   * The chain's state now, as plain data that survives `JSON.stringify` / `JSON.parse`;
   * before warmup has ended it includes the adaptation statistics ({@link WarmupState}).
   */
  getState(): ChainState {
    const out: ChainState = {
      iteration: this.iteration,
      z: Array.from(this.state.z),
      potentialEnergy: this.state.pe,
      stepSize: this.stepSize,
      inverseMassMatrix: Array.from(this.mass.inverse),
      denseMass: this.mass.dense,
      rng: this.#rng.getState(),
    };
    if (this.iteration < this.#numWarmup) {
      const da = this.#da;
      out.warmup = {
        numWarmup: this.#numWarmup,
        adaptStepSize: this.#adaptStep,
        adaptMassMatrix: this.#adaptMass,
        dualAveraging: { t: da.t, hBar: da.hBar, x: da.x, xBar: da.xBar, mu: da.mu },
        welford: this.#welford.getState(),
        window: this.#win,
      };
    }
    return out;
  }

  #heuristic(): Evaluations<number> {
    return findReasonableStepSizeSteps(
      this.state,
      this.#work,
      this.stepSize,
      this.mass,
      this.#rng,
      this.#setup.potential,
    );
  }

  #settings(): TransitionSettings {
    return {
      stepSize: this.stepSize,
      mass: this.mass,
      rng: this.#rng,
      potential: this.#setup.potential,
      maxTreeDepth: this.#rule.kind === "nuts" ? this.#rule.maxTreeDepth : 0,
      maxDeltaEnergy: this.#maxDeltaEnergy,
    };
  }

  /** One iteration (adapting while in warmup), as sampler work; reports it. */
  *transition(): Evaluations<StepRecord> {
    if (!this.#initialized) throw new Error("MCMC: run the chain's initialize() before its transitions");
    const eps = this.stepSize;
    const s = this.#settings();
    let info: TransitionInfo;
    if (this.#rule.kind === "nuts") info = yield* nutsTransitionSteps(this.state, this.#ws, s);
    else {
      const n =
        this.#rule.numSteps ?? Math.max(1, Math.min(Math.ceil(this.#rule.trajectoryLength / eps), 65536));
      info = yield* hmcTransitionSteps(this.state, this.#work, n, s);
    }
    if (this.iteration < this.#numWarmup) yield* this.#adapt(this.iteration, info.acceptProb);
    this.iteration++;
    return { ...info, stepSize: eps, potentialEnergy: this.state.pe };
  }

  *#adapt(i: number, accept: number): Evaluations<void> {
    if (this.#adaptStep) this.stepSize = clipStepSize(Math.exp(this.#da.update(accept)));
    const w = this.#windows;
    while (this.#win < w.length - 1 && i > w[this.#win]![1]) this.#win++;
    const [, end] = w[this.#win]!;
    const middle = this.#win > 0 && this.#win < w.length - 1;
    if (this.#adaptMass && middle) {
      this.#welford.update(this.state.z);
      if (i === end) {
        this.mass = new MassMatrix(
          this.#setup.dim,
          this.mass.dense,
          this.#welford.covariance(this.#regularize),
        );
        this.#welford.reset();
        if (this.#adaptStep) {
          this.stepSize = yield* this.#heuristic();
          this.#da.restart(Math.log(10 * this.stepSize));
        }
      }
    }
    if (i === this.#numWarmup - 1 && this.#adaptStep) this.stepSize = clipStepSize(Math.exp(this.#da.xBar));
  }
}
