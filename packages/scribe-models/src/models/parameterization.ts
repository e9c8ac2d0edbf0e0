/**
 * Parameterization identities (SCRIBE NB parameterizations, code convention mean = r·p/(1−p)): from the two
 * sampled core parameters, derive the other two, for any number of leading (sample) axes.
 *
 * | parameterization | sampled | derived |
 * | --- | --- | --- |
 * | canonical | p, r | mu = r·p/(1−p), phi = (1−p)/p |
 * | mean_prob | p, mu | r = mu·(1−p)/p, phi = (1−p)/p |
 * | mean_odds | phi, mu | p = 1/(1+phi), r = mu·phi |
 * | mean_disp | mu, r | p = mu/(mu+r), phi = r/mu |
 * @module
 */
import { add, div, exp, mul, reciprocal, sigmoid, softplus, sub, type Tensor } from "@scribe/core";
import type { CoreParam, ModelConfig } from "./config.js";
import { transformOf } from "./config.js";
import type { HierarchySpec } from "./priors.js";
import { shrunkValue } from "./shrinkage.js";
import { coreShape, hierarchyNames, isGeneLevel } from "./sites.js";
import type { TransformName } from "./transformed-normal.js";

/** Whether a parameter carries a component axis and a gene axis. */
export interface ParamAxes {
  readonly hasK: boolean;
  readonly hasG: boolean;
}

/** The four NB parameters (and gate) of a draw. */
export interface CoreValues {
  p: Tensor;
  r: Tensor;
  mu: Tensor;
  phi: Tensor;
  gate?: Tensor;
  /** BNB excess-dispersion fraction ω (SCRIBE BNB overdispersion), per gene. */
  bnb?: Tensor;
}

/** Axes of p, r, mu, phi and gate under a configuration (derived params inherit from inputs). */
export function paramAxes(cfg: ModelConfig): Record<CoreParam, ParamAxes> {
  const mix = cfg.nComponents > 1;
  const own = (n: CoreParam): ParamAxes => ({
    hasK: mix && cfg.mixtureParams.includes(n),
    hasG: isGeneLevel(cfg, n),
  });
  const [a, b] = cfg.sampledCore;
  if (a === undefined || b === undefined)
    throw new Error(
      `paramAxes: parameterization samples ${cfg.sampledCore.length} core params, expected at least 2`,
    );
  const both: ParamAxes = { hasK: own(a).hasK || own(b).hasK, hasG: own(a).hasG || own(b).hasG };
  const out = {} as Record<CoreParam, ParamAxes>;
  for (const n of ["p", "r", "mu", "phi"] as const) out[n] = cfg.sampledCore.includes(n) ? own(n) : both;
  const probLike = cfg.sampledCore.find((c) => c === "p" || c === "phi");
  // p and phi are functions of each other only (unless mean_disp)
  if (probLike) {
    const other = probLike === "p" ? "phi" : "p";
    out[other] = own(probLike);
  }
  out.gate = cfg.zeroInflated ? own("gate") : { hasK: false, hasG: true };
  return out;
}

/** Insert `n` unit axes right after the `lead` leading axes. */
export function liftAxes(x: Tensor, lead: number, n: number): Tensor {
  if (n <= 0) return x;
  const s = [...x.shape];
  return x.reshape([...s.slice(0, lead), ...new Array<number>(n).fill(1), ...s.slice(lead)]);
}

/** Bring a natural-shaped value ([lead…, K?, G?]) onto the grid [lead…, K|1, G|1] (mixtures) or [lead…, G|1]. */
export function toGrid(x: Tensor, axes: ParamAxes, mixture: boolean): Tensor {
  const nat = (axes.hasK ? 1 : 0) + (axes.hasG ? 1 : 0);
  const lead = x.rank - nat;
  let y = x;
  if (!axes.hasG) y = y.reshape([...y.shape, 1]);
  if (mixture && !axes.hasK) y = liftAxes(y, lead, 1);
  return y;
}

/**
 * Drop the unit grid axes a parameter does not have (inverse of {@link toGrid}). `lead`: the
 * leading axes the caller knows of; any further ones (an enclosing plate's, such as vectorized
 * particles) are kept as well, since the grid's own axes are always its last one or two.
 */
export function fromGrid(x: Tensor, axes: ParamAxes, mixture: boolean, lead: number): Tensor {
  const s = [...x.shape];
  const gridRank = mixture ? 2 : 1;
  if (x.rank < lead + gridRank)
    throw new Error(`fromGrid: a grid value of shape [${s}] has fewer than ${lead} leading axes`);
  const outerRank = x.rank - gridRank;
  const out = s.slice(0, outerRank);
  if (mixture && axes.hasK) out.push(s[outerRank]!);
  if (axes.hasG) out.push(s[s.length - 1]!);
  return x.reshape(out);
}

function applyTransform(x: Tensor, t: TransformName): Tensor {
  return t === "sigmoid" ? sigmoid(x) : t === "softplus" ? softplus(x) : t === "exp" ? exp(x) : x;
}

/** Value of a sampled core parameter from the latent values (non-centred hierarchies resolved). */
export function coreValue(
  cfg: ModelConfig,
  name: CoreParam,
  values: Readonly<Record<string, Tensor>>,
): Tensor {
  const h =
    name === cfg.geneParam
      ? cfg.priors.hierarchy.expression
      : name === "gate"
        ? cfg.priors.hierarchy.gate
        : cfg.sampledCore.includes(name)
          ? cfg.priors.hierarchy.prob
          : undefined;
  if (!h || h.family === "gaussian") {
    const v = values[name];
    if (!v) throw new Error(`no value for site '${name}'`);
    return v;
  }
  return ncpValue(values, name, h, transformOf(cfg, name), coreShape(cfg, name).length);
}

/**
 * The value of a non-centred horseshoe / NEG site (SCRIBE gene-level hierarchies):
 * T(loc + eff ⊙ z) with z = `{name}_raw`, eff = τ·c·λ/√(c² + τ²λ²) (horseshoe) or √ψ (NEG), and
 * the population location `{log|logit}_{name}_loc`; `natRank` is the rank of one draw
 * (values may carry leading sample axes).
 */
export function ncpValue(
  values: Readonly<Record<string, Tensor>>,
  name: string,
  h: HierarchySpec,
  T: TransformName,
  natRank: number,
): Tensor {
  if (h.family === "gaussian")
    throw new Error(`'${name}': the gaussian hierarchy is centred (no ${name}_raw)`);
  return applyTransform(shrunkValue(values, name, hierarchyNames(name).loc, h, natRank), T);
}

/**
 * All four NB parameters (and gate) on the common grid, from the latent values of one or many
 * draws (any number of leading axes).
 * @example
 * const { p, r, mu } = gridParams(cfg, { p: tensor(0.3), r: tensor([1, 2]) }); // canonical
 */
export function gridParams(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): CoreValues {
  const mix = cfg.nComponents > 1;
  const axes = paramAxes(cfg);
  const g = (n: CoreParam) => toGrid(coreValue(cfg, n, values), axes[n], mix);
  let p: Tensor;
  let r: Tensor;
  let mu: Tensor;
  let phi: Tensor;
  switch (cfg.parameterization) {
    case "canonical":
      p = g("p");
      r = g("r");
      mu = div(mul(r, p), sub(1, p));
      phi = div(sub(1, p), p);
      break;
    case "mean_prob":
      p = g("p");
      mu = g("mu");
      r = div(mul(mu, sub(1, p)), p);
      phi = div(sub(1, p), p);
      break;
    case "mean_odds":
      phi = g("phi");
      mu = g("mu");
      p = reciprocal(add(phi, 1));
      r = mul(mu, phi);
      break;
    case "mean_disp":
      mu = g("mu");
      r = g("r");
      p = div(mu, add(mu, r));
      phi = div(r, mu);
      break;
    default:
      throw new Error(
        `${cfg.modelType} (${cfg.parameterization}) has no NB parameters p, r, phi; see twoStateDerived / twoStateGrid`,
      );
  }
  const out: CoreValues = { p, r, mu, phi };
  if (cfg.zeroInflated) out.gate = g("gate");
  const omega = bnbConcentration(cfg, values);
  if (omega) out.bnb = toGrid(omega, GENE_ONLY, mix);
  return out;
}

const GENE_ONLY: ParamAxes = { hasK: false, hasG: true };

/**
 * SCRIBE's BNB excess-dispersion fraction ω_g (SCRIBE BNB overdispersion) from the latent values, [lead…, G]:
 * the site itself (gaussian hierarchy, or a derived draw that already holds it), else the
 * non-centred horseshoe / NEG value softplus(loc + eff·z). Null without BNB.
 */
export function bnbConcentration(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): Tensor | null {
  const h = cfg.priors.overdispersion;
  if (cfg.overdispersion !== "bnb" || !h) return null;
  const v = values.bnb_concentration;
  if (v) return v;
  if (h.family === "gaussian") throw new Error("no value for site 'bnb_concentration'");
  return ncpValue(values, "bnb_concentration", h, "softplus", 1);
}

/** Like {@link gridParams}, with each parameter in its natural shape ([lead…, K?, G?]). */
export function naturalParams(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  lead: number,
): CoreValues {
  const grid = gridParams(cfg, values);
  const axes = paramAxes(cfg);
  const mix = cfg.nComponents > 1;
  const out: CoreValues = {
    p: fromGrid(grid.p, axes.p, mix, lead),
    r: fromGrid(grid.r, axes.r, mix, lead),
    mu: fromGrid(grid.mu, axes.mu, mix, lead),
    phi: fromGrid(grid.phi, axes.phi, mix, lead),
  };
  if (grid.gate) out.gate = fromGrid(grid.gate, axes.gate, mix, lead);
  if (grid.bnb) out.bnb = fromGrid(grid.bnb, GENE_ONLY, mix, lead);
  return out;
}
