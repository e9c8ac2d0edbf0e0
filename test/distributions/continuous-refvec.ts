import { type Tensor, tensor } from "@scribe/core";
import {
  Beta,
  BetaPrime,
  Cauchy,
  Dirichlet,
  type Distribution,
  Exponential,
  Gamma,
  HalfCauchy,
  HalfNormal,
  InverseGamma,
  Laplace,
  LogNormal,
  MultivariateNormal,
  Normal,
  StudentT,
  Uniform,
} from "@scribe/distributions";

/** Parse the refvec JSON convention ("inf" / "-inf" / "nan" strings) into numbers. */
export function num(v: unknown): number {
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (v === "nan") return NaN;
  return v as number;
}

/** A float64 tensor from a number or nested array. */
export function f64(v: unknown): Tensor {
  if (typeof v === "number" || typeof v === "string")
    return tensor(new Float64Array([num(v)]), { shape: [] });
  const arr = v as unknown[];
  if (Array.isArray(arr[0])) {
    const rows = arr as unknown[][];
    return tensor(new Float64Array(rows.flat().map(num)), { shape: [rows.length, rows[0]!.length] });
  }
  return tensor(new Float64Array(arr.map(num)), { shape: [arr.length] });
}

type P = Record<string, unknown>;
/** Build a distribution from a refvec case's NumPyro-named parameters (float64). */
export const fromRefParams: Record<string, (p: P, validate?: boolean) => Distribution> = {
  Normal: (p, v) => new Normal(f64(p.loc), f64(p.scale), v),
  LogNormal: (p, v) => new LogNormal(f64(p.loc), f64(p.scale), v),
  HalfNormal: (p, v) => new HalfNormal(f64(p.scale), v),
  HalfCauchy: (p, v) => new HalfCauchy(f64(p.scale), v),
  Cauchy: (p, v) => new Cauchy(f64(p.loc), f64(p.scale), v),
  StudentT: (p, v) => new StudentT(f64(p.df), f64(p.loc), f64(p.scale), v),
  Exponential: (p, v) => new Exponential(f64(p.rate), v),
  Gamma: (p, v) => new Gamma(f64(p.concentration), f64(p.rate), v),
  InverseGamma: (p, v) => new InverseGamma(f64(p.concentration), f64(p.rate), v),
  Beta: (p, v) => new Beta(f64(p.concentration1), f64(p.concentration0), v),
  BetaPrime: (p, v) => new BetaPrime(f64(p.concentration1), f64(p.concentration0), v),
  Uniform: (p, v) => new Uniform(f64(p.low), f64(p.high), v),
  Laplace: (p, v) => new Laplace(f64(p.loc), f64(p.scale), v),
  Dirichlet: (p, v) => new Dirichlet(f64(p.concentration), v),
  MultivariateNormal: (p, v) =>
    new MultivariateNormal(f64(p.loc), { covarianceMatrix: f64(p.covariance_matrix), validateArgs: v }),
};
