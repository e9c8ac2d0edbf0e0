/**
 * Predictive: draws from the prior predictive (no samples), from the posterior predictive
 * given posterior samples (e.g. from MCMC), or given a guide and its params (after SVI).
 * One model run per draw, in chunks of `batchSize` draws: each chunk's values are stacked
 * on the device and its model runs freed, so memory stays bounded by the output plus one
 * chunk however many draws are asked for; nothing is read back synchronously, so the same
 * code runs on the cpu and on WebGPU.
 * @module
 */
import {
  type CondIndepStackFrame,
  currentBackend,
  dispose,
  flushChecks,
  flushChecksSync,
  type Key,
  type Message,
  key as makeKey,
  seed,
  splitKey,
  substitute,
  Tensor,
  type Trace,
  trace,
  withBackend,
} from "@scribe/core";
import { EventLoopPacer, yieldToEventLoop } from "../mcmc/event-loop.js";
import { drawAt } from "../util/draws.js";
import { DrawChunks } from "./draw-chunks.js";

/** A guide given as a function or as an object with `call` (the autoguides). */
export type PredictiveGuide<A extends unknown[]> = ((...args: A) => unknown) | { call(...args: A): unknown };

/** A plate's full size and subsample size. */
interface PlateSize {
  readonly size: number;
  readonly subsampleSize: number;
}

/** Posterior draws by site name, the draw index first. */
export type PosteriorSamples = Readonly<Record<string, Tensor>>;

const OPTION_KEYS: ReadonlySet<string> = new Set([
  "posteriorSamples",
  "guide",
  "params",
  "numSamples",
  "returnSites",
  "batchSize",
  "excludeDeterministic",
]);

/**
 * Whether Predictive's second argument is NumPyro's positional `posterior_samples` (a
 * record of tensors, none named like an option) rather than the options object.
 */
function isPosteriorSamples(x: object): x is PosteriorSamples {
  const entries = Object.entries(x);
  return entries.length > 0 && entries.every(([k, v]) => v instanceof Tensor && !OPTION_KEYS.has(k));
}

/** Options of {@link Predictive}. */
export interface PredictiveOptions<A extends unknown[]> {
  /** Posterior draws by site name, the draw index first (e.g. `mcmc.getSamples()`). */
  posteriorSamples?: Readonly<Record<string, Tensor>>;
  /** A guide whose draws (under `params`) replace the model's latent sites. */
  guide?: PredictiveGuide<A>;
  /** Constrained params for the guide and the model (e.g. `svi.getParams(state)`). */
  params?: Readonly<Record<string, Tensor>>;
  /** Number of draws (default: the posterior samples' leading size; required otherwise). */
  numSamples?: number;
  /** Sites to return (default: sample sites not given by the samples/guide, and deterministic sites). */
  returnSites?: readonly string[];
  /** Draws per chunk: model runs alive at once before their values are stacked (default 100). */
  batchSize?: number;
  /**
   * Ignore the values of deterministic sites in `posteriorSamples` (default true, as NumPyro):
   * the model recomputes them from the substituted latent values, so they follow new data
   * (`mcmc.getSamples()` holds deterministic sites). False substitutes them as given.
   */
  excludeDeterministic?: boolean;
}

/**
 * Predictive distribution of a model. `call` returns the draws as tensors on the current
 * backend without reading anything back; `await run(...)` does the same as a promise that
 * resolves once the values are computed (the form to use on WebGPU).
 * @example
 * const model = (y: Tensor | null) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", 5, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const prior = new Predictive(model, { numSamples: 100 });
 * prior.call(key(1), null).y!.shape; // [100, 5]
 * const guide = new AutoNormal(model);
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
 * const post = new Predictive(model, { guide, params, numSamples: 200 });
 * post.call(key(2), null).y!.shape; // [200, 5]: draws of new data around mu ≈ 1.1
 * @example
 * // fragment
 * // NumPyro's positional form Predictive(model, posterior_samples)
 * const fromMcmc = new Predictive(model, mcmc.getSamples());
 */
export class Predictive<A extends unknown[]> {
  readonly numSamples: number;
  readonly batchSize: number;
  /** The options in force (with `posteriorSamples` when given positionally). */
  readonly opts: PredictiveOptions<A>;
  readonly #guide: ((...args: A) => unknown) | null;

  /**
   * @param model - the model
   * @param samplesOrOptions - the options, or (NumPyro's positional form
   *   `Predictive(model, posterior_samples)`) the posterior samples
   * @param options - further options when the second argument is the posterior samples
   */
  constructor(
    readonly model: (...args: A) => unknown,
    samplesOrOptions: PredictiveOptions<A> | PosteriorSamples = {},
    options: Omit<PredictiveOptions<A>, "posteriorSamples"> = {},
  ) {
    let opts: PredictiveOptions<A>;
    if (isPosteriorSamples(samplesOrOptions)) {
      if ("posteriorSamples" in options)
        throw new Error("Predictive: posteriorSamples given twice (positionally and in the options)");
      opts = { ...options, posteriorSamples: samplesOrOptions };
    } else {
      opts = samplesOrOptions as PredictiveOptions<A>;
    }
    this.opts = opts;
    const ps = opts.posteriorSamples;
    if (ps && opts.guide) throw new Error("Predictive: pass posteriorSamples or a guide, not both");
    const g = opts.guide;
    this.#guide = g === undefined ? null : typeof g === "function" ? g : (...args: A) => g.call(...args);
    let n = opts.numSamples;
    if (ps) {
      const sizes = new Set(Object.values(ps).map((t) => t.shape[0]));
      if (sizes.size > 1)
        throw new Error(
          `Predictive: posteriorSamples have different leading sizes: ${[...sizes].join(", ")}`,
        );
      const m = [...sizes][0];
      if (m !== undefined) {
        if (n !== undefined && n !== m)
          throw new Error(
            `Predictive: numSamples ${n} differs from the posterior samples' leading size ${m}`,
          );
        n = m;
      }
    }
    if (n === undefined || !Number.isInteger(n) || n < 1)
      throw new Error(`Predictive: numSamples must be a positive integer (got ${n})`);
    this.numSamples = n;
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 100));
  }

  /**
   * The trace of draw `i` (with its key), and the names the samples/guide fixed. A guide's
   * draw of a site inside a plate whose size in the model differs from its size in the guide
   * (predicting at a new data size) is not substituted: as in NumPyro, global latents come
   * from the guide and such local sites are drawn afresh from the model at its size; plate
   * indices are shared only where the sizes agree.
   */
  #draw(k: Key, i: number, args: A): { tr: Trace; given: Set<string> } {
    const [kGuide, kModel] = splitKey(k, 2);
    const params = this.opts.params ?? {};
    const given = new Set<string>();
    const values = new Map<string, Tensor>();
    if (this.opts.posteriorSamples)
      for (const name of Object.keys(this.opts.posteriorSamples)) {
        given.add(name);
      }
    if (this.opts.posteriorSamples)
      for (const [name, t] of Object.entries(drawAt(this.opts.posteriorSamples, i))) values.set(name, t);
    const guidePlates = new Map<string, PlateSize>();
    const guideSites = new Map<string, readonly CondIndepStackFrame[]>();
    if (this.#guide) {
      const gt = trace(seed(substitute(this.#guide, params), kGuide!)).getTrace(...args);
      for (const s of gt.values())
        if (s.type === "plate") {
          values.set(s.name, s.value as Tensor);
          guidePlates.set(s.name, { size: s.args[0], subsampleSize: s.args[1] });
        } else if (s.type === "sample" && !s.isObserved) {
          values.set(s.name, s.value as Tensor);
          guideSites.set(s.name, s.condIndepStack);
        }
    }
    const modelPlates = new Map<string, PlateSize>();
    const samePlate = (name: string): boolean => {
      const g = guidePlates.get(name);
      const m = modelPlates.get(name);
      return !g || !m || (g.size === m.size && g.subsampleSize === m.subsampleSize);
    };
    const keepDeterministic = this.opts.excludeDeterministic === false;
    const pick = (msg: Message): Tensor | undefined => {
      if (msg.type === "param") return (params as Record<string, Tensor>)[msg.name];
      if (msg.type === "deterministic" && !keepDeterministic) return undefined;
      if (msg.type === "plate") {
        modelPlates.set(msg.name, { size: msg.args[0], subsampleSize: msg.args[1] });
        return samePlate(msg.name) ? values.get(msg.name) : undefined;
      }
      if (msg.type !== "sample" && msg.type !== "deterministic") return undefined;
      const frames = guideSites.get(msg.name);
      if (frames) {
        if (!frames.every((f) => samePlate(f.name)) || !msg.condIndepStack.every((f) => samePlate(f.name)))
          return undefined;
        given.add(msg.name);
      }
      return values.get(msg.name);
    };
    const tr = trace(seed(substitute(this.model, pick), kModel!)).getTrace(...args);
    return { tr, given };
  }

  #defaultSites(tr: Trace, given: Set<string>): string[] {
    const out: string[] = [];
    for (const s of tr.values()) {
      if (s.type === "sample" && !given.has(s.name)) out.push(s.name);
      else if (s.type === "deterministic") out.push(s.name);
    }
    return out;
  }

  /** The values of the return sites in draw `i`. */
  #siteValues(
    keys: readonly Key[],
    i: number,
    args: A,
    sites: { names: string[] | null },
  ): Record<string, Tensor> {
    const { tr, given } = this.#draw(keys[i]!, i, args);
    sites.names ??= this.#defaultSites(tr, given);
    const out: Record<string, Tensor> = {};
    for (const name of sites.names) {
      const s = tr.get(name);
      const v = s && "value" in s ? (s.value as Tensor | null) : null;
      if (!v)
        throw new Error(`Predictive: return site '${name}' is not in the model's trace (or has no value)`);
      out[name] = v;
    }
    return out;
  }

  /** The draws' keys, the site list to fill in, and the collector. */
  #start(rngKey: Key | number) {
    const k = typeof rngKey === "number" ? makeKey(rngKey) : rngKey;
    const n = this.numSamples;
    const keys = n === 1 ? [k] : splitKey(k, n);
    const sites = { names: this.opts.returnSites ? [...this.opts.returnSites] : null };
    return { keys, sites, chunks: new DrawChunks(n, "Predictive") };
  }

  /**
   * Draw `numSamples` times; returns site → tensor with the draw index first (NumPyro's
   * `predictive(rng_key, *args)`). Nothing is read back: the tensors live on the current
   * backend (read them with `await t.data()` on WebGPU), built chunk by chunk so memory
   * stays bounded by the output plus one chunk of model runs. The model's argument checks
   * are evaluated after each chunk on the cpu (an invalid parameter throws here, naming its
   * site); on WebGPU they wait for the next readback, holding what they check until then,
   * so prefer {@link run} there.
   */
  call(rngKey: Key | number, ...args: A): Record<string, Tensor> {
    const { keys, sites, chunks } = this.#start(rngKey);
    for (let start = 0; start < this.numSamples; start += this.batchSize) {
      const end = Math.min(this.numSamples, start + this.batchSize);
      chunks.addChunk(start, end, (i) => this.#siteValues(keys, i, args, sites));
      flushChecksSync();
    }
    return chunks.finish();
  }

  /**
   * {@link call} as a promise that really awaits its work, on the backend current at this
   * call: each chunk's argument checks are awaited (an invalid parameter rejects, naming its
   * site), the event loop gets a turn between chunks, and the result is read once before it
   * resolves, so the values are computed by then.
   * @example
   * const model = () => {
   *   const mu = sample("mu", new Normal(0, 1));
   *   plate("N", 3, () => sample("y", new Normal(mu, 1)));
   * };
   * const out = await new Predictive(model, { numSamples: 50 }).run(key(0));
   * out.y!.shape; // [50, 3]
   */
  async run(rngKey: Key | number, ...args: A): Promise<Record<string, Tensor>> {
    const backend = currentBackend();
    const { keys, sites, chunks } = this.#start(rngKey);
    const pacer = new EventLoopPacer();
    await yieldToEventLoop();
    for (let start = 0; start < this.numSamples; start += this.batchSize) {
      const end = Math.min(this.numSamples, start + this.batchSize);
      withBackend(backend, () => chunks.addChunk(start, end, (i) => this.#siteValues(keys, i, args, sites)));
      await flushChecks();
      if (pacer.due()) await pacer.pause();
    }
    const out = withBackend(backend, () => chunks.finish());
    try {
      await Promise.all(Object.values(out).map((t) => t.data()));
    } catch (e) {
      dispose(out);
      throw e;
    }
    return out;
  }
}
