import { type Tensor, tensor } from "@scribe/core";
import {
  Beta,
  BetaPrime,
  Cauchy,
  Chi2,
  Delta,
  Dirichlet,
  type Distribution,
  Exponential,
  Gamma,
  Gumbel,
  HalfCauchy,
  HalfNormal,
  InverseGamma,
  Laplace,
  Logistic,
  LogNormal,
  LogUniform,
  LowRankMultivariateNormal,
  MultivariateNormal,
  Normal,
  Pareto,
  StudentT,
  TruncatedNormal,
  Uniform,
  Weibull,
} from "@scribe/distributions";

/** A parameter: flat float64 values and a shape. */
export interface ParamSpec {
  values: number[];
  shape: number[];
}

const P = (values: number[], shape: number[] = [values.length]): ParamSpec => ({ values, shape });
const S = (v: number): ParamSpec => ({ values: [v], shape: [] });

/** One row of the generic continuous-family test table. */
export interface ContinuousCase {
  name: string;
  /** Build the distribution from float64 tensors named as the constructor's parameters. */
  make: (p: Record<string, Tensor>) => Distribution;
  /** Batched parameters (exercise broadcasting) for shape and gradient tests. */
  batched: Record<string, ParamSpec>;
  /** Scalar-batch parameters for sample moments and the KS test (finite fourth moment unless `heavy`). */
  scalar: Record<string, ParamSpec>;
  /** Parameters excluded from gradient checks (e.g. not differentiable by design). */
  noGrad?: string[];
  /** Heavy tails: skip the sample-variance check (and the mean check when it is not finite). */
  heavy?: "variance" | "mean";
  /**
   * Draws from one implicitly reparameterized variable use "cdf"; compositions of several
   * (StudentT, BetaPrime, Dirichlet) have per-draw gradients that agree only in expectation.
   * The draw's dependence on the parameters at a fixed key is not the reparameterization
   * gradient (gamma / truncated-normal rejection samplers): rsample gradients are checked against
   * the implicit-function gradient −(∂F/∂θ)/p(x) with ∂F/∂θ by finite differences of the cdf
   * ("cdf"), or, without a cdf, against the gradient of the analytic mean ("mean").
   */
  implicit?: "cdf" | "mean";
}

/** float64 tensors from specs. */
export function build(spec: Record<string, ParamSpec>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(spec)) out[k] = tensor(new Float64Array(v.values), { shape: v.shape });
  return out;
}

const t = (p: Record<string, Tensor>, k: string): Tensor => p[k]!;

export const CASES: ContinuousCase[] = [
  {
    name: "Normal",
    make: (p) => new Normal(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0.5, -1]), scale: P([1, 2, 0.5], [3, 1]) },
    scalar: { loc: S(1), scale: S(2) },
  },
  {
    name: "LogNormal",
    make: (p) => new LogNormal(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0.2, -0.3]), scale: P([0.5, 0.8, 0.3], [3, 1]) },
    scalar: { loc: S(0), scale: S(0.5) },
  },
  {
    name: "HalfNormal",
    make: (p) => new HalfNormal(t(p, "scale")),
    batched: { scale: P([1, 2.5]) },
    scalar: { scale: S(2) },
  },
  {
    name: "HalfCauchy",
    make: (p) => new HalfCauchy(t(p, "scale")),
    batched: { scale: P([1, 2.5]) },
    scalar: { scale: S(1) },
    heavy: "mean",
  },
  {
    name: "Cauchy",
    make: (p) => new Cauchy(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0, 1]), scale: P([1, 2], [2, 1]) },
    scalar: { loc: S(0), scale: S(1) },
    heavy: "mean",
  },
  {
    name: "StudentT",
    make: (p) => new StudentT(t(p, "df"), t(p, "loc"), t(p, "scale")),
    batched: { df: P([3, 7.5]), loc: P([0.5]), scale: P([1, 2], [2, 1]) },
    scalar: { df: S(9), loc: S(1), scale: S(2) },
    implicit: "mean",
  },
  {
    name: "Laplace",
    make: (p) => new Laplace(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0.5, -1]), scale: P([1, 0.5]) },
    scalar: { loc: S(1), scale: S(0.5) },
  },
  {
    name: "Logistic",
    make: (p) => new Logistic(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0.5, -1]), scale: P([1, 0.5]) },
    scalar: { loc: S(1), scale: S(0.5) },
  },
  {
    name: "Exponential",
    make: (p) => new Exponential(t(p, "rate")),
    batched: { rate: P([2, 0.5]) },
    scalar: { rate: S(2) },
  },
  {
    name: "Gamma",
    make: (p) => new Gamma(t(p, "concentration"), t(p, "rate")),
    batched: { concentration: P([2, 0.7]), rate: P([3, 1.5], [2, 1]) },
    scalar: { concentration: S(2), rate: S(3) },
    implicit: "cdf",
  },
  {
    name: "Chi2",
    make: (p) => new Chi2(t(p, "df")),
    batched: { df: P([3, 5.5]) },
    scalar: { df: S(4) },
    implicit: "cdf",
  },
  {
    name: "InverseGamma",
    make: (p) => new InverseGamma(t(p, "concentration"), t(p, "rate")),
    batched: { concentration: P([3, 5]), rate: P([2, 1]) },
    scalar: { concentration: S(6), rate: S(2) },
    implicit: "cdf",
  },
  {
    name: "Beta",
    make: (p) => new Beta(t(p, "concentration1"), t(p, "concentration0")),
    batched: { concentration1: P([2, 0.8]), concentration0: P([3, 1.5], [2, 1]) },
    scalar: { concentration1: S(2), concentration0: S(3) },
    // one implicitly reparameterized draw (random.beta differentiates through the Beta cdf)
    implicit: "cdf",
  },
  {
    name: "BetaPrime",
    make: (p) => new BetaPrime(t(p, "concentration1"), t(p, "concentration0")),
    batched: { concentration1: P([2, 3]), concentration0: P([6, 9]) },
    scalar: { concentration1: S(5), concentration0: S(12) },
    implicit: "mean",
  },
  {
    name: "Uniform",
    make: (p) => new Uniform(t(p, "low"), t(p, "high")),
    batched: { low: P([-1, 0]), high: P([3, 2, 5], [3, 1]) },
    scalar: { low: S(-1), high: S(3) },
  },
  {
    name: "LogUniform",
    make: (p) => new LogUniform(t(p, "low"), t(p, "high")),
    batched: { low: P([0.1, 1]), high: P([3, 20]) },
    scalar: { low: S(0.5), high: S(8) },
  },
  {
    name: "Weibull",
    make: (p) => new Weibull(t(p, "scale"), t(p, "concentration")),
    batched: { scale: P([1, 2]), concentration: P([1.5, 3], [2, 1]) },
    scalar: { scale: S(2), concentration: S(1.5) },
  },
  {
    name: "Pareto",
    make: (p) => new Pareto(t(p, "scale"), t(p, "alpha")),
    batched: { scale: P([1, 2]), alpha: P([3, 5]) },
    scalar: { scale: S(1), alpha: S(9) },
  },
  {
    name: "Gumbel",
    make: (p) => new Gumbel(t(p, "loc"), t(p, "scale")),
    batched: { loc: P([0.5, -1]), scale: P([1, 0.5]) },
    scalar: { loc: S(1), scale: S(2) },
  },
  {
    name: "TruncatedNormal",
    make: (p) => new TruncatedNormal(t(p, "loc"), t(p, "scale"), t(p, "low"), t(p, "high")),
    batched: { loc: P([0.5, -1]), scale: P([1, 2]), low: P([-1, 0.5]), high: P([2, 6], [2, 1]) },
    scalar: { loc: S(0.5), scale: S(1.5), low: S(1), high: S(3) },
    noGrad: ["low", "high"],
    implicit: "cdf",
  },
  {
    name: "TruncatedNormal(tail)",
    make: (p) => new TruncatedNormal(t(p, "loc"), t(p, "scale"), t(p, "low")),
    batched: { loc: P([0, 1]), scale: P([1, 0.5]), low: P([3, 4]) },
    scalar: { loc: S(0), scale: S(1), low: S(6) },
    noGrad: ["low"],
    implicit: "cdf",
  },
  {
    name: "Dirichlet",
    make: (p) => new Dirichlet(t(p, "concentration")),
    batched: { concentration: P([1, 2, 3, 0.5, 4, 1.5], [2, 3]) },
    scalar: { concentration: P([1, 2, 3]) },
    implicit: "mean",
  },
  {
    name: "MultivariateNormal",
    make: (p) => new MultivariateNormal(t(p, "loc"), { scaleTril: t(p, "scaleTril") }),
    batched: {
      loc: P([1, -1, 0.5, 0, 2, 1], [2, 3]),
      scaleTril: P([1.5, 0, 0, 0.3, 1, 0, -0.2, 0.4, 0.7], [3, 3]),
    },
    scalar: { loc: P([1, -1]), scaleTril: P([1.2, 0, 0.5, 0.8], [2, 2]) },
  },
  {
    name: "MultivariateNormal(cov)",
    make: (p) => new MultivariateNormal(t(p, "loc"), { covarianceMatrix: t(p, "cov") }),
    batched: { loc: P([1, -1]), cov: P([2, 0.5, 0.5, 1], [2, 2]) },
    scalar: { loc: P([1, -1]), cov: P([2, 0.5, 0.5, 1], [2, 2]) },
    noGrad: ["cov"],
  },
  {
    name: "LowRankMultivariateNormal",
    make: (p) => new LowRankMultivariateNormal(t(p, "loc"), t(p, "covFactor"), t(p, "covDiag")),
    batched: {
      loc: P([1, -1, 0.5, 0, 2, 1], [2, 3]),
      covFactor: P([1, 0.2, 0.5, -0.3, 0, 0.8], [3, 2]),
      covDiag: P([0.5, 1, 0.7]),
    },
    scalar: { loc: P([1, -1, 0]), covFactor: P([1, 0.5, -0.3], [3, 1]), covDiag: P([0.5, 1, 0.7]) },
  },
];

/** Delta is tested on its own (its draws are constant). */
export const DELTA = (v: Tensor) => new Delta(v);
