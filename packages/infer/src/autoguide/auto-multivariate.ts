/**
 * Flat-vector Normal autoguides: AutoDiagonalNormal (independent coordinates),
 * AutoMultivariateNormal (full covariance through a lower Cholesky factor) and
 * AutoLowRankMultivariateNormal (W Wᵀ + diag(d)).
 * @module
 */
import { eye, full, param, type Tensor, zeros } from "@scribe/core";
import {
  type Distribution,
  LowRankMultivariateNormal,
  lowerCholesky,
  MultivariateNormal,
  Normal,
  positive,
} from "@scribe/distributions";
import { AutoContinuous, type GuideParams } from "./auto-continuous.js";
import type { AutoGuideOptions } from "./auto-guide.js";

/** Options of the flat-vector Normal guides. */
export interface AutoContinuousNormalOptions extends AutoGuideOptions {
  /** Initial scale of each coordinate (default 0.1). */
  initScale?: number;
}

function checkScale(name: string, s: number | undefined): number {
  const v = s ?? 0.1;
  if (!(v > 0)) throw new Error(`${name}: initScale must be positive, got ${s}`);
  return v;
}

/**
 * Normal with a diagonal covariance over the flat latent vector; params `${prefix}_loc` and
 * `${prefix}_scale` (positive).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoDiagonalNormal(model);
 * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
 * guide.median(params); // { mu: ≈ 1.1, sigma: ≈ 0.6 }
 */
export class AutoDiagonalNormal<A extends unknown[]> extends AutoContinuous<A> {
  readonly initScale: number;
  constructor(model: (...args: A) => unknown, opts: AutoContinuousNormalOptions = {}) {
    super(model, opts);
    this.initScale = checkScale("AutoDiagonalNormal", opts.initScale);
  }
  protected declareParams(): Record<string, Tensor> {
    const u0 = this.initLatent();
    return {
      [`${this.prefix}_loc`]: param(`${this.prefix}_loc`, u0),
      [`${this.prefix}_scale`]: param(`${this.prefix}_scale`, full(u0.shape, this.initScale, u0.dtype), {
        constraint: positive,
      }),
    };
  }
  latentDistribution(p: GuideParams): Distribution {
    return new Normal(this.need(p, "loc"), this.need(p, "scale")).toEvent(1);
  }
  protected marginals(p: GuideParams): { loc: Tensor; scale: Tensor } {
    return { loc: this.need(p, "loc"), scale: this.need(p, "scale") };
  }
}

/**
 * Full-covariance Normal over the flat latent vector; params `${prefix}_loc` and
 * `${prefix}_scale_tril` (lower Cholesky, starts at initScale·I).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoMultivariateNormal(model);
 * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 50, [y]);
 * params.auto_scale_tril!.shape; // [2, 2]: (mu, log sigma) may correlate
 */
export class AutoMultivariateNormal<A extends unknown[]> extends AutoContinuous<A> {
  readonly initScale: number;
  constructor(model: (...args: A) => unknown, opts: AutoContinuousNormalOptions = {}) {
    super(model, opts);
    this.initScale = checkScale("AutoMultivariateNormal", opts.initScale);
  }
  protected declareParams(): Record<string, Tensor> {
    const u0 = this.initLatent();
    const d = u0.shape[0]!;
    const l0 = eye(d, d, u0.dtype === "float64" ? "float64" : "float32").mul(this.initScale);
    return {
      [`${this.prefix}_loc`]: param(`${this.prefix}_loc`, u0),
      [`${this.prefix}_scale_tril`]: param(`${this.prefix}_scale_tril`, l0, { constraint: lowerCholesky }),
    };
  }
  latentDistribution(p: GuideParams): Distribution {
    return new MultivariateNormal(this.need(p, "loc"), { scaleTril: this.need(p, "scale_tril") });
  }
  protected marginals(p: GuideParams): { loc: Tensor; scale: Tensor } {
    return { loc: this.need(p, "loc"), scale: this.need(p, "scale_tril").square().sum([1]).sqrt() };
  }
  /** The covariance of the flat latent vector, L Lᵀ. */
  covariance(p: GuideParams): Tensor {
    const l = this.need(p, "scale_tril");
    return l.matmul(l.mT);
  }
}

/** Options of {@link AutoLowRankMultivariateNormal}. */
export interface AutoLowRankOptions extends AutoContinuousNormalOptions {
  /** Rank of W (default round(√D)). */
  rank?: number;
}

/**
 * Low-rank-plus-diagonal Normal over the flat latent vector: Σ = (W∘s)(W∘s)ᵀ + diag(s²),
 * params `${prefix}_loc`, `${prefix}_cov_factor` (W, starts at 0) and `${prefix}_scale` (s).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoLowRankMultivariateNormal(model, { rank: 1 });
 * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 50, [y]);
 * params.auto_cov_factor!.shape; // [2, 1]
 */
export class AutoLowRankMultivariateNormal<A extends unknown[]> extends AutoContinuous<A> {
  readonly initScale: number;
  readonly #rank?: number;
  constructor(model: (...args: A) => unknown, opts: AutoLowRankOptions = {}) {
    super(model, opts);
    this.initScale = checkScale("AutoLowRankMultivariateNormal", opts.initScale);
    if (opts.rank !== undefined && !(Number.isInteger(opts.rank) && opts.rank > 0))
      throw new Error(`AutoLowRankMultivariateNormal: rank must be a positive integer, got ${opts.rank}`);
    this.#rank = opts.rank;
  }
  /** The rank of W. */
  get rank(): number {
    return this.#rank ?? Math.max(1, Math.round(Math.sqrt(this.latentDim)));
  }
  protected declareParams(): Record<string, Tensor> {
    const u0 = this.initLatent();
    const d = u0.shape[0]!;
    const f = u0.dtype === "float64" ? "float64" : "float32";
    return {
      [`${this.prefix}_loc`]: param(`${this.prefix}_loc`, u0),
      [`${this.prefix}_cov_factor`]: param(`${this.prefix}_cov_factor`, zeros([d, this.rank], f)),
      [`${this.prefix}_scale`]: param(`${this.prefix}_scale`, full([d], this.initScale, f), {
        constraint: positive,
      }),
    };
  }
  latentDistribution(p: GuideParams): Distribution {
    const s = this.need(p, "scale");
    const w = this.need(p, "cov_factor").mul(s.reshape([s.shape[0]!, 1]));
    return new LowRankMultivariateNormal(this.need(p, "loc"), w, s.square());
  }
  protected marginals(p: GuideParams): { loc: Tensor; scale: Tensor } {
    const s = this.need(p, "scale");
    const w = this.need(p, "cov_factor").mul(s.reshape([s.shape[0]!, 1]));
    return { loc: this.need(p, "loc"), scale: w.square().sum([1]).add(s.square()).sqrt() };
  }
}
