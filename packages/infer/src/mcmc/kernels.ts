/**
 * The HMC and NUTS kernels: options, and how they resolve a model or potential into a
 * {@link SamplerSetup} and chains.
 * @module
 */
import type { Key } from "@scribe/core";
import { ChainSampler, type ChainState, type HMCSettings, type TrajectoryRule } from "./chain.js";
import { warnObsMaskUnderMCMC } from "./obs-mask-warning.js";
import { modelSetup } from "./potential.js";
import { type PotentialSource, potentialSetup, type SamplerSetup } from "./setup.js";

/** A model function whose latent sites a kernel samples (the effect-runtime path). */
// biome-ignore lint/suspicious/noExplicitAny: models take arbitrary arguments
export type ModelFn = (...args: any[]) => unknown;

/** Options of both kernels: where the potential comes from, plus step-size and metric settings. */
export interface KernelOptions extends HMCSettings, PotentialSource {
  /** A model whose latent sites are sampled in unconstrained space. */
  model?: ModelFn;
  /**
   * On the cpu backend, compile a small model's potential and gradient into one generated
   * plain-JS function called synchronously per leapfrog step (`jit`'s straight-line form; the
   * same draws as without it). Default true; it applies only where the recorded potential is
   * replayable and small, and false replays the recorded kernels with one `await` per step.
   */
  compilePotential?: boolean;
}

/** What the MCMC driver needs from a kernel. */
export interface MCMCKernel {
  /**
   * Resolve the problem for the given model arguments (and optional initial parameters), on
   * the backend current at the call.
   */
  setup(args: unknown[], initParams?: ArrayLike<number>): SamplerSetup;
  /**
   * A fresh chain on a setup, or with `from` a chain that continues from a saved state
   * (no warmup; `k` and `numWarmup` are then unused). Run its `initialize()` work first.
   */
  createChain(setup: SamplerSetup, k: Key, numWarmup: number, from?: ChainState): ChainSampler;
  /** The settings, for display. */
  readonly options: KernelOptions;
}

/**
 * Kernel options from NumPyro's positional form `NUTS(model, opts)` or the options-object
 * form `NUTS({ model, ...opts })`; a model given both ways counts twice (an error below).
 */
function kernelOptions<O extends KernelOptions>(modelOrOptions: ModelFn | O, options?: O): O {
  if (typeof modelOrOptions !== "function") {
    if (options !== undefined)
      throw new Error(
        "MCMC kernel: pass options once, as kernel(model, options) or kernel({ model, ...options })",
      );
    return modelOrOptions;
  }
  const o = options ?? ({} as O);
  if (o.model !== undefined || o.potentialFn !== undefined || o.potentialFnGrad !== undefined) {
    const n = 1 + [o.model, o.potentialFn, o.potentialFnGrad].filter((x) => x !== undefined).length;
    throw new Error(`MCMC kernel: give exactly one of model, potentialFn or potentialFnGrad (got ${n})`);
  }
  return { ...o, model: modelOrOptions };
}

abstract class HMCKernelBase implements MCMCKernel {
  readonly options: KernelOptions;
  protected abstract readonly rule: TrajectoryRule;

  constructor(options: KernelOptions) {
    const n = [options.model, options.potentialFn, options.potentialFnGrad].filter(
      (x) => x !== undefined,
    ).length;
    if (n !== 1)
      throw new Error(`MCMC kernel: give exactly one of model, potentialFn or potentialFnGrad (got ${n})`);
    const t = options.targetAcceptProb;
    if (t !== undefined && !(t > 0 && t < 1))
      throw new Error(`targetAcceptProb must lie in (0, 1), got ${t}`);
    this.options = options;
  }

  setup(args: unknown[], initParams?: ArrayLike<number>): SamplerSetup {
    const o = this.options;
    if (o.model) {
      const s = modelSetup(o.model, args, { initRadius: o.initRadius, compilePotential: o.compilePotential });
      warnObsMaskUnderMCMC(s.outputSites);
      if (!initParams) return s;
      if (initParams.length !== s.dim)
        throw new Error(
          `MCMC: initParams has ${initParams.length} entries, the model has ${s.dim} unconstrained parameters`,
        );
      const z = Float64Array.from(initParams);
      return {
        ...s,
        // read through, not copied: the compiled potential is made when a sampler first asks
        get potential() {
          return s.potential;
        },
        initPosition: () => Float64Array.from(z),
      };
    }
    return potentialSetup(o, initParams);
  }

  createChain(setup: SamplerSetup, k: Key, numWarmup: number, from?: ChainState): ChainSampler {
    if (from) return ChainSampler.fromState(setup, this.rule, this.options, from);
    return new ChainSampler(setup, this.rule, this.options, k, numWarmup);
  }
}

/** Options of {@link NUTS}. */
export interface NUTSOptions extends KernelOptions {
  /** Most trajectory doublings per iteration (default 10). */
  maxTreeDepth?: number;
}

/**
 * The No-U-Turn Sampler: multinomial trajectory sampling with the generalized U-turn
 * criterion, dual-averaging step size and windowed mass-matrix adaptation.
 * @example
 * const kernel = new NUTS({ potentialFn: (x) => x.square().sum().mul(0.5) });
 * const mcmc = new MCMC(kernel, { numWarmup: 200, numSamples: 200 });
 * await mcmc.runWith(key(0), { initParams: new Float64Array(3) });
 * @example
 * // fragment
 * // NumPyro's positional form: NUTS(model, target_accept_prob=0.9)
 * const kernel = new NUTS(model, { targetAcceptProb: 0.9 });
 */
export class NUTS extends HMCKernelBase {
  protected readonly rule: TrajectoryRule;
  /**
   * @param modelOrOptions - a model (NumPyro's positional form), or the options with a
   *   potential or model
   * @param options - settings when the first argument is a model
   */
  constructor(modelOrOptions: ModelFn | NUTSOptions, options?: NUTSOptions) {
    const o = kernelOptions(modelOrOptions, options);
    super(o);
    const d = o.maxTreeDepth ?? 10;
    if (!(Number.isInteger(d) && d >= 1 && d <= 30))
      throw new Error(`maxTreeDepth must be an integer in [1, 30], got ${d}`);
    this.rule = { kind: "nuts", maxTreeDepth: d };
  }
}

/** Options of {@link HMC}. */
export interface HMCOptions extends KernelOptions {
  /** Fixed number of leapfrog steps per iteration (overrides `trajectoryLength`). */
  numSteps?: number;
  /** Path length `stepSize × numSteps` to keep as the step size adapts (default 2π). */
  trajectoryLength?: number;
}

/**
 * Hamiltonian Monte Carlo with a static path length and a Metropolis correction.
 * @example
 * const kernel = new HMC({ potentialFn: (x) => x.square().sum().mul(0.5), numSteps: 10 });
 * @example
 * // fragment
 * const same = new HMC(model, { numSteps: 10 }); // NumPyro's positional form HMC(model, num_steps=10)
 */
export class HMC extends HMCKernelBase {
  protected readonly rule: TrajectoryRule;
  /**
   * @param modelOrOptions - a model (NumPyro's positional form), or the options with a
   *   potential or model
   * @param options - path length and settings when the first argument is a model
   */
  constructor(modelOrOptions: ModelFn | HMCOptions, options?: HMCOptions) {
    const o = kernelOptions(modelOrOptions, options);
    super(o);
    const n = o.numSteps;
    if (n !== undefined && !(Number.isInteger(n) && n >= 1))
      throw new Error(`numSteps must be a positive integer, got ${n}`);
    this.rule = { kind: "hmc", numSteps: n, trajectoryLength: o.trajectoryLength ?? 2 * Math.PI };
  }
}
