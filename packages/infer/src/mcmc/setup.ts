/**
 * What a kernel needs from a model or a potential: the dimension, the potential with its
 * gradient, initial positions, and how to turn a position into output sites.
 * @module
 */
import { type Key, uniformValues } from "@scribe/core";
import {
  type AsyncPotentialGradFn,
  type PotentialFn,
  type PotentialGradFn,
  tensorPotentialAsync,
} from "./potential-fn.js";

/** An output site: its name, the shape of one draw, and whether it is a deterministic site. */
export interface OutputSite {
  readonly name: string;
  readonly shape: readonly number[];
  /**
   * True for a `deterministic(name, value)` site of a model (computed from the latent
   * values of each kept draw, not sampled); absent or false for sampled sites.
   */
  readonly deterministic?: boolean;
}

/**
 * A sampling problem resolved to flat float64 parameters, on the backend that was current
 * when it was made (its tensors are computed there).
 */
export interface SamplerSetup {
  /** Number of unconstrained parameters. */
  readonly dim: number;
  /**
   * The potential energy and its gradient as a plain synchronous function: present only for
   * a potential written in plain JavaScript (`potentialFnGrad`), which has nothing on a
   * device to read back. The samplers use it when it is there (no promise per leapfrog step).
   */
  readonly potential?: PotentialGradFn;
  /**
   * The potential read with one `await` per evaluation (every setup, every backend): the
   * only way to a tensor potential, whose values are never read back synchronously.
   */
  readonly potentialAsync: AsyncPotentialGradFn;
  /** A candidate initial position (retried with fresh keys until the potential is finite). */
  initPosition(k: Key): Float64Array;
  /** Output sites, in order (for a model: its latent and deterministic sites in trace order). */
  readonly outputSites: readonly OutputSite[];
  /**
   * Values of all output sites at `n` unconstrained positions (`n × dim`, row-major), each
   * flattened and concatenated in order: latent sites constrained, deterministic sites
   * computed by running the model with those latent values substituted (NumPyro's
   * `constrain_fn(..., return_deterministic=True)`); `n × width` values, read with one
   * `await` per chunk of draws. The MCMC driver calls it once per chain on the kept draws,
   * never inside the sampler.
   */
  constrainAsync(positions: Float64Array, n: number): Promise<Float64Array>;
  /**
   * Free what `potentialAsync` and `constrainAsync` keep between calls (recorded jit programs). The
   * MCMC driver calls it when a run's chains are done; both functions still work afterwards
   * (they record again on their next call).
   */
  dispose?(): void;
}

/** Options naming the potential of a potential-based kernel. */
export interface PotentialSource {
  /** The potential energy as a tensor function of the flat float64 parameters. */
  potentialFn?: PotentialFn;
  /** Or as a plain function writing the gradient (fastest: no tensors at all). */
  potentialFnGrad?: PotentialGradFn;
  /** Number of parameters (needed when no initial parameters are given to `run`). */
  dim?: number;
  /** Half-width of the uniform box for random initial positions (default 2). */
  initRadius?: number;
}

/**
 * The setup of a user potential: one output site "params" of shape [dim], positions
 * initialized uniformly in (−radius, radius) unless `initParams` is given.
 */
export function potentialSetup(src: PotentialSource, initParams?: ArrayLike<number>): SamplerSetup {
  const plain = src.potentialFnGrad;
  if (!plain && !src.potentialFn)
    throw new Error("MCMC kernel: give a model, a potentialFn or a potentialFnGrad");
  const dim = initParams?.length ?? src.dim;
  if (dim === undefined || !(dim > 0))
    throw new Error(
      "MCMC kernel with a potential: pass initParams to run() or set `dim` in the kernel options",
    );
  if (src.dim !== undefined && initParams && initParams.length !== src.dim)
    throw new Error(`MCMC kernel: initParams has ${initParams.length} entries but dim is ${src.dim}`);
  const radius = src.initRadius ?? 2;
  const fixed = initParams ? Float64Array.from(initParams) : undefined;
  // A plain-JavaScript potential is synchronous everywhere; a tensor potential is read with
  // one `await` per evaluation on every backend (house rule: no synchronous readback).
  const potential = plain;
  const potentialAsync: AsyncPotentialGradFn = plain
    ? async (x, g) => plain(x, g)
    : tensorPotentialAsync(src.potentialFn!);
  return {
    dim,
    potential,
    potentialAsync,
    initPosition: (k) => (fixed ? Float64Array.from(fixed) : randomBox(k, dim, radius)),
    outputSites: [{ name: "params", shape: [dim] }],
    constrainAsync: async (positions, n) => positions.slice(0, n * dim),
  };
}

/**
 * `dim` uniform draws on (−radius, radius) (all zeros when radius is 0), computed on the host
 * from the key's Threefry stream (the values `random.uniform` gives in float64 on the cpu
 * backend): the same key gives the same start on every backend, with nothing to read back.
 */
export function randomBox(k: Key, dim: number, radius: number): Float64Array {
  if (!(radius >= 0 && Number.isFinite(radius)))
    throw new Error(`MCMC: initRadius must be a finite number ≥ 0, got ${radius}`);
  if (radius === 0) return new Float64Array(dim);
  return uniformValues(k, dim, -radius, radius);
}
