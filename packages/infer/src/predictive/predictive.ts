/**
 * Predictive: draws from the prior predictive (no samples), from the posterior predictive
 * given posterior samples (e.g. from MCMC), or given a guide and its params (after SVI).
 * One model run per draw, in chunks of `batchSize` draws: each chunk's values are read
 * back to host arrays and its tensors freed, so memory stays bounded by the output plus
 * one chunk however many draws are asked for.
 * @module
 */
import {
  type Key,
  type Message,
  key as makeKey,
  seed,
  splitKey,
  substitute,
  type Tensor,
  type Trace,
  trace,
} from "@scribe/core";
import { collectDraws, drawAt } from "../util/draws.js";

/** A guide given as a function or as an object with `call` (the autoguides). */
export type PredictiveGuide<A extends unknown[]> = ((...args: A) => unknown) | { call(...args: A): unknown };

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
  /** Draws per chunk between readbacks (default 100). */
  batchSize?: number;
  /**
   * Ignore the values of deterministic sites in `posteriorSamples` (default true, as NumPyro):
   * the model recomputes them from the substituted latent values, so they follow new data
   * (`mcmc.getSamples()` holds deterministic sites). False substitutes them as given.
   */
  excludeDeterministic?: boolean;
}

/**
 * Predictive distribution of a model.
 * @example
 * const model = (y: Tensor | null) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", 5, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const prior = new Predictive(model, { numSamples: 100 });
 * prior.call(key(1), null).y!.shape; // [100, 5]
 * const guide = new AutoNormal(model);
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const { params } = new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
 * const post = new Predictive(model, { guide, params, numSamples: 200 });
 * post.call(key(2), null).y!.shape; // [200, 5]: draws of new data around mu ≈ 1.1
 */
export class Predictive<A extends unknown[]> {
  readonly numSamples: number;
  readonly batchSize: number;
  readonly #guide: ((...args: A) => unknown) | null;

  constructor(
    readonly model: (...args: A) => unknown,
    readonly opts: PredictiveOptions<A> = {},
  ) {
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

  /** The trace of draw `i` (with its key), and the names the samples/guide fixed. */
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
    if (this.#guide) {
      const gt = trace(seed(substitute(this.#guide, params), kGuide!)).getTrace(...args);
      for (const s of gt.values())
        if ((s.type === "sample" && !s.isObserved) || s.type === "plate") {
          values.set(s.name as string, s.value as Tensor);
          if (s.type === "sample") given.add(s.name);
        }
    }
    const keepDeterministic = this.opts.excludeDeterministic === false;
    const pick = (msg: Message) =>
      msg.type === "param"
        ? (params as Record<string, Tensor>)[msg.name]
        : msg.type === "deterministic" && !keepDeterministic
          ? undefined
          : values.get(msg.name as string);
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

  /** Draw `numSamples` times; returns site → tensor with the draw index first. */
  call(rngKey: Key | number, ...args: A): Record<string, Tensor> {
    const k = typeof rngKey === "number" ? makeKey(rngKey) : rngKey;
    const n = this.numSamples;
    const keys = n === 1 ? [k] : splitKey(k, n);
    let sites: string[] | null = this.opts.returnSites ? [...this.opts.returnSites] : null;
    return collectDraws(
      n,
      this.batchSize,
      (i) => {
        const { tr, given } = this.#draw(keys[i]!, i, args);
        sites ??= this.#defaultSites(tr, given);
        const out: Record<string, Tensor> = {};
        for (const name of sites) {
          const s = tr.get(name);
          const v = s && "value" in s ? (s.value as Tensor | null) : null;
          if (!v)
            throw new Error(
              `Predictive: return site '${name}' is not in the model's trace (or has no value)`,
            );
          out[name] = v;
        }
        return out;
      },
      "Predictive",
    );
  }
}
