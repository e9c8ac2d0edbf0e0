/**
 * Point estimates of MCMC results (SCRIBE's MCMC results `get_map`, see docs/SOURCES.md): the
 * stored draw with the lowest potential energy (−log joint density in the unconstrained
 * space, as NUTS recorded it), so that every site, latent and derived, comes from one
 * consistent draw; the posterior mean of each site when no potential energy was recorded (or
 * on request).
 * @module
 */
import type { Tensor } from "@scribe/core";
import { drawAt, sampleCount } from "./log-likelihood.js";

/** Which point estimate MCMC results give: the lowest-potential-energy draw (default) or the mean. */
export type McmcEstimate = "minPotential" | "mean";

/**
 * The index of the draw with the lowest finite potential energy, or -1 when none is finite
 * (the energies live on the host: no readback).
 * @example
 * minPotentialDraw(Float64Array.from([3, 1, NaN, 2])); // 1
 */
export function minPotentialDraw(potentialEnergy: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < potentialEnergy.length; i++) {
    const e = potentialEnergy[i]!;
    if (Number.isFinite(e) && (best < 0 || e < potentialEnergy[best]!)) best = i;
  }
  return best;
}

/**
 * A point estimate of every site of MCMC draws [S, …]: the draw with the lowest potential
 * energy when `potentialEnergy` (one value per draw) is given and `estimate` is not "mean",
 * else the mean over draws of each site.
 */
export function mcmcPointEstimate(
  samples: Readonly<Record<string, Tensor>>,
  potentialEnergy: ArrayLike<number> | null,
  estimate: McmcEstimate = "minPotential",
): Record<string, Tensor> {
  const S = sampleCount(samples);
  if (estimate === "minPotential" && potentialEnergy) {
    if (potentialEnergy.length !== S)
      throw new Error(
        `MCMC MAP: ${potentialEnergy.length} potential energies for ${S} stored draws (a corrupt results file?)`,
      );
    const s = minPotentialDraw(potentialEnergy);
    if (s >= 0) return drawAt(samples, s);
  }
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(samples))
    out[name] = t.dtype === "float32" || t.dtype === "float64" ? t.mean(0) : t.astype("float32").mean(0);
  return out;
}
