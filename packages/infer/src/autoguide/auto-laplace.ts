/**
 * AutoLaplaceApproximation: fit a point estimate of the flat unconstrained latent vector
 * (MAP in unconstrained space, Jacobians included), then approximate the posterior by a
 * Normal at that point with covariance H⁻¹, H the Hessian of the potential energy there.
 *
 * The core has reverse-mode autodiff only (no forward-over-reverse), so H is built from
 * central finite differences of the gradient, one column per coordinate (2·D gradient
 * evaluations, in float64 where the backend has it), then symmetrized. Meant for modest D.
 * The Hessian, its Cholesky factor and the covariance are computed with tensor ops on the
 * backend of the fitted point (no readback), so the guide works on WebGPU too; a Hessian that
 * is not positive definite is a deferred check there, reported at the next readback.
 * @module
 */
import {
  checkOrDefer,
  cholesky,
  choleskySolve,
  eye,
  isfinite,
  type Key,
  keep,
  param,
  scope,
  slice,
  stack,
  type Tensor,
  valueAndGrad,
  withBackend,
} from "@scribe/core";
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
   * The Hessian of the potential at `loc` by central differences of the gradient, as a
   * symmetrized [D, D] tensor on loc's backend (float64 where the backend has it, else float32
   * with a relative step of at least 1e-2), computed without any readback. `args` default to
   * those of the guide's latest call.
   */
  hessianTensor(params: GuideParams, args: A | null = this.lastArgs, relStep = 1e-4): Tensor {
    if (!args) throw new Error("AutoLaplaceApproximation: pass the model's args (or run the guide first)");
    const loc = this.need(params, "loc");
    const d = loc.shape[0]!;
    const f64 = loc.backend.supportsFloat64;
    const dtype = f64 ? "float64" : "float32";
    const rel = f64 ? relStep : Math.max(relStep, 1e-2);
    const grad = valueAndGrad((u: Tensor) => this.potential(u, params, args));
    return withBackend(loc.backend, () =>
      scope(() => {
        const base = loc.astype(dtype);
        // step_j = rel · max(1, |loc_j|), one column of H per coordinate
        const steps = base.abs().maximum(1).mul(rel);
        const unit = eye(d, d, dtype);
        const columns: Tensor[] = [];
        for (let j = 0; j < d; j++) {
          const e = slice(unit, [j, 0], [j + 1, d])
            .reshape([d])
            .mul(steps);
          const gp = scope(() => keep(grad(base.add(e))[1]));
          const gm = scope(() => keep(grad(base.sub(e))[1]));
          columns.push(gp.sub(gm).div(slice(steps, [j], [j + 1]).mul(2)));
        }
        const h = stack(columns, 1);
        return h.add(h.mT).mul(0.5);
      }),
    );
  }

  /**
   * The Hessian as row-major float64 values (see {@link hessianTensor}), read synchronously:
   * the cpu's path; on WebGPU use {@link hessianAsync}.
   */
  hessian(params: GuideParams, args: A | null = this.lastArgs, relStep = 1e-4): Float64Array {
    const h = this.hessianTensor(params, args, relStep);
    try {
      if (!h.backend.readSync)
        throw new Error(
          `AutoLaplaceApproximation.hessian reads synchronously, which the ${h.backend.name} backend cannot: use 'await guide.hessianAsync(params)'`,
        );
      return Float64Array.from(h.dataSync() as ArrayLike<number>);
    } finally {
      h.dispose();
    }
  }

  /** The Hessian as row-major float64 values, read with one `await` (every backend). */
  async hessianAsync(
    params: GuideParams,
    args: A | null = this.lastArgs,
    relStep = 1e-4,
  ): Promise<Float64Array> {
    const h = this.hessianTensor(params, args, relStep);
    try {
      return Float64Array.from((await h.data()) as ArrayLike<number>);
    } finally {
      h.dispose();
    }
  }

  /**
   * N(loc, H⁻¹) over the flat unconstrained vector (cached per params object), built on loc's
   * backend without a readback: on the cpu a Hessian that is not positive definite throws here;
   * on WebGPU the same message comes at the next readback.
   */
  getPosterior(params: GuideParams, args: A | null = this.lastArgs): MultivariateNormal {
    const cached = this.#cache.get(params);
    if (cached instanceof MultivariateNormal) return cached;
    const loc = this.need(params, "loc");
    const d = loc.shape[0]!;
    const notPD =
      "AutoLaplaceApproximation: the Hessian at the fitted point is not positive definite (not a local mode — train longer or check the model)";
    const h = this.hessianTensor(params, args);
    const tril = withBackend(loc.backend, () =>
      scope(() => {
        let lh: Tensor;
        try {
          lh = cholesky(h);
        } catch {
          throw new Error(notPD); // the cpu's kernel names the pivot; the guide's message says why
        }
        // the GPU's kernel leaves NaN where the matrix is not positive definite
        checkOrDefer(isfinite(lh), () => notPD);
        const cov = choleskySolve(lh, eye(d, d, h.dtype));
        return cholesky(cov.add(cov.mT).mul(0.5)).astype(loc.dtype);
      }),
    );
    h.dispose();
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
