/**
 * Variational factors of SCRIBE's guides (upstream `src/scribe/svi`): for each latent site, the guide family,
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

function initFull(
  shape: readonly number[],
  v: number | Tensor,
  jitter: boolean,
  mode: "add" | "mul",
): Tensor | ((k: Key | null) => Tensor) {
  if (typeof v !== "number") {
    const base = v;
    if (!jitter) return base;
    return (k: Key | null) =>
      k
        ? random
            .normal(k, [...shape])
            .mul(JITTER)
            .add(base)
        : base;
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
  if (f?.kind === "tnormal" && typeof f.loc === "number")
    return f.transform === "softplus" ? Math.log1p(Math.exp(f.loc)) : f.loc;
  void cfg;
  return 0;
}

/**
 * The names of a site's mean-field parameters: `{site}_alpha/_beta` (Beta, BetaPrime),
 * `{site}_concentrations` (Dirichlet), `{site}_raw_loc/_raw_scale` (the biology-informed η),
 * `{site}_loc/_scale` otherwise. The one place these templates live ({@link meanFieldFactor}
 * and the results' slicing both read them).
 */
export function meanFieldParamNames(spec: SiteSpec): string[] {
  const n = spec.name;
  switch (spec.family.kind) {
    case "beta":
    case "betaprime":
      return [`${n}_alpha`, `${n}_beta`];
    case "dirichlet":
      return [`${n}_concentrations`];
    case "eta":
      return [`${n}_raw_loc`, `${n}_raw_scale`];
    default:
      return [`${n}_loc`, `${n}_scale`];
  }
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
  const [nA = "", nB = ""] = meanFieldParamNames(spec);
  switch (f.kind) {
    case "beta":
    case "betaprime": {
      const a = get(nA, initFull(shape, f.a, jit, "mul"), { positive: true, cell });
      const b = get(nB, initFull(shape, f.b, jit, "mul"), { positive: true, cell });
      return f.kind === "beta" ? new Beta(a, b, false) : new ScribeBetaPrime(a, b);
    }
    case "lognormal": {
      const l0 = f.geneLoc ? geneLocTensor(f.geneLoc, shape) : f.loc;
      const loc = get(nA, opts.initLoc ?? initFull(shape, l0, jit, "add"), { cell });
      const scale = get(nB, full(shape, f.scale), { positive: true, cell });
      return new LogNormal(loc, scale, false);
    }
    case "normal":
    case "tnormal": {
      const l0 =
        f.kind === "tnormal" && f.geneLoc ? geneLocTensor(f.geneLoc, shape) : refLoc(cfg, specs, f.loc);
      const s0 = typeof f.scale === "number" ? f.scale : refLoc(cfg, specs, f.scale) || 1;
      const loc = get(nA, opts.initLoc ?? initFull(shape, l0, jit, "add"), { cell });
      const scale = get(nB, full(shape, s0), { positive: true, cell });
      return f.kind === "normal"
        ? new Normal(loc, scale, false)
        : new TransformedNormal(loc, scale, f.transform);
    }
    case "dirichlet": {
      // [K], or [D, K] for per-dataset mixing weights (models/datasets.ts)
      const c = get(nA, full(shape, 0).add(f.concentration[0]!), { positive: true });
      return new Dirichlet(c, false);
    }
    case "halfcauchy":
    case "invgamma":
    case "gamma": {
      const loc = get(nA, full(shape, softplusInv(1)), {});
      const scale = get(nB, full(shape, 0.1), { positive: true });
      return new TransformedNormal(loc, scale, "softplus");
    }
    case "eta": {
      const loc = get(nA, opts.initLoc ?? full(shape, softplusInv(f.logM0)), { cell });
      const scale = get(nB, full(shape, f.sigma), { positive: true, cell });
      return new TransformedNormal(loc, scale, "softplus");
    }
  }
}

/** The names of the low-rank factor's parameters: `log_{name}_*` for LogNormal priors, `{name}_*` for Normal + transform. */
export function lowRankParamNames(spec: SiteSpec): { loc: string; W: string; rawDiag: string } {
  const prefix = spec.family.kind === "lognormal" ? `log_${spec.name}` : spec.name;
  return { loc: `${prefix}_loc`, W: `${prefix}_W`, rawDiag: `${prefix}_raw_diag` };
}

/**
 * The low-rank factor of the gene parameter (SCRIBE guides): a LowRankMultivariateNormal over the
 * unconstrained values (loc 0 — or the per-gene prior location when the site has one, the
 * TwoState mu anchor, or `opts.initLoc`, the k-means start of a mixture —, factor W = 0.01,
 * diag = softplus(raw) + 1e−4 with raw = −3), pushed through exp (LogNormal priors) or the
 * parameter's transform. Names from {@link lowRankParamNames}.
 *
 * Leading axes of the site (the component axis K of a mixture parameter [K, G]) are batch
 * dims of the normal promoted to event dims, as SCRIBE's guides do: the factor then has
 * batch shape [] and event shape [K, G], one joint density for the whole site, so the ELBO
 * compares it with the model's prior by log p − log q (there is no closed-form KL between a
 * low-rank normal and a product of LogNormals), exactly as without a mixture.
 */
export function lowRankFactor(
  spec: SiteSpec,
  rank: number,
  get: ParamGetter,
  opts: { initLoc?: Tensor | undefined } = {},
): Distribution {
  const f = spec.family;
  if (f.kind !== "lognormal" && f.kind !== "tnormal")
    throw new Error(
      `guideRank: site '${spec.name}' has a ${f.kind} prior; the low-rank guide needs a LogNormal or Normal+transform prior`,
    );
  const names = lowRankParamNames(spec);
  const shape = [...spec.shape];
  const loc0 = opts.initLoc ?? (f.geneLoc ? geneLocTensor(f.geneLoc, shape) : full(shape, 0));
  const loc = get(names.loc, loc0, {});
  const W = get(names.W, full([...shape, rank], 0.01), {});
  const raw = get(names.rawDiag, full(shape, -3), {});
  const mvn = new LowRankMultivariateNormal(loc, W, softplus(raw).add(1e-4), false);
  const lead = shape.length - 1;
  const base = lead > 0 ? mvn.toEvent(lead) : mvn;
  const t = f.kind === "lognormal" ? new ExpTransform() : makeTransform(f.transform);
  return new TransformedDistribution(base, t, false);
}
