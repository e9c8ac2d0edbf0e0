/**
 * Capture scaling (SCRIBE `priors={"capture_scaling": family}`, see docs/SOURCES.md): the
 * biology-informed capture prior η_c ~ TruncatedNormal(log M₀ − log L_c, σ_M, low 0) gets a
 * latent location in place of log M₀. One dataset: a scalar `mu_eta` ~ N(log M₀, σ_μ = 1).
 * Several datasets (`datasets.ts`), non-centred: `mu_eta_pop` ~ N(log M₀, σ_μ), `mu_eta_raw`
 * [D] ~ N(0, 1) and mu_eta_d = pop + s·raw_d, with s = softplus(N(−2, 0.5)) (`mu_eta_scale`,
 * gaussian), the horseshoe's effective scale τ·c·λ_d/√(c² + τ²λ_d²) (`tau_mu_eta`,
 * `lambda_mu_eta`, `c_sq_mu_eta`) or √ψ_d (NEG: `zeta_mu_eta`, `psi_mu_eta`); the model emits
 * mu_eta [D] as a deterministic site. Each cell's η prior then uses its dataset's mu_eta.
 * @module
 */
import { add, div, mul, sqrt, square, type Tensor } from "@scribe/core";
import type { ModelConfig } from "./config.js";
import type { SiteSpec } from "./sites.js";

/** SCRIBE's σ_μ of the mu_eta prior. */
export const MU_ETA_SIGMA = 1;

/** The capture-scaling sites (none without `priors.capture_scaling`). */
export function captureScalingSites(cfg: ModelConfig, out: SiteSpec[]): void {
  const h = cfg.priors.captureScaling;
  const cap = cfg.priors.capture;
  if (!h || !cap) return;
  const hyper = (name: string, shape: number[], family: SiteSpec["family"]): void => {
    out.push({ name, shape, cell: false, family, role: "hyper" });
  };
  const D = cfg.datasets?.n ?? 1;
  if (D < 2) {
    hyper("mu_eta", [], { kind: "normal", loc: cap.logM0, scale: MU_ETA_SIGMA });
    return;
  }
  hyper("mu_eta_pop", [], { kind: "normal", loc: cap.logM0, scale: MU_ETA_SIGMA });
  if (h.family === "gaussian")
    hyper("mu_eta_scale", [], { kind: "tnormal", loc: -2, scale: 0.5, transform: "softplus" });
  else if (h.family === "horseshoe") {
    hyper("tau_mu_eta", [], { kind: "halfcauchy", scale: h.tau0 });
    hyper("lambda_mu_eta", [D], { kind: "halfcauchy", scale: 1 });
    hyper("c_sq_mu_eta", [], { kind: "invgamma", a: h.slabDf / 2, b: (h.slabDf * h.slabScale ** 2) / 2 });
  } else {
    hyper("zeta_mu_eta", [D], { kind: "gamma", conc: h.a, rate: h.tau });
    hyper("psi_mu_eta", [D], { kind: "gamma", conc: h.u, rate: "zeta_mu_eta" });
  }
  hyper("mu_eta_raw", [D], { kind: "normal", loc: 0, scale: 1 });
}

/**
 * The location of the η prior from the latent values: the scalar `mu_eta`, or mu_eta_d [D]
 * (non-centred, see the module notes); null without capture scaling.
 */
export function muEtaValue(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): Tensor | null {
  const h = cfg.priors.captureScaling;
  if (!h || !cfg.priors.capture) return null;
  if ((cfg.datasets?.n ?? 1) < 2) return values.mu_eta ?? null;
  const need = (n: string): Tensor => {
    const v = values[n];
    if (!v) throw new Error(`capture scaling: no value for site '${n}'`);
    return v;
  };
  let eff: Tensor;
  if (h.family === "gaussian") eff = need("mu_eta_scale");
  else if (h.family === "horseshoe") {
    const tau = need("tau_mu_eta");
    const lam = need("lambda_mu_eta");
    const cSq = need("c_sq_mu_eta");
    eff = div(mul(mul(tau, sqrt(cSq)), lam), sqrt(add(cSq, square(mul(tau, lam)))));
  } else eff = sqrt(need("psi_mu_eta"));
  return add(need("mu_eta_pop"), mul(eff, need("mu_eta_raw")));
}
