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
  stack,
  substitute,
  type Tensor,
  trace,
  valueAndGrad,
  where,
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
    return t.drawForward(u); // a draw: the portable map
  };
}

/** Zero in the unconstrained space (e.g. 1 for positive sites, 0.5 for unit-interval ones). */
export function initToFeasible(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const t = bijectTo(supportOf(site));
    return t.drawForward(zeros(t.inverseShape(siteShape(site))));
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

/**
 * Elementwise median along axis 0 of `x` [n, ...], on the device (no readback): the rank of
 * each draw among the n (ties broken by position) is counted from n² comparisons, and the
 * draws of the middle rank(s) are picked out.
 */
export function medianAxis0(x: Tensor): Tensor {
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  const unit = rest.map(() => 1);
  const xi = x.reshape([n, 1, ...rest]);
  const xk = x.reshape([1, n, ...rest]);
  // before[i, k] = 1 when draw k comes before draw i in the order (ties: the lower index first)
  const lower = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) lower[i * n + k] = 1;
  const lowerT = fromTypedArray(x.dtype === "float64" ? Float64Array.from(lower) : lower, [n, n, ...unit]);
  const before = where(xk.lt(xi), 1, where(xk.eq(xi), lowerT, 0));
  const rank = before.sum(1); // [n, ...rest]
  const pick = (r: number) => where(rank.eq(r), x, 0).sum(0);
  return n % 2
    ? pick((n - 1) / 2)
    : pick(n / 2 - 1)
        .add(pick(n / 2))
        .mul(0.5);
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
      return medianAxis0(draws);
    } catch {
      return initToUniform()(site);
    }
  };
}

/**
 * The prior mean (NumPyro's `init_to_mean`); falls back to the median when the mean is not
 * finite or not defined (e.g. Cauchy). The choice is made on the device (`where` on an
 * all-finite flag), without a readback.
 */
export function initToMean(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const fn = site.fn as unknown as { mean?: Tensor };
    let m: Tensor | undefined;
    try {
      m = fn.mean;
    } catch {
      // no mean: use the median
    }
    const median = initToMedian()(site)!;
    if (!m) return median;
    const full = fullShape(site, m);
    const allFinite = isfinite(full).astype("float32").min().eq(1);
    return where(allFinite, full, median);
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
 * `find_valid_initial_params`). Each try reads back once (the potential and one finite flag
 * per site, stacked). Rejects naming the last non-finite sites otherwise.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const { constrained } = await findValidInitialParams(model, [y], initToMedian());
 * constrained; // { mu, sigma }: each the median of 15 prior draws (with a finite potential there)
 */
export async function findValidInitialParams<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  strategy: InitStrategy = initToUniform(),
  opts: { rngKey?: Key | number; maxTries?: number } = {},
): Promise<ValidInit> {
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
      const found = scope(() => {
        const initFn = (msg: { type: string }) =>
          msg.type === "sample" ? strategy(msg as SampleMessage) : null;
        const tr = trace(seed(substitute(model, initFn), keys[t]!)).getTrace(...args);
        const us: Record<string, Tensor> = {};
        const xs: Record<string, Tensor> = {};
        for (const s of tr.values()) {
          if (s.type !== "sample" || s.isObserved || s.value === null) continue;
          const tf = bijectTo(supportOf(s));
          xs[s.name] = s.value;
          us[s.name] = tf.drawInverse(s.value); // of a draw: the portable map
        }
        const [u, g] = valueAndGrad((p: Record<string, Tensor>) => potentialOf(model, args, p, keys[t]!))(us);
        const names = Object.keys(g);
        // one buffer: the potential, then 1/0 per site for a finite gradient
        const dt = u.dtype === "float64" ? "float64" : "float32";
        const packed = stack([u.reshape([]), ...names.map((n) => isfinite(g[n]!).astype(dt).min())]);
        return { us, xs, names, packed };
      });
      let vals: ArrayLike<number>;
      try {
        vals = (await found.packed.data()) as ArrayLike<number>;
      } finally {
        found.packed.dispose();
      }
      res = {
        us: found.us,
        xs: found.xs,
        v: Number(vals[0]),
        bad: found.names.filter((_, i) => vals[i + 1] !== 1),
      };
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
