/**
 * Velocity Verlet (leapfrog) on plain Float64Arrays: the innermost loop of HMC and NUTS.
 * @module
 */

import type { Evaluations } from "./evaluations.js";
import { kineticEnergy, type MassMatrix } from "./mass-matrix.js";
import type { PotentialGradFn } from "./potential-fn.js";

/** A point in phase space with its cached potential, gradient and velocity `M⁻¹ r`. */
export interface PhasePoint {
  /** Position (unconstrained parameters). */
  z: Float64Array;
  /** Momentum. */
  r: Float64Array;
  /** Gradient of the potential at `z`. */
  g: Float64Array;
  /** Velocity `M⁻¹ r`. */
  v: Float64Array;
  /** Potential energy at `z`. */
  pe: number;
}

/** A zeroed phase point of dimension `dim`. */
export function newPhasePoint(dim: number): PhasePoint {
  return {
    z: new Float64Array(dim),
    r: new Float64Array(dim),
    g: new Float64Array(dim),
    v: new Float64Array(dim),
    pe: 0,
  };
}

/** Copy every field of `src` into `dst`. */
export function copyPhasePoint(src: PhasePoint, dst: PhasePoint): void {
  dst.z.set(src.z);
  dst.r.set(src.r);
  dst.g.set(src.g);
  dst.v.set(src.v);
  dst.pe = src.pe;
}

/** Total energy `U(z) + ½ rᵀ M⁻¹ r` (needs `v` current). */
export function hamiltonian(p: PhasePoint): number {
  return p.pe + kineticEnergy(p.r, p.v);
}

/**
 * The first half of a leapfrog step of size `eps` (negative to go backward), in place: half
 * momentum step, full position step. The potential and gradient at the new `p.z` come next,
 * then {@link leapfrogClose}.
 */
export function leapfrogOpen(p: PhasePoint, eps: number, mass: MassMatrix): void {
  const { z, r, g, v } = p;
  const n = z.length;
  const h = 0.5 * eps;
  for (let i = 0; i < n; i++) r[i]! -= h * g[i]!;
  mass.velocity(r, v);
  for (let i = 0; i < n; i++) z[i]! += eps * v[i]!;
}

/** The second half of a leapfrog step, once `p.g` holds `∇U(p.z)` and `pe` is `U(p.z)`. */
export function leapfrogClose(p: PhasePoint, eps: number, mass: MassMatrix, pe: number): number {
  const { r, g, v } = p;
  const h = 0.5 * eps;
  for (let i = 0; i < r.length; i++) r[i]! -= h * g[i]!;
  mass.velocity(r, v);
  p.pe = pe;
  return pe;
}

/**
 * One leapfrog step as sampler work (see {@link Evaluations}): {@link leapfrogOpen}, one
 * potential+gradient evaluation, {@link leapfrogClose}. With a synchronous `potential` the
 * evaluation is made directly and nothing is yielded (the cpu fast path); without one it is
 * yielded to the driver. Returns the new potential energy.
 */
export function* leapfrogSteps(
  p: PhasePoint,
  eps: number,
  mass: MassMatrix,
  potential?: PotentialGradFn,
): Evaluations<number> {
  leapfrogOpen(p, eps, mass);
  return leapfrogClose(p, eps, mass, potential ? potential(p.z, p.g) : yield p);
}

/** One leapfrog step with a synchronous potential. */
export function leapfrog(p: PhasePoint, eps: number, mass: MassMatrix, potential: PotentialGradFn): number {
  leapfrogOpen(p, eps, mass);
  return leapfrogClose(p, eps, mass, potential(p.z, p.g));
}
