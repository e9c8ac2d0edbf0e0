/**
 * The two-state promoter models `twostate` / `twostatevcp` (SCRIBE two-state models): per gene, a
 * Poisson–Beta compound q_cg ~ Beta(α_g, β_g), u_cg | q ~ Poisson(r̂_g·q_cg·ν_c) (ν_c ≡ 1
 * without capture). Every parameterization samples the gene mean mu plus two per-gene extras
 * and maps them to (α, β, r̂):
 *
 * | parameterization | extras | natural map |
 * | --- | --- | --- |
 * | two_state_natural | burst_size b, k_off | α = mu/b, β = k_off, r̂ = mu + b·k_off |
 * | two_state_ratio | burst_size b, switching_ratio s | k_on = mu/b, α = k_on, β = s·k_on, r̂ = mu(1+s) |
 * | two_state_mean_fano | excess_fano e, concentration κ | D = mu + e(κ+1), α = κ·mu/D, β = κ·e(κ+1)/D, r̂ = D |
 * | two_state_moment_delta | excess_fano e, inv_concentration δ | D = mu·δ + e, α = mu(1−δ)/D, β = e(1−δ)/(δD), r̂ = D/δ |
 *
 * Safety clamps, in this order: b ≥ 1e−4, δ ∈ [1e−6, 1 − 1e−6], D ≥ 1e−8, α and β clipped to
 * [0.05, 1000]; then r̂ = mu·(α+β)/α, which keeps E[u] = r̂·α/(α+β) = mu whether or not a clamp
 * fired (and equals the natural r̂ when none did).
 *
 * This module holds the maps, the deterministic sites, the data-driven mu anchor and the
 * predictive sampler; the likelihood is `PoissonBeta` from `@scribe/distributions` (see
 * `likelihood/two-state.ts` for the per-cell / per-gene log-likelihood of fitted draws).
 * @module
 */
import {
  add,
  clamp,
  div,
  exp,
  floor,
  type Key,
  log,
  lt,
  maximum,
  mul,
  random,
  reciprocal,
  splitKey,
  sub,
  type Tensor,
  zerosLike,
} from "@scribe/core";
import { NegativeBinomialProbs, PoissonBeta } from "@scribe/distributions";
import type { TwoStateParams } from "../likelihood/two-state.js";
import {
  type CoreParam,
  type ModelConfig,
  sampledCoreParams,
  TWO_STATE_DEFAULT_NODES,
  type TwoStateParameterization,
  transformOf,
} from "./config.js";
import { coreValue, fromGrid, type ParamAxes, toGrid } from "./parameterization.js";
import { isGeneLevel } from "./sites.js";

/** The numerical limits of the TwoState maps (SCRIBE two-state models). */
export const TWO_STATE_LIMITS = {
  /** Lower bound of the burst size b. */
  burstMin: 1e-4,
  /** Lower bound of the denominator D (mean-Fano and moment-delta). */
  denomMin: 1e-8,
  /** α is clipped to [alphaMin, alphaMax]. */
  alphaMin: 0.05,
  alphaMax: 1000,
  /** β is clipped to [betaMin, betaMax]. */
  betaMin: 0.05,
  betaMax: 1000,
  /** δ is clipped to [deltaEps, 1 − deltaEps]. */
  deltaEps: 1e-6,
} as const;

/** Output of {@link twoStateForward}: everything broadcast to a common shape. */
export interface TwoStateMap {
  /** Beta shapes after the clamps, and the mean-preserving rate r̂ = mu(α+β)/α. */
  alpha: Tensor;
  beta: Tensor;
  rHat: Tensor;
  /** mu/α: the burst size implied by the (clamped) α. */
  effectiveBurstSize: Tensor;
  /** log α − log β (activation log-odds). */
  etaAct: Tensor;
  /** The unclamped α fell below the floor (bool). */
  alphaFloorActive: Tensor;
  /** The unclamped β fell below the floor (bool). */
  betaFloorActive: Tensor;
  /** Derived sites of the parameterization: k_off (ratio, mean_fano, moment_delta), burst_size (mean_fano, moment_delta), concentration (moment_delta). */
  derived: Partial<Record<"k_off" | "burst_size" | "concentration", Tensor>>;
}

/**
 * The forward map of a TwoState parameterization, from mu and its two extras (in the order of
 * `sampledCoreParams`: burst_size & k_off, burst_size & switching_ratio, excess_fano &
 * concentration, excess_fano & inv_concentration) to (α, β, r̂) with the clamps of the SCRIBE two-state models.
 * Inputs broadcast.
 * @example
 * const m = twoStateForward("two_state_natural", tensor([10]), tensor([2]), tensor([4]));
 * // α = 5, β = 4, r̂ = 10 + 2·4 = 18
 */
export function twoStateForward(
  param: TwoStateParameterization,
  mu: Tensor,
  x1: Tensor,
  x2: Tensor,
): TwoStateMap {
  const L = TWO_STATE_LIMITS;
  let alphaRaw: Tensor;
  let betaRaw: Tensor;
  const derived: TwoStateMap["derived"] = {};
  switch (param) {
    case "two_state_natural": {
      const b = clamp(x1, L.burstMin);
      alphaRaw = div(mu, b);
      betaRaw = x2;
      break;
    }
    case "two_state_ratio": {
      const b = clamp(x1, L.burstMin);
      alphaRaw = div(mu, b); // k_on
      betaRaw = mul(x2, alphaRaw); // k_off = s·k_on
      break;
    }
    case "two_state_mean_fano": {
      const kappa = x2;
      const ek = mul(x1, add(kappa, 1)); // e(κ+1)
      const D = clamp(add(mu, ek), L.denomMin);
      alphaRaw = div(mul(kappa, mu), D);
      betaRaw = div(mul(kappa, ek), D);
      break;
    }
    case "two_state_moment_delta": {
      const delta = clamp(x2, L.deltaEps, 1 - L.deltaEps);
      const omd = sub(1, delta);
      const D = clamp(add(mul(mu, delta), x1), L.denomMin);
      alphaRaw = div(mul(mu, omd), D);
      betaRaw = div(mul(x1, omd), mul(delta, D));
      derived.concentration = div(omd, delta);
      break;
    }
  }
  const alpha = clamp(alphaRaw, L.alphaMin, L.alphaMax);
  const beta = clamp(betaRaw, L.betaMin, L.betaMax);
  const rHat = div(mul(mu, add(alpha, beta)), alpha);
  const effectiveBurstSize = div(mu, alpha);
  if (param !== "two_state_natural") derived.k_off = beta;
  if (param === "two_state_mean_fano" || param === "two_state_moment_delta")
    derived.burst_size = effectiveBurstSize;
  // broadcast every output to the common shape
  const shape = rHat.shape;
  const bc = (t: Tensor) =>
    t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : t.expand([...shape]);
  for (const k of Object.keys(derived) as (keyof TwoStateMap["derived"])[]) derived[k] = bc(derived[k]!);
  return {
    alpha: bc(alpha),
    beta: bc(beta),
    rHat,
    effectiveBurstSize: bc(effectiveBurstSize),
    etaAct: bc(sub(log(alpha), log(beta))),
    alphaFloorActive: bc(lt(alphaRaw, L.alphaMin)),
    betaFloorActive: bc(lt(betaRaw, L.betaMin)),
    derived,
  };
}

/** Component/gene axes of a TwoState parameter (every one is per gene). */
function axesOf(cfg: ModelConfig, name: CoreParam): ParamAxes {
  return { hasK: cfg.nComponents > 1 && cfg.mixtureParams.includes(name), hasG: isGeneLevel(cfg, name) };
}

/** Whether any TwoState parameter carries the component axis (then so do α, β, r̂). */
function derivedAxes(cfg: ModelConfig): ParamAxes {
  return {
    hasK: cfg.nComponents > 1 && cfg.sampledCore.some((n) => cfg.mixtureParams.includes(n)),
    hasG: true,
  };
}

/** (α, β, r̂) on the grid [lead…, K|1, G] (mixtures) or [lead…, G], from latent values with `lead` leading axes. */
export interface TwoStateGrid {
  readonly alpha: Tensor;
  readonly beta: Tensor;
  readonly rHat: Tensor;
}

function gridMap(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): TwoStateMap {
  const param = cfg.parameterization as TwoStateParameterization;
  const [, e1, e2] = sampledCoreParams(param) as [CoreParam, CoreParam, CoreParam];
  const mix = cfg.nComponents > 1;
  const g = (n: CoreParam) => toGrid(coreValue(cfg, n, values), axesOf(cfg, n), mix);
  return twoStateForward(param, g("mu"), g(e1), g(e2));
}

/** (α, β, r̂) of latent values on the common grid, as the observation distribution needs them. */
export function twoStateGrid(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): TwoStateGrid {
  const m = gridMap(cfg, values);
  return { alpha: m.alpha, beta: m.beta, rHat: m.rHat };
}

/** Names of the deterministic sites of a TwoState model (SCRIBE two-state models), in emission order. */
export function twoStateDeterministicNames(cfg: ModelConfig): string[] {
  const p = cfg.parameterization;
  const out: string[] = [];
  if (p !== "two_state_natural") out.push("k_off");
  if (p === "two_state_mean_fano" || p === "two_state_moment_delta") out.push("burst_size");
  if (p === "two_state_moment_delta") out.push("concentration");
  out.push(
    "k_on",
    "alpha",
    "beta",
    "r_hat",
    "eta_act",
    "effective_burst_size",
    "alpha_floor_active",
    "beta_floor_active",
  );
  return out;
}

/**
 * The derived TwoState quantities of latent values with `lead` leading (sample) axes, in their
 * natural shapes [lead…, K?, G]: `mu` (resolved through any hierarchy), `k_on`, `alpha`,
 * `beta`, `r_hat`, `eta_act`, `effective_burst_size`, `alpha_floor_active`,
 * `beta_floor_active`, and `k_off` / `burst_size` / `concentration` when the parameterization
 * derives them.
 * @example
 * const d = twoStateDerived(cfg, { mu, burst_size, k_off }, 0); // d.alpha, d.r_hat, …
 */
export function twoStateDerived(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  lead: number,
): Record<string, Tensor> {
  if (cfg.family !== "two_state")
    throw new Error(`twoStateDerived: ${cfg.modelType} is not a TwoState model`);
  const m = gridMap(cfg, values);
  const mix = cfg.nComponents > 1;
  const ax = derivedAxes(cfg);
  const nat = (t: Tensor) => fromGrid(t, ax, mix, lead);
  const out: Record<string, Tensor> = { mu: coreValue(cfg, "mu", values) };
  for (const [k, v] of Object.entries(m.derived)) out[k] = nat(v);
  out.k_on = nat(m.alpha);
  out.alpha = out.k_on;
  out.beta = nat(m.beta);
  out.r_hat = nat(m.rHat);
  out.eta_act = nat(m.etaAct);
  out.effective_burst_size = nat(m.effectiveBurstSize);
  out.alpha_floor_active = nat(m.alphaFloorActive);
  out.beta_floor_active = nat(m.betaFloorActive);
  return out;
}

/**
 * The Poisson–Beta parameters of one parameter draw (natural shapes, no sample axis) in the
 * form of `twoStateLogLikelihood`: α, β, r̂ (taken from the draw, or computed from its latent
 * sites), p_capture and the mixing weights.
 */
export function twoStateDrawParams(cfg: ModelConfig, draw: Readonly<Record<string, Tensor>>): TwoStateParams {
  const d = draw.alpha && draw.beta && draw.r_hat ? draw : twoStateDerived(cfg, draw, 0);
  return {
    alpha: d.alpha!,
    beta: d.beta!,
    rHat: d.r_hat!,
    ...(draw.p_capture ? { pCapture: draw.p_capture } : {}),
    ...(cfg.nComponents > 1 ? { mixingWeights: draw.mixing_weights! } : {}),
  };
}

/** Options of {@link twoStateMuPriorLoc}. */
export interface MuAnchorOptions {
  /** Lower clamp of mean/ν̄ before the inverse transform (default 1e−3). */
  floor?: number;
  /** Upper clamp (default 1e6). */
  ceil?: number;
}

/**
 * The prior mean of the per-cell capture probability used by the mu anchor: 1 without capture;
 * mean(L_c)/M₀ under the biology-informed prior (0.5 when that falls outside (0, 1));
 * α/(α+β) of a flat Beta prior (constrained) or sigmoid(loc) of a flat sigmoid-normal prior
 * (unconstrained); 0.5 for the default flat priors.
 */
export async function twoStateMeanCapture(cfg: ModelConfig, counts: Tensor): Promise<number> {
  if (!cfg.variableCapture) return 1;
  if (cfg.priors.capture) {
    const totals = (await counts.sum(-1).data()) as ArrayLike<number>;
    let s = 0;
    for (let i = 0; i < totals.length; i++) s += Math.max(Number(totals[i]), 1);
    const m = s / totals.length / Math.exp(cfg.priors.capture.logM0);
    return m > 0 && m < 1 ? m : 0.5;
  }
  const [a, b] = cfg.priors.base.p_capture ?? [1, 1];
  return cfg.unconstrained ? 1 / (1 + Math.exp(-a)) : a / (a + b);
}

/**
 * The data-driven prior location of mu (SCRIBE two-state models, upstream `twostate_data_init.py`):
 * per gene T⁻¹(clip(mean_c(u_cg)/ν̄, 1e−3, 1e6)) with ν̄ from {@link twoStateMeanCapture}
 * (floored at 1e−4) and T⁻¹ = log (LogNormal prior or exp transform) or softplus⁻¹.
 * @example
 * const cfg = makeConfig("twostate", { nCells, nGenes, parameterization: "natural" });
 * const loc = await twoStateMuPriorLoc(cfg, counts); // pass as muPriorLoc
 */
export async function twoStateMuPriorLoc(
  cfg: ModelConfig,
  counts: Tensor,
  opts: MuAnchorOptions = {},
): Promise<number[]> {
  const [C, G] = counts.shape as [number, number];
  const floor = opts.floor ?? 1e-3;
  const ceil = opts.ceil ?? 1e6;
  // the sums are taken on the counts' backend before any await; read back once, before a fit
  const sums = counts.sum(0);
  const nu = Math.max(await twoStateMeanCapture(cfg, counts), 1e-4);
  const means = (await sums.data()) as ArrayLike<number>;
  const softplus = cfg.unconstrained && transformOf(cfg, "mu") === "softplus";
  const out: number[] = [];
  for (let g = 0; g < G; g++) {
    const m = Math.min(Math.max(Number(means[g]) / C / nu, floor), ceil);
    out.push(softplus ? m + Math.log(-Math.expm1(-m)) : Math.log(m));
  }
  return out;
}

/**
 * One predictive count matrix [C, G] from one parameter draw (natural shapes, no sample axis)
 * holding alpha, beta, r_hat (and mixing_weights, p_capture): mixtures draw a component per
 * cell, then q ~ Beta(α, β) and u ~ Poisson(r̂·q·ν) independently per (cell, gene). With
 * `biological`, capture is stripped (ν = 1).
 */
export function twoStatePredictiveDraw(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
  k: Key,
  biological = false,
): Tensor {
  const C = cfg.nCells;
  const G = cfg.nGenes;
  const [kz, ku] = splitKey(k, 2) as [Key, Key];
  const d = draw.alpha && draw.beta && draw.r_hat ? draw : twoStateDerived(cfg, draw, 0);
  const z = cfg.nComponents > 1 ? random.categorical(kz, log(draw.mixing_weights!), [C]) : null;
  const perCell = (x: Tensor) => (x.rank === 2 && z ? x.index(z) : x.reshape([1, G]).expand([C, G]));
  const nu = !biological && draw.p_capture ? draw.p_capture.reshape([C, 1]) : 1;
  return new PoissonBeta(perCell(d.alpha!), perCell(d.beta!), perCell(d.r_hat!), nu, {
    validateArgs: false,
  }).sample(ku);
}

/** Moments of the Poisson–Beta compound: E[u] = λα/(α+β), Var[u] = E + λ²αβ/((α+β)²(α+β+1)) with λ = r̂ν. */
export function twoStateMoments(
  alpha: Tensor,
  beta: Tensor,
  rHat: Tensor,
  nu: Tensor | number = 1,
): { mean: Tensor; variance: Tensor } {
  const lam = mul(rHat, nu);
  const s = add(alpha, beta);
  const mean = div(mul(lam, alpha), s);
  const variance = add(
    mean,
    mul(mul(mul(lam, lam), mul(alpha, beta)), reciprocal(mul(mul(s, s), add(s, 1)))),
  );
  return { mean, variance };
}

/** A denoising summary (as in `results/denoise.ts`). */
export type TwoStateDenoiseMethod = "mean" | "mode" | "sample";

/**
 * Denoised counts of the TwoState models for one parameter draw (SCRIBE results denoising; "TwoState
 * uses GL quadrature over q"). With capture ν_c, the uncaptured counts d = m − u are, given
 * q, Poisson(r̂(1−ν)q) and independent of the observed u, and q | u has density
 * ∝ Beta(q | α, β)·q^u·e^(−r̂νq). Its moments are ratios of Poisson–Beta probabilities,
 * E[q | u] = (u+1)/λ · P(u+1)/P(u) and E[q² | u] = (u+1)(u+2)/λ² · P(u+2)/P(u) with λ = r̂ν, so
 * with ρ = (1−ν)/ν:
 *
 *   E[m | u] = u + ρ(u+1)R₁,   Var[m | u] = ρ(u+1)R₁ + ρ²((u+1)(u+2)R₂ − (u+1)²R₁²),
 *
 * R_j = P(u+j)/P(u) from the quadrature of `PoissonBeta`. "mean" returns E[m | u]; "sample" and
 * "mode" use the negative binomial for d with that mean and variance (exact in the NB limit,
 * moment-matched otherwise). Without capture the counts are returned unchanged (variance 0).
 *
 * `pick` chooses the component of a mixture: a component index for every cell, per-cell
 * indices int32 [C], or null (no mixture). Returns [C, G] tensors.
 */
export function twoStateDenoiseCells(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  pick: Tensor | number | null,
  method: TwoStateDenoiseMethod,
  k: Key,
): { denoised: Tensor; variance: Tensor } {
  const [C, G] = counts.shape as [number, number];
  const d = draw.alpha && draw.beta && draw.r_hat ? draw : twoStateDerived(cfg, draw, 0);
  const onGrid = (x: Tensor): Tensor => {
    if (x.rank === 2 && typeof pick === "number") return x.slice([pick, 0], [pick + 1, G]);
    if (x.rank === 2 && pick !== null) return x.index(pick as Tensor);
    if (x.rank === 2) throw new Error("twoStateDenoiseCells: a mixture draw needs a component pick");
    return x.reshape([1, G]);
  };
  if (!draw.p_capture) return { denoised: counts, variance: zerosLike(counts) };
  const nu = clamp(draw.p_capture.reshape([C, 1]), 1e-6, 1);
  const pb = new PoissonBeta(onGrid(d.alpha!), onGrid(d.beta!), onGrid(d.r_hat!), nu, {
    numNodes: cfg.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
    validateArgs: false,
  });
  const lp0 = pb.logProb(counts);
  const r1 = exp(sub(pb.logProb(add(counts, 1)), lp0));
  const r2 = exp(sub(pb.logProb(add(counts, 2)), lp0));
  const rho = div(sub(1, nu), nu);
  const u1 = add(counts, 1);
  const ed = mul(mul(rho, u1), r1);
  const extra = maximum(
    mul(mul(rho, rho), sub(mul(mul(u1, add(counts, 2)), r2), mul(mul(u1, u1), mul(r1, r1)))),
    0,
  );
  const variance = add(ed, extra);
  if (method === "mean") return { denoised: add(counts, ed), variance };
  // NB(r_d, p_d) for d with mean ed and variance ed + extra (code convention: mean r·p/(1−p))
  const ex = maximum(extra, mul(add(ed, 1e-12), 1e-8));
  const p = div(ex, add(ed, ex));
  const r = div(mul(ed, ed), ex);
  if (method === "mode")
    return { denoised: add(counts, floor(div(mul(maximum(sub(r, 1), 0), p), sub(1, p)))), variance };
  if (method !== "sample")
    throw new Error(`denoise: unknown method ${JSON.stringify(method)}; expected "mean", "mode" or "sample"`);
  const dSample = new NegativeBinomialProbs(add(r, 1e-8), clamp(p, 0, 1 - 1e-6), false).sample(k);
  return { denoised: add(counts, dSample), variance };
}
