/**
 * The MCMC driver: runs chains of a kernel (sequentially, or on worker threads in Node),
 * stores draws on the host as Float64Arrays, and reports samples, statistics and a
 * summary.
 * @module
 */
import { type Key, splitKey, type Tensor, tensor } from "@scribe/core";
import { formatSummary, type SiteDraws, type SummaryRow, summary } from "../diagnostics/summary.js";
import type { MCMCKernel } from "./kernels.js";
import { type ProgressCallback, ProgressReporter } from "./progress.js";
import { type ChainResult, EXTRA_FIELDS, type ExtraField, runChain } from "./run-chain.js";
import type { SamplerSetup } from "./setup.js";

/** Where worker threads find the kernel: a module and the export that is (or makes) it. */
export interface KernelModuleSpec {
  /** Module URL or absolute path (e.g. `new URL("./my-model.ts", import.meta.url).href`). */
  module: string;
  /** Export name: an MCMCKernel, or a function `(...factoryArgs) => MCMCKernel`. */
  exportName: string;
  /** Structured-cloneable arguments for the factory. */
  factoryArgs?: unknown[];
}

/** Options of {@link MCMC}. */
export interface MCMCOptions {
  /** Warmup (adaptation) iterations per chain. */
  numWarmup: number;
  /** Draws kept per chain. */
  numSamples: number;
  /** Chains (default 1). */
  numChains?: number;
  /** Keep every `thinning`-th post-warmup draw (default 1). */
  thinning?: number;
  /**
   * "sequential" (default) runs chains one after another; "parallel" runs them on Node
   * worker threads, which re-create the kernel from `kernelModule` (Node only).
   */
  chainMethod?: "sequential" | "parallel";
  /** Required for "parallel". */
  kernelModule?: KernelModuleSpec;
  /** Draw a progress bar on stderr when it is a terminal (default true). */
  progressBar?: boolean;
  /** Called with progress every `progressEvery` iterations. */
  onProgress?: ProgressCallback;
  /** Period of `onProgress` calls (default 1). */
  progressEvery?: number;
}

/** Arguments of {@link MCMC.runWith}. */
export interface RunOptions {
  /** Model arguments. */
  args?: unknown[];
  /** Initial unconstrained parameters (flat), used for every chain. */
  initParams?: ArrayLike<number>;
}

/**
 * Markov chain Monte Carlo with an HMC or NUTS kernel, NumPyro's `MCMC`.
 * @example
 * const mcmc = new MCMC(new NUTS({ potentialFn: (x) => x.square().sum().mul(0.5), dim: 2 }), { numWarmup: 300, numSamples: 300 });
 * await mcmc.run(key(0));
 * const { params } = mcmc.getSamples(); // Tensor [300, 2]
 */
export class MCMC {
  readonly #kernel: MCMCKernel;
  readonly #opts: Required<
    Pick<MCMCOptions, "numWarmup" | "numSamples" | "numChains" | "thinning" | "chainMethod">
  > &
    MCMCOptions;
  #setup?: SamplerSetup;
  #results?: ChainResult[];
  #constrained?: Float64Array[];

  /**
   * @param kernel - an {@link NUTS} or {@link HMC} kernel
   * @param opts - iteration counts, chains and progress reporting
   */
  constructor(kernel: MCMCKernel, opts: MCMCOptions) {
    const o = { numChains: 1, thinning: 1, chainMethod: "sequential" as const, ...opts };
    for (const [k, v, min] of [
      ["numWarmup", o.numWarmup, 0],
      ["numSamples", o.numSamples, 1],
      ["numChains", o.numChains, 1],
      ["thinning", o.thinning, 1],
    ] as const)
      if (!(Number.isInteger(v) && v >= min))
        throw new Error(`MCMC: ${k} must be an integer >= ${min}, got ${v}`);
    if (o.chainMethod === "parallel" && !o.kernelModule)
      throw new Error(
        'MCMC: chainMethod "parallel" needs kernelModule { module, exportName } so workers can re-create the kernel',
      );
    this.#kernel = kernel;
    this.#opts = o;
  }

  /** Run all chains with model arguments `args` (see {@link runWith} for initial parameters). */
  run(rngKey: Key, ...args: unknown[]): Promise<void> {
    return this.runWith(rngKey, { args });
  }

  /** Run all chains. Chain `c` uses `splitKey(rngKey, numChains)[c]`. */
  async runWith(rngKey: Key, ro: RunOptions = {}): Promise<void> {
    const o = this.#opts;
    const setup = this.#kernel.setup(ro.args ?? [], ro.initParams);
    const keys = splitKey(rngKey, o.numChains);
    const plan = { numWarmup: o.numWarmup, numSamples: o.numSamples, thinning: o.thinning };
    const total = o.numWarmup + o.numSamples * o.thinning;
    const progress = new ProgressReporter(total, o.numWarmup, o.numChains, {
      callback: o.onProgress,
      every: o.progressEvery,
      bar: o.progressBar,
    });
    let results: ChainResult[];
    if (o.chainMethod === "parallel") {
      const { runChainsParallel } = await import("./parallel-node.js");
      results = await runChainsParallel(o.kernelModule!, keys, plan, ro, (c, it, rec) =>
        progress.update(c, it, rec),
      );
    } else {
      results = keys.map((k, c) =>
        runChain(this.#kernel, setup, k, plan, (it, rec) => progress.update(c, it, rec)),
      );
    }
    this.#setup = setup;
    this.#results = results;
    this.#constrained = undefined;
  }

  #need(): [SamplerSetup, ChainResult[]] {
    if (!this.#setup || !this.#results) throw new Error("MCMC: call run() first");
    return [this.#setup, this.#results];
  }

  /** Constrained draws of each chain: `numSamples × (sum of output site sizes)`. */
  #constrainedDraws(): Float64Array[] {
    const [setup, results] = this.#need();
    if (this.#constrained) return this.#constrained;
    const n = this.#opts.numSamples;
    this.#constrained = results.map((r) => {
      let out: Float64Array | undefined;
      for (let i = 0; i < n; i++) {
        const c = setup.constrain(r.positions.subarray(i * setup.dim, (i + 1) * setup.dim));
        out ??= new Float64Array(n * c.length);
        out.set(c, i * c.length);
      }
      return out!;
    });
    return this.#constrained;
  }

  /** Per-site draws by chain as Float64Arrays (`numSamples × siteSize` each). */
  getSiteDraws(): SiteDraws[] {
    const [setup] = this.#need();
    const draws = this.#constrainedDraws();
    const n = this.#opts.numSamples;
    const sizes = setup.outputSites.map((s) => s.shape.reduce((a, b) => a * b, 1));
    const width = sizes.reduce((a, b) => a + b, 0);
    let off = 0;
    return setup.outputSites.map((s, k) => {
      const size = sizes[k]!;
      const chains = draws.map((d) => {
        const out = new Float64Array(n * size);
        for (let i = 0; i < n; i++) out.set(d.subarray(i * width + off, i * width + off + size), i * size);
        return out;
      });
      off += size;
      return { name: s.name, shape: s.shape, chains };
    });
  }

  /**
   * Posterior draws by site (constrained), float64 tensors of shape
   * `[numChains·numSamples, ...site]`, or `[numChains, numSamples, ...site]` with `groupByChain`.
   */
  getSamples(groupByChain = false): Record<string, Tensor> {
    const o = this.#opts;
    const out: Record<string, Tensor> = {};
    for (const s of this.getSiteDraws()) {
      const flat = new Float64Array(s.chains.reduce((a, c) => a + c.length, 0));
      let p = 0;
      for (const c of s.chains) {
        flat.set(c, p);
        p += c.length;
      }
      const lead = groupByChain ? [o.numChains, o.numSamples] : [o.numChains * o.numSamples];
      out[s.name] = tensor(flat, { dtype: "float64", shape: [...lead, ...s.shape] });
    }
    return out;
  }

  /**
   * Per-draw statistics (diverging as 0/1, stepSize, treeDepth, acceptProb,
   * potentialEnergy, energy, numSteps) as float64 tensors, grouped like {@link getSamples}.
   */
  getExtraFields(groupByChain = false): Record<ExtraField, Tensor> {
    const [, results] = this.#need();
    const o = this.#opts;
    const out = {} as Record<ExtraField, Tensor>;
    for (const f of EXTRA_FIELDS) {
      const flat = new Float64Array(o.numChains * o.numSamples);
      results.forEach((r, c) => {
        flat.set(r.extra[f], c * o.numSamples);
      });
      out[f] = tensor(flat, {
        dtype: "float64",
        shape: groupByChain ? [o.numChains, o.numSamples] : [flat.length],
      });
    }
    return out;
  }

  /** Per-chain results after the run: raw positions, statistics, adapted step size and mass matrix, timings. */
  get chainResults(): readonly ChainResult[] {
    return this.#need()[1];
  }

  /** Summary rows for every scalar component (see `summary` in diagnostics). */
  summary(prob = 0.89): SummaryRow[] {
    return summary(this.getSiteDraws(), prob);
  }

  /** Print the summary table and the number of divergences to the console. */
  printSummary(prob = 0.89): void {
    const divs = this.#need()[1].reduce((s, r) => s + r.extra.diverging.reduce((a, b) => a + b, 0), 0);
    console.log(`\n${formatSummary(this.summary(prob), prob)}\n\nNumber of divergences: ${divs}`);
  }
}
