/**
 * Variational factors of SCRIBE's guides (spec §3): for each latent site, the guide family,
 * its parameter names and initial values. Used by the guide function (through `param`) and by
 * the results (through a fitted params record), so both read the same parameters.
 * @module
 */
import { full, type Key, random, softplus, type Tensor } from "@scribe/core";
import {
  Beta,
  Dirichlet,
  type Distribution,
  ExpTransform,
  LogNormal,
  LowRankMultivariateNormal,
  Normal,
  TransformedDistribution,
} from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { geneLocTensor, type SiteSpec } from "../models/sites.js";
import { makeTransform, TransformedNormal } from "../models/transformed-normal.js";

/** How a factor obtains a parameter: `param()` in a guide, a lookup in results. */
export type ParamGetter = (
  name: string,
  init: Tensor | ((k: Key | null) => Tensor),
  opts: { positive?: boolean; cell?: boolean },
) => Tensor;

/** softplus⁻¹(y) = y + log(−expm1(−y)). */
export function softplusInv(y: number): number {
  return y + Math.log(-Math.expm1(-y));
}

/** Jitter (±10 % scale) used on component-axis parameters to break the label symmetry. */
const JITTER = 0.1;

function initFull(shape: readonly number[], v: number | Tensor, jitter: boolean, mode: "add" | "mul"): Tensor | ((k: Key | null) => Tensor) {
  if (typeof v !== "number") {
    const base = v;
    if (!jitter) return base;
    return (k: Key | null) => (k ? random.normal(k, [...shape]).mul(JITTER).add(base) : base);
  }
  if (!jitter) return full([...shape], v);
  return (k: Key | null) => {
    if (!k) return full([...shape], v);
    const z = random.normal(k, [...shape]).mul(JITTER);
    return mode === "add" ? z.add(v) : z.exp().mul(v);
  };
}

function refLoc(cfg: ModelConfig, specs: readonly SiteSpec[], v: number | string): number {
  if (typeof v === "number") return v;
  const s = specs.find((x) => x.name === v);
  const f = s?.family;
  if (f?.kind === "normal") return f.loc;
  if (f?.kind === "tnormal" && typeof f.loc === "number") return f.transform === "softplus" ? Math.log1p(Math.exp(f.loc)) : f.loc;
  void cfg;
  return 0;
}

/**
 * The mean-field factor of one site (same family as the prior, initialized at the prior's
 * hyper-parameters; parameter names `{site}_alpha/_beta` or `{site}_loc/_scale`). `shape` is
 * the batch shape of the factor: the site's shape, or [nCells] for cell sites.
 */
export function meanFieldFactor(
  cfg: ModelConfig,
  spec: SiteSpec,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  opts: { initLoc?: Tensor } = {},
): Distribution {
  const shape = spec.cell ? [cfg.nCells] : [...spec.shape];
  const cell = spec.cell;
  const jit = !cell && cfg.nComponents > 1 && shape[0] === cfg.nComponents && spec.role === "core";
  const f = spec.family;
  const n = spec.name;
  switch (f.kind) {
    case "beta":
    case "betaprime": {
      const a = get(`${n}_alpha`, initFull(shape, f.a, jit, "mul"), { positive: true, cell });
      const b = get(`${n}_beta`, initFull(shape, f.b, jit, "mul"), { positive: true, cell });
      return f.kind === "beta" ? new Beta(a, b, false) : new ScribeBetaPrime(a, b);
    }
    case "lognormal": {
      const l0 = f.geneLoc ? geneLocTensor(f.geneLoc, shape) : f.loc;
      const loc = get(`${n}_loc`, opts.initLoc ?? initFull(shape, l0, jit, "add"), { cell });
      const scale = get(`${n}_scale`, full(shape, f.scale), { positive: true, cell });
      return new LogNormal(loc, scale, false);
    }
    case "normal":
    case "tnormal": {
      const l0 = f.kind === "tnormal" && f.geneLoc ? geneLocTensor(f.geneLoc, shape) : refLoc(cfg, specs, f.loc);
      const s0 = typeof f.scale === "number" ? f.scale : refLoc(cfg, specs, f.scale) || 1;
      const loc = get(`${n}_loc`, opts.initLoc ?? initFull(shape, l0, jit, "add"), { cell });
      const scale = get(`${n}_scale`, full(shape, s0), { positive: true, cell });
      return f.kind === "normal" ? new Normal(loc, scale, false) : new TransformedNormal(loc, scale, f.transform);
    }
    case "dirichlet": {
      const c = get(`${n}_concentrations`, full([f.concentration.length], 0).add(f.concentration[0]!), { positive: true });
      return new Dirichlet(c, false);
    }
    case "halfcauchy":
    case "invgamma":
    case "gamma": {
      const loc = get(`${n}_loc`, full(shape, softplusInv(1)), {});
      const scale = get(`${n}_scale`, full(shape, 0.1), { positive: true });
      return new TransformedNormal(loc, scale, "softplus");
    }
    case "eta": {
      const loc = get(`${n}_raw_loc`, opts.initLoc ?? full(shape, softplusInv(f.logM0)), { cell });
      const scale = get(`${n}_raw_scale`, full(shape, f.sigma), { positive: true, cell });
      return new TransformedNormal(loc, scale, "softplus");
    }
  }
}

/**
 * The low-rank factor of the gene parameter (spec §3): a LowRankMultivariateNormal over the
 * unconstrained values (loc 0 — or the per-gene prior location when the site has one, the
 * TwoState mu anchor —, factor W = 0.01, diag = softplus(raw) + 1e−4 with raw = −3),
 * pushed through exp (LogNormal priors) or the parameter's transform. Names
 * `log_{name}_loc/_W/_raw_diag` (LogNormal priors) or `{name}_loc/_W/_raw_diag`.
 */
export function lowRankFactor(spec: SiteSpec, rank: number, get: ParamGetter): Distribution {
  const f = spec.family;
  if (f.kind !== "lognormal" && f.kind !== "tnormal")
    throw new Error(`guideRank: site '${spec.name}' has a ${f.kind} prior; the low-rank guide needs a LogNormal or Normal+transform prior`);
  const prefix = f.kind === "lognormal" ? `log_${spec.name}` : spec.name;
  const shape = [...spec.shape];
  const loc = get(`${prefix}_loc`, f.geneLoc ? geneLocTensor(f.geneLoc, shape) : full(shape, 0), {});
  const W = get(`${prefix}_W`, full([...shape, rank], 0.01), {});
  const raw = get(`${prefix}_raw_diag`, full(shape, -3), {});
  const mvn = new LowRankMultivariateNormal(loc, W, softplus(raw).add(1e-4), false);
  const t = f.kind === "lognormal" ? new ExpTransform() : makeTransform(f.transform);
  return new TransformedDistribution(mvn, t, false);
}
