/**
 * Initialization strategies for autoguides: a function of a latent sample site (seen
 * during the prototype run) returning its initial constrained value, or null.
 * @module
 */
import {
  broadcastTo,
  fromTypedArray,
  isfinite,
  type Key,
  key as makeKey,
  prngKey,
  random,
  type SampleMessage,
  scope,
  seed,
  splitKey,
  substitute,
  type Tensor,
  trace,
  valueAndGrad,
  zeros,
} from "@scribe/core";
import { bijectTo, type Constraint } from "@scribe/distributions";
import { potentialEnergy as potentialOf } from "../util/potential.js";

/** Returns the initial (constrained) value of a latent site, or null to leave it alone. */
export type InitStrategy = (site: SampleMessage) => Tensor | null;

function siteShape(site: SampleMessage): number[] {
  return [...site.kwargs.sampleShape, ...site.fn.batchShape, ...site.fn.eventShape];
}

function supportOf(site: SampleMessage): Constraint {
  const s = site.fn.support;
  if (!s) throw new Error(`autoguide: site '${site.name}': its distribution declares no support`);
  return s as Constraint;
}

/**
 * Uniform on (−radius, radius) in the unconstrained space, mapped to the support
 * (NumPyro's default, `init_to_uniform`).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoNormal(model, { initLocFn: initToUniform(0.5) });
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
 * guide.median(svi.getParams(svi.init(key(0), [y]))); // mu in (−0.5, 0.5), sigma in (e^−0.5, e^0.5)
 */
export function initToUniform(radius = 2): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const t = bijectTo(supportOf(site));
    const k = prngKey() ?? makeKey(0);
    const u = random.uniform(k, t.inverseShape(siteShape(site)), -radius, radius);
    return t.forward(u);
  };
}

/** Zero in the unconstrained space (e.g. 1 for positive sites, 0.5 for unit-interval ones). */
export function initToFeasible(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const t = bijectTo(supportOf(site));
    return t.forward(zeros(t.inverseShape(siteShape(site))));
  };
}

/** The given values by site name; other sites use `fallback` (default uniform). */
export function initToValue(
  values: Readonly<Record<string, Tensor>>,
  fallback: InitStrategy = initToUniform(),
): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    return Object.hasOwn(values, site.name) ? values[site.name]! : fallback(site);
  };
}

function fullShape(site: SampleMessage, v: Tensor): Tensor {
  const shape = siteShape(site);
  if (v.shape.length === shape.length && v.shape.every((d, i) => d === shape[i])) return v;
  return broadcastTo(v, shape).add(0);
}

function drawFrom(site: SampleMessage, k: Key, sampleShape: number[]): Tensor {
  const fn = site.fn;
  return fn.sample(k, [...sampleShape, ...site.kwargs.sampleShape]);
}

/**
 * A draw from the site's prior (NumPyro's `init_to_sample`).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoNormal(model, { initLocFn: initToSample() });
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
 * guide.median(svi.getParams(svi.init(key(0), [y]))); // a draw of (mu, sigma) from the prior
 */
export function initToSample(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    return drawFrom(site, prngKey() ?? makeKey(0), []);
  };
}

/** Elementwise median along axis 0 of host data [n, m]. */
function medianRows(data: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(m);
  const col = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) col[i] = data[i * m + j]!;
    col.sort();
    out[j] = n % 2 ? col[(n - 1) >> 1]! : 0.5 * (col[n / 2 - 1]! + col[n / 2]!);
  }
  return out;
}

/**
 * The elementwise median of `numSamples` prior draws (NumPyro's `init_to_median`, default
 * 15 draws); falls back to `initToUniform` when the site cannot be sampled.
 */
export function initToMedian(numSamples = 15): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    try {
      const draws = drawFrom(site, prngKey() ?? makeKey(0), [numSamples]);
      const m = draws.size / numSamples;
      const med = medianRows(draws.astype("float64").dataSync() as ArrayLike<number>, numSamples, m);
      const dt = draws.dtype === "float64" ? med : Float32Array.from(med);
      return fromTypedArray(dt, draws.shape.slice(1));
    } catch {
      return initToUniform()(site);
    }
  };
}

/**
 * The prior mean (NumPyro's `init_to_mean`); falls back to the median when the mean is not
 * finite or not defined (e.g. Cauchy).
 */
export function initToMean(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const fn = site.fn as unknown as { mean?: Tensor };
    try {
      const m = fn.mean;
      if (m && isfinite(m).astype("float32").min().item() === 1) return fullShape(site, m);
    } catch {
      // no mean: use the median
    }
    return initToMedian()(site);
  };
}

/** Result of {@link findValidInitialParams}. */
export interface ValidInit {
  /** Unconstrained values of the latent sites. */
  unconstrained: Record<string, Tensor>;
  /** Their constrained values. */
  constrained: Record<string, Tensor>;
  /** The potential energy there. */
  potential: number;
  /** Attempts used (1 = the first try worked). */
  attempts: number;
}

/**
 * Initial latent values by `strategy`, retried with fresh keys (up to `maxTries`, default
 * 100) until the potential energy and its gradient are finite (NumPyro's
 * `find_valid_initial_params`). Throws naming the last non-finite sites otherwise.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const { constrained } = findValidInitialParams(model, [y], initToMedian());
 * constrained; // { mu, sigma }: each the median of 15 prior draws (with a finite potential there)
 */
export function findValidInitialParams<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  strategy: InitStrategy = initToUniform(),
  opts: { rngKey?: Key | number; maxTries?: number } = {},
): ValidInit {
  const k0 =
    opts.rngKey === undefined
      ? makeKey(0)
      : typeof opts.rngKey === "number"
        ? makeKey(opts.rngKey)
        : opts.rngKey;
  const tries = opts.maxTries ?? 100;
  const keys = splitKey(k0, tries);
  let why = "";
  for (let t = 0; t < tries; t++) {
    let res: { us: Record<string, Tensor>; xs: Record<string, Tensor>; v: number; bad: string[] };
    try {
      res = scope(() => {
        const initFn = (msg: { type: string }) =>
          msg.type === "sample" ? strategy(msg as SampleMessage) : null;
        const tr = trace(seed(substitute(model, initFn), keys[t]!)).getTrace(...args);
        const us: Record<string, Tensor> = {};
        const xs: Record<string, Tensor> = {};
        for (const s of tr.values()) {
          if (s.type !== "sample" || s.isObserved || s.value === null) continue;
          const tf = bijectTo(supportOf(s));
          xs[s.name] = s.value;
          us[s.name] = tf.inverse(s.value);
        }
        const [u, g] = valueAndGrad((p: Record<string, Tensor>) => potentialOf(model, args, p, keys[t]!))(us);
        const v = u.item();
        const bad = Object.entries(g)
          .filter(([, gt]) => isfinite(gt).astype("float32").min().item() !== 1)
          .map(([n]) => n);
        return { us, xs, v, bad };
      });
    } catch (e) {
      why = (e as Error).message;
      continue;
    }
    if (Number.isFinite(res.v) && res.bad.length === 0)
      return { unconstrained: res.us, constrained: res.xs, potential: res.v, attempts: t + 1 };
    why = Number.isFinite(res.v)
      ? `non-finite gradient at sites ${res.bad.join(", ")}`
      : `potential energy ${res.v}`;
  }
  throw new Error(`findValidInitialParams: no valid initial values after ${tries} tries (${why})`);
}
