/**
 * The MCMC driver: runs chains of a kernel (sequentially, or on worker threads in Node),
 * stores draws on the host as Float64Arrays, and reports samples, statistics and a
 * summary.
 * @module
 */
import {
  type Backend,
  currentBackend,
  flushChecks,
  type Key,
  loadNodeOnly,
  splitKey,
  type Tensor,
  tensor,
  withBackend,
} from "@scribe/core";
import { formatSummary, type SiteDraws, type SummaryRow, summary } from "../diagnostics/summary.js";
import { type ChainState, chainRngState, remainingWarmup } from "./chain.js";
import { yieldToEventLoop } from "./event-loop.js";
import type { MCMCKernel } from "./kernels.js";
import { type ProgressCallback, ProgressReporter } from "./progress.js";
import { keyFromPlain } from "./rng-stream.js";
import { type ChainResult, EXTRA_FIELDS, type ExtraField, runChain, throwIfAborted } from "./run-chain.js";
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
   * worker threads, which re-create the kernel from `kernelModule` (Node only), and, on the
   * cpu backend, on this thread too; a worker takes chains once it has loaded, and loaded
   * workers are kept for later runs (see `prewarmMcmcWorkers` in `@scribe/infer/node`).
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
  /**
   * Initial unconstrained parameters (flat), used for every chain. Not allowed when
   * {@link MCMC.postWarmupState} is set (the chains start from that state).
   */
  initParams?: ArrayLike<number>;
  /**
   * Stops the run between two iterations (or, for parallel chains, stops the workers); the
   * run's promise then rejects with an error naming the chain and iteration, and the
   * samples and states of earlier runs stay as they were.
   */
  signal?: AbortSignal;
}

/** Arguments of {@link MCMC.warmupWith}: {@link RunOptions} and where to stop. */
export interface WarmupOptions extends RunOptions {
  /**
   * Run only the first `stopAfter` warmup iterations (1 ≤ stopAfter ≤ numWarmup), then keep
   * the chains' states, adaptation statistics included, in {@link MCMC.postWarmupState} (a
   * checkpoint mid-warmup): a later `run` with the state's key finishes the warmup and
   * samples, bit for bit as one uninterrupted `run`.
   */
  stopAfter?: number;
}

/**
 * The state of all chains of an {@link MCMC} run (NumPyro's `last_state` /
 * `post_warmup_state`): plain JSON-able data, so a run can be checkpointed with
 * `JSON.stringify` and resumed in another process after `JSON.parse`.
 */
export interface MCMCState {
  /**
   * The key of the run that produced this state. Passing it to `run` again (with this
   * state as {@link MCMC.postWarmupState}) continues every chain's random stream exactly
   * where it stopped; any other key starts fresh streams (chain `c` from
   * `splitKey(key, numChains)[c]`), as NumPyro replaces `rng_key` in the state.
   */
  rngKey: { hi: number; lo: number };
  /** One state per chain: position, step size, inverse mass matrix, random stream. */
  chains: ChainState[];
}

/** Options of {@link MCMC.summary} and {@link MCMC.printSummary}. */
export interface SummaryOptions {
  /** Mass of the highest posterior density interval (default 0.9, NumPyro's default). */
  prob?: number;
  /** Leave deterministic sites out (default true, as NumPyro). */
  excludeDeterministic?: boolean;
}

/** The options object from either calling form (the positional one is deprecated). */
function summaryOptions(
  options: SummaryOptions | number,
  excludeDeterministic: boolean | undefined,
): Required<SummaryOptions> {
  const o = typeof options === "number" ? { prob: options, excludeDeterministic } : options;
  const prob = o.prob ?? 0.9;
  if (!(prob > 0 && prob <= 1)) throw new Error(`MCMC summary: prob must lie in (0, 1], got ${prob}`);
  return { prob, excludeDeterministic: o.excludeDeterministic ?? true };
}

const sameKey = (a: { hi: number; lo: number }, b: Key): boolean => a.hi === b.hi && a.lo === b.lo;

/**
 * Markov chain Monte Carlo with an HMC or NUTS kernel, NumPyro's `MCMC`.
 *
 * Samples hold every latent site (constrained) and every `deterministic` site of a model,
 * each with the draws first; deterministic sites are recomputed from each kept draw after
 * sampling (one model run per draw, outside the leapfrog loop), as NumPyro does.
 *
 * After `run`, {@link lastState} is the state of every chain; setting
 * `mcmc.postWarmupState = mcmc.lastState` makes the next `run` skip warmup and continue the
 * chains (NumPyro's `post_warmup_state`). With the same key
 * (`mcmc.run(mcmc.postWarmupState!.rngKey)`) the continuation is exact: two runs of `n`
 * draws give bit for bit the draws of one run of `2n`.
 * @example
 * const mcmc = new MCMC(new NUTS({ potentialFn: (x) => x.square().sum().mul(0.5), dim: 2 }), { numWarmup: 300, numSamples: 300 });
 * await mcmc.run(key(0));
 * const { params } = mcmc.getSamples(); // Tensor [300, 2]
 * mcmc.postWarmupState = mcmc.lastState;
 * await mcmc.run(mcmc.postWarmupState!.rngKey); // the next 300 draws, no warmup
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const mcmc = new MCMC(new NUTS({ model }), { numWarmup: 200, numSamples: 200 });
 * await mcmc.run(key(0), y);
 * const saved = JSON.stringify(mcmc.lastState); // e.g. writeFileSync("state.json", saved)
 * // ... later, in another process, with the same model and options:
 * const next = new MCMC(new NUTS({ model }), { numWarmup: 200, numSamples: 200 });
 * next.postWarmupState = JSON.parse(saved); // JSON.parse(readFileSync("state.json", "utf8"))
 * await next.run(next.postWarmupState!.rngKey, y); // 200 more draws, no warmup
 * next.getSamples().mu!.shape; // [200]
 */
export class MCMC {
  readonly #kernel: MCMCKernel;
  readonly #opts: Required<
    Pick<MCMCOptions, "numWarmup" | "numSamples" | "numChains" | "thinning" | "chainMethod">
  > &
    MCMCOptions;
  #setup?: SamplerSetup;
  #results?: ChainResult[];
  #lastState?: MCMCState;
  #postWarmupState?: MCMCState;
  /** The backend of the last finished run (its samples are returned as tensors there). */
  #backend?: Backend;
  /** What is running now ("run" or "warmup"), if anything. */
  #inFlight?: string;

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

  /**
   * The state of every chain after the last `run` (or `warmup`), undefined before
   * (NumPyro's `last_state`). Plain JSON-able data; see {@link MCMCState}.
   */
  get lastState(): MCMCState | undefined {
    return this.#lastState;
  }

  /**
   * The state sampling starts from (NumPyro's `post_warmup_state`). While it is set, `run`
   * skips warmup: each chain continues from its state with that state's step size and
   * inverse mass matrix, for `numSamples × thinning` iterations. `warmup` sets it; set it to
   * {@link lastState} to draw more samples, to a parsed checkpoint to resume in a new
   * process, or to undefined to warm up again on the next `run`. It must have one state per
   * chain, each with as many parameters as the model.
   */
  get postWarmupState(): MCMCState | undefined {
    return this.#postWarmupState;
  }

  set postWarmupState(state: MCMCState | undefined) {
    if (state !== undefined) {
      if (!state || typeof state !== "object" || !Array.isArray(state.chains))
        throw new Error("MCMC: postWarmupState must be an MCMCState { rngKey, chains } or undefined");
      keyFromPlain(state.rngKey, "MCMC: postWarmupState.rngKey");
      if (state.chains.length !== this.#opts.numChains)
        throw new Error(
          `MCMC: postWarmupState has ${state.chains.length} chain states, this MCMC runs ${this.#opts.numChains} chains`,
        );
    }
    this.#postWarmupState = state;
  }

  /**
   * Run all chains with model arguments `args` (see {@link runWith} for initial parameters,
   * and {@link postWarmupState} to continue earlier chains). Await it: the work starts on a
   * later turn of the event loop, and samples can be read only once it has resolved.
   */
  run(rngKey: Key, ...args: unknown[]): Promise<void> {
    return this.runWith(rngKey, { args });
  }

  /**
   * Run all chains. Chain `c` uses `splitKey(rngKey, numChains)[c]`. When
   * {@link postWarmupState} is set, warmup is skipped and the chains continue from it; their
   * random streams continue too if `rngKey` is the state's `rngKey`, and start afresh from
   * `rngKey` otherwise. Afterwards {@link lastState} holds the chains' final states.
   *
   * The run uses the backend current at this call (e.g. inside
   * `withBackend(webgpu, () => mcmc.run(k))`), whatever becomes current while it runs: the
   * tree logic, adaptation and draws stay on the host in float64, the potential and its
   * gradient are computed there, read back synchronously on the cpu backend and with one
   * `await` of one small buffer per leapfrog step elsewhere.
   */
  async runWith(rngKey: Key, ro: RunOptions = {}): Promise<void> {
    await this.#exclusive("run", async () => {
      this.#results = await this.#runChains(rngKey, ro, false);
    });
  }

  /**
   * Run `work` as the one job in flight: a second run while one is in flight is an error,
   * and so is reading samples then (a forgotten `await`).
   */
  async #exclusive(what: string, work: () => Promise<void>): Promise<void> {
    if (this.#inFlight)
      throw new Error(
        `MCMC: ${what}() called while ${this.#inFlight}() is still in flight; await the first one before starting another`,
      );
    this.#inFlight = what;
    try {
      await work();
    } finally {
      this.#inFlight = undefined;
    }
  }

  /**
   * Run only the warmup (adaptation) phase and keep no draws (NumPyro's `warmup`); then
   * {@link postWarmupState} is set, and a later `run` skips warmup and starts sampling from
   * it. `run(rngKey)` with the same key afterwards gives exactly the draws a single `run`
   * with warmup would have given.
   */
  warmup(rngKey: Key, ...args: unknown[]): Promise<void> {
    return this.warmupWith(rngKey, { args });
  }

  /**
   * {@link warmup} with run options (model arguments, initial parameters, abort signal) and
   * optionally `stopAfter` iterations only (a checkpoint mid-warmup).
   * @example
   * // fragment
   * await mcmc.warmupWith(key(0), { args: [y], stopAfter: 100 }); // of numWarmup 200
   * const saved = JSON.stringify(mcmc.postWarmupState); // adaptation statistics included
   * mcmc.postWarmupState = JSON.parse(saved);
   * await mcmc.run(mcmc.postWarmupState!.rngKey, y); // warmup 100..199, then the samples
   */
  async warmupWith(rngKey: Key, ro: WarmupOptions = {}): Promise<void> {
    const stop = ro.stopAfter;
    if (stop !== undefined && !(Number.isInteger(stop) && stop >= 1 && stop <= this.#opts.numWarmup))
      throw new Error(
        `MCMC: stopAfter must be an integer in [1, numWarmup = ${this.#opts.numWarmup}], got ${stop}`,
      );
    await this.#exclusive("warmup", async () => {
      const before = this.#postWarmupState;
      this.#postWarmupState = undefined;
      try {
        await this.#runChains(rngKey, ro, true);
      } catch (e) {
        this.#postWarmupState = before;
        throw e;
      }
      this.#results = undefined;
      this.#setup = undefined;
      this.#postWarmupState = this.#lastState;
    });
  }

  async #runChains(rngKey: Key, ro: WarmupOptions, warmupOnly: boolean): Promise<ChainResult[]> {
    // The backend is fixed at the call; the work starts on a later turn of the event loop, so
    // run() returns at once and a forgotten `await` meets the in-flight error, not old samples.
    const backend = currentBackend();
    await yieldToEventLoop();
    throwIfAborted(ro.signal, "before it started");
    const o = this.#opts;
    const from = this.#postWarmupState;
    if (from && ro.initParams)
      throw new Error(
        "MCMC: initParams cannot be combined with postWarmupState (the chains continue from that state); " +
          "set postWarmupState = undefined to start afresh",
      );
    const setup = withBackend(backend, () => this.#kernel.setup(ro.args ?? [], ro.initParams));
    // The model's argument checks from tracing it (deferred inside a model) surface here, naming
    // the site, before any sampling: the same error on every backend.
    try {
      await flushChecks();
    } catch (e) {
      setup.dispose?.();
      throw e;
    }
    const keys = splitKey(rngKey, o.numChains);
    let starts: ChainState[] | undefined;
    if (from) {
      if (from.chains.length !== o.numChains)
        throw new Error(
          `MCMC: postWarmupState has ${from.chains.length} chain states, this MCMC runs ${o.numChains} chains`,
        );
      const same = sameKey(keyFromPlain(from.rngKey, "MCMC: postWarmupState.rngKey"), rngKey);
      starts = from.chains.map((s, c) => (same ? s : { ...s, rng: chainRngState(keys[c]!) }));
    }
    // A state taken mid-warmup (warmupWith's stopAfter) finishes its warmup first.
    const left = starts ? new Set(starts.map(remainingWarmup)) : null;
    if (left && left.size > 1)
      throw new Error(`MCMC: postWarmupState's chains stopped at different warmup iterations`);
    const numWarmup = left ? [...left][0]! : o.numWarmup;
    const plan = {
      numWarmup,
      numSamples: warmupOnly ? 0 : o.numSamples,
      thinning: o.thinning,
      stopAfter: warmupOnly ? ro.stopAfter : undefined,
    };
    const total = Math.min(
      plan.numWarmup + plan.numSamples * plan.thinning,
      plan.stopAfter ?? Number.POSITIVE_INFINITY,
    );
    const progress = new ProgressReporter(total, numWarmup, o.numChains, {
      callback: o.onProgress,
      every: o.progressEvery,
      bar: o.progressBar,
    });
    let results: ChainResult[];
    if (o.chainMethod === "parallel") {
      const { runChainsParallel } = await loadNodeOnly(
        'MCMC chainMethod "parallel" (worker threads)',
        () => import("./parallel-node.js"),
        "runChainsParallel",
        'in the browser, use chainMethod "sequential"',
      );
      // On the cpu backend this thread runs a chain too (with its kernel and setup), so the
      // chains match the sequential run's whichever thread runs them.
      const runHere =
        backend.name === "cpu"
          ? (c: number, signal: AbortSignal) =>
              runChain(
                this.#kernel,
                setup,
                keys[c]!,
                plan,
                (it, rec) => progress.update(c, it, rec),
                starts?.[c],
                { signal, label: `chain ${c}` },
              )
          : undefined;
      try {
        results = await runChainsParallel(
          o.kernelModule!,
          keys,
          plan,
          ro,
          (c, it, rec) => progress.update(c, it, rec),
          starts,
          ro.signal,
          runHere,
        );
      } finally {
        setup.dispose?.();
      }
    } else {
      results = [];
      try {
        for (let c = 0; c < keys.length; c++)
          results.push(
            await runChain(
              this.#kernel,
              setup,
              keys[c]!,
              plan,
              (it, rec) => progress.update(c, it, rec),
              starts?.[c],
              { signal: ro.signal, label: `chain ${c}` },
            ),
          );
      } finally {
        // The draws are post-processed: free the recorded potential (only the site list is kept).
        setup.dispose?.();
      }
    }
    this.#setup = setup;
    this.#backend = backend;
    this.#lastState = { rngKey: { hi: rngKey.hi, lo: rngKey.lo }, chains: results.map((r) => r.lastState) };
    return results;
  }

  #need(): [SamplerSetup, ChainResult[]] {
    if (this.#inFlight)
      throw new Error(
        `MCMC: ${this.#inFlight}() is still in flight; it returns a promise: \`await mcmc.${this.#inFlight}(...)\` before reading samples or statistics`,
      );
    if (!this.#setup || !this.#results) throw new Error("MCMC: no samples yet: call (and await) run() first");
    return [this.#setup, this.#results];
  }

  /** Host draws as a tensor on the run's backend: float64 where it has it, else float32. */
  #toTensor(values: Float64Array, shape: number[]): Tensor {
    const b = this.#backend!;
    return withBackend(b, () =>
      b.supportsFloat64
        ? tensor(values, { dtype: "float64", shape })
        : tensor(Float32Array.from(values), { dtype: "float32", shape }),
    );
  }

  /**
   * Per-site draws by chain as Float64Arrays (`numSamples × siteSize` each): latent sites
   * (constrained) and deterministic sites (`deterministic: true` in `setup.outputSites`).
   */
  getSiteDraws(): SiteDraws[] {
    const [setup, results] = this.#need();
    const n = this.#opts.numSamples;
    const sizes = setup.outputSites.map((s) => s.shape.reduce((a, b) => a * b, 1));
    const width = sizes.reduce((a, b) => a + b, 0);
    let off = 0;
    return setup.outputSites.map((s, k) => {
      const size = sizes[k]!;
      const chains = results.map(({ siteValues: d }) => {
        const out = new Float64Array(n * size);
        for (let i = 0; i < n; i++) out.set(d.subarray(i * width + off, i * width + off + size), i * size);
        return out;
      });
      off += size;
      return { name: s.name, shape: s.shape, chains };
    });
  }

  /**
   * Posterior draws by site, tensors of shape `[numChains·numSamples, ...site]`, or
   * `[numChains, numSamples, ...site]` with `groupByChain`: every latent site (constrained)
   * and every deterministic site of the model, in the model's order (potential kernels:
   * one site `params`). They live on the run's backend, float64 there if it has it (cpu),
   * float32 otherwise (WebGPU); {@link getSiteDraws} gives the float64 host values.
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
      out[s.name] = this.#toTensor(flat, [...lead, ...s.shape]);
    }
    return out;
  }

  /**
   * Per-draw statistics (diverging as 0/1, stepSize, treeDepth, acceptProb,
   * potentialEnergy, energy, numSteps) as tensors on the run's backend (float64 where it has
   * it), grouped like {@link getSamples}.
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
      out[f] = this.#toTensor(flat, groupByChain ? [o.numChains, o.numSamples] : [flat.length]);
    }
    return out;
  }

  /**
   * Per-chain results after the run: raw positions, output-site values, statistics, adapted
   * step size and mass matrix, timings, final state.
   */
  get chainResults(): readonly ChainResult[] {
    return this.#need()[1];
  }

  /**
   * Summary rows for every scalar component (see `summary` in diagnostics): mean, sd, the
   * `prob` HPDI (default 0.9, as NumPyro), n_eff and r_hat. Deterministic sites are left out
   * unless `excludeDeterministic` is false (NumPyro's default true).
   * @param options - `{ prob = 0.9, excludeDeterministic = true }`; the positional form
   *   `summary(prob, excludeDeterministic)` still works but is deprecated
   */
  summary(options?: SummaryOptions): SummaryRow[];
  /** @deprecated positional flags: use `summary({ prob, excludeDeterministic })` */
  summary(prob: number, excludeDeterministic?: boolean): SummaryRow[];
  summary(options: SummaryOptions | number = {}, excludeDeterministic?: boolean): SummaryRow[] {
    const o = summaryOptions(options, excludeDeterministic);
    const [setup] = this.#need();
    const det = new Set(setup.outputSites.filter((s) => s.deterministic).map((s) => s.name));
    const draws = this.getSiteDraws().filter((d) => !(o.excludeDeterministic && det.has(d.name)));
    return summary(draws, o.prob);
  }

  /**
   * Print the summary table and the number of divergences to the console (NumPyro's
   * `print_summary(prob=0.9, exclude_deterministic=True)`).
   * @param options - `{ prob = 0.9, excludeDeterministic = true }`; the positional form
   *   `printSummary(prob, excludeDeterministic)` still works but is deprecated
   * @example
   * // fragment
   * mcmc.printSummary(); // 5 % and 95 % HPDI bounds
   * mcmc.printSummary({ prob: 0.5, excludeDeterministic: false });
   */
  printSummary(options?: SummaryOptions): void;
  /** @deprecated positional flags: use `printSummary({ prob, excludeDeterministic })` */
  printSummary(prob: number, excludeDeterministic?: boolean): void;
  printSummary(options: SummaryOptions | number = {}, excludeDeterministic?: boolean): void {
    const o = summaryOptions(options, excludeDeterministic);
    const divs = this.#need()[1].reduce((s, r) => s + r.extra.diverging.reduce((a, b) => a + b, 0), 0);
    console.log(`\n${formatSummary(this.summary(o), o.prob)}\n\nNumber of divergences: ${divs}`);
  }
}
