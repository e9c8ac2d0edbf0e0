/**
 * AutoLaplaceApproximation: fit a point estimate of the flat unconstrained latent vector
 * (MAP in unconstrained space, Jacobians included), then approximate the posterior by a
 * Normal at that point with covariance H⁻¹, H the Hessian of the potential energy there.
 *
 * The core has reverse-mode autodiff only (no forward-over-reverse), so H is built from
 * central finite differences of the gradient, one column per coordinate (2·D gradient
 * evaluations, in float64 where the backend has it), then symmetrized. Meant for modest D.
 * @module
 */
import { fromTypedArray, type Key, param, scope, type Tensor, valueAndGrad } from "@scribe/core";
import { Delta, type Distribution, MultivariateNormal } from "@scribe/distributions";
import { traceLogDensity } from "../util/log-density.js";
import { runTrace } from "../util/sites.js";
import { AutoContinuous, type GuideParams } from "./auto-continuous.js";
import { siteLogDet } from "./posterior-utils.js";

/** Cholesky factor (lower, row-major) of a symmetric n×n matrix; null if not positive definite. */
export function choleskyHost(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  return l;
}

/** Inverse of a symmetric positive definite matrix given its Cholesky factor. */
function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++)
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k]! * li[k * n + c]!;
      li[i * n + c] = s / l[i * n + i]!;
    }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  return inv;
}

/**
 * Laplace approximation guide: params `${prefix}_loc`. Train it like AutoDelta; then
 * `getPosterior(params)` (and `quantiles`, `samplePosterior`) use N(loc, H⁻¹).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoLaplaceApproximation(model);
 * const r = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
 * const post = guide.getPosterior(r.params); // MultivariateNormal in unconstrained space
 * post.covarianceMatrix; // [2, 2]: H⁻¹ at the MAP of (mu, log sigma)
 */
export class AutoLaplaceApproximation<A extends unknown[]> extends AutoContinuous<A> {
  readonly #cache = new WeakMap<object, Distribution>();

  protected declareParams(): Record<string, Tensor> {
    return { [`${this.prefix}_loc`]: param(`${this.prefix}_loc`, this.initLatent()) };
  }

  latentDistribution(p: GuideParams): Distribution {
    if (Object.hasOwn(p, `${this.prefix}_loc`) && this.#cache.has(p)) return this.#cache.get(p)!;
    return new Delta(this.need(p, "loc"), 0, 1);
  }

  /** The potential energy −(log p(x, T(u)) + Σ log|det J|) at a flat unconstrained vector. */
  potential(u: Tensor, params: GuideParams, args: A): Tensor {
    const us = this.unpackLatent(u);
    const values: Record<string, Tensor> = { ...params };
    let logDet: Tensor | null = null;
    for (const { site } of this.layout) {
      const ui = us[site.name]!;
      if (site.isReal) {
        values[site.name] = ui;
        continue;
      }
      const x = site.transform.forward(ui);
      values[site.name] = x;
      const ld = siteLogDet(site, ui, x).sum();
      logDet = logDet ? logDet.add(ld) : ld;
    }
    const lj = traceLogDensity(runTrace(this.model, args, { params: values, rngKey: 0 }));
    return (logDet ? lj.add(logDet) : lj).neg();
  }

  /**
   * The Hessian of the potential at `loc` by central differences of the gradient (row-major
   * float64, symmetrized). `args` default to those of the guide's latest call.
   */
  hessian(params: GuideParams, args: A | null = this.lastArgs, relStep = 1e-4): Float64Array {
    if (!args) throw new Error("AutoLaplaceApproximation: pass the model's args (or run the guide first)");
    const loc = this.need(params, "loc");
    const d = loc.shape[0]!;
    const grad = valueAndGrad((u: Tensor) => this.potential(u, params, args));
    const base = Float64Array.from(loc.dataSync() as ArrayLike<number>);
    let f64 = true;
    const gradAt = (x: Float64Array): Float64Array =>
      scope(() => {
        if (f64)
          try {
            return Float64Array.from(
              grad(fromTypedArray(Float64Array.from(x), [d]))[1].dataSync() as ArrayLike<number>,
            );
          } catch {
            f64 = false;
          }
        return Float64Array.from(
          grad(fromTypedArray(Float32Array.from(x), [d]))[1].dataSync() as ArrayLike<number>,
        );
      });
    const h = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      const step = (f64 ? relStep : Math.max(relStep, 1e-2)) * Math.max(1, Math.abs(base[j]!));
      const xp = Float64Array.from(base);
      const xm = Float64Array.from(base);
      xp[j] = base[j]! + step;
      xm[j] = base[j]! - step;
      const gp = gradAt(xp);
      const gm = gradAt(xm);
      for (let i = 0; i < d; i++) h[i * d + j] = (gp[i]! - gm[i]!) / (2 * step);
    }
    for (let i = 0; i < d; i++)
      for (let j = 0; j < i; j++) {
        const m = 0.5 * (h[i * d + j]! + h[j * d + i]!);
        h[i * d + j] = m;
        h[j * d + i] = m;
      }
    return h;
  }

  /** N(loc, H⁻¹) over the flat unconstrained vector (cached per params object). */
  getPosterior(params: GuideParams, args: A | null = this.lastArgs): MultivariateNormal {
    const cached = this.#cache.get(params);
    if (cached instanceof MultivariateNormal) return cached;
    const loc = this.need(params, "loc");
    const d = loc.shape[0]!;
    const h = this.hessian(params, args);
    const lh = choleskyHost(h, d);
    if (!lh)
      throw new Error(
        "AutoLaplaceApproximation: the Hessian at the fitted point is not positive definite (not a local mode — train longer or check the model)",
      );
    const cov = inverseFromCholesky(lh, d);
    const lc = choleskyHost(cov, d)!;
    const tril = fromTypedArray(loc.dtype === "float64" ? lc : Float32Array.from(lc), [d, d]);
    const post = new MultivariateNormal(loc, { scaleTril: tril });
    this.#cache.set(params, post);
    return post;
  }

  /** Like the other guides' `samplePosterior`, from N(loc, H⁻¹). */
  override samplePosterior(rngKey: Key | number, params: GuideParams, sampleShape: readonly number[] = []) {
    this.getPosterior(params);
    return super.samplePosterior(rngKey, params, sampleShape);
  }

  protected marginals(p: GuideParams): { loc: Tensor; scale: Tensor } {
    const post = this.getPosterior(p);
    return { loc: this.need(p, "loc"), scale: post.scaleTril.square().sum([1]).sqrt() };
  }

  /** The median is the fitted point (no Hessian needed). */
  override median(params: GuideParams): Record<string, Tensor> {
    return this.constrain(this.unpackLatent(this.need(params, "loc")));
  }
}
