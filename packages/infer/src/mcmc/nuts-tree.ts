/**
 * One NUTS transition: multinomial sampling over an iteratively doubled trajectory with
 * the generalized no-U-turn criterion (Hoffman & Gelman 2014; Betancourt 2017), built
 * leaf by leaf with checkpoints instead of recursion, on preallocated buffers.
 * @module
 */
import { type Evaluations, evaluateSync } from "./evaluations.js";
import {
  copyPhasePoint,
  hamiltonian,
  leapfrog,
  leapfrogClose,
  leapfrogOpen,
  leapfrogSteps,
  newPhasePoint,
  type PhasePoint,
} from "./integrator.js";
import type { MassMatrix } from "./mass-matrix.js";
import type { PotentialGradFn } from "./potential-fn.js";
import type { RngStream } from "./rng-stream.js";

/** Diagnostics of one transition. */
export interface TransitionInfo {
  /** Mean of `min(1, exp(H0 − H))` over the leaves visited (the adaptation statistic). */
  acceptProb: number;
  /** Leapfrog steps taken. */
  numSteps: number;
  /** Trajectory doublings (NUTS) or 0 (HMC). */
  treeDepth: number;
  /** Whether the energy error exceeded the divergence threshold. */
  diverging: boolean;
  /** Hamiltonian at the selected point. */
  energy: number;
}

/** Number of set bits of a non-negative 32-bit integer. */
export function popcount(n: number): number {
  let c = 0;
  let x = n >>> 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}

/** Number of trailing one bits of a non-negative integer. */
export function trailingOnes(n: number): number {
  let c = 0;
  let x = n >>> 0;
  while (x & 1) {
    x >>>= 1;
    c++;
  }
  return c;
}

/**
 * Checkpoint slots `[lo, hi]` to test at odd leaf `n` of a subtree: the subtrees ending at
 * leaf `n` start at even leaves whose checkpoints sit in slots `popcount(start)`.
 */
export function checkpointRange(n: number): [lo: number, hi: number] {
  const hi = popcount(n) - 1;
  return [hi - trailingOnes(n) + 1, hi];
}

/** The generalized U-turn test on a (sub)trajectory with end velocities `va`, `vb` and momentum sum `rho`. */
export function isTurning(va: Float64Array, vb: Float64Array, rho: Float64Array): boolean {
  let a = 0;
  let b = 0;
  for (let i = 0; i < rho.length; i++) {
    a += va[i]! * rho[i]!;
    b += vb[i]! * rho[i]!;
  }
  return !(a > 0 && b > 0);
}

function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** Preallocated buffers for NUTS transitions of one chain. */
export class NutsWorkspace {
  readonly left: PhasePoint;
  readonly right: PhasePoint;
  readonly proposal: PhasePoint;
  readonly subProposal: PhasePoint;
  readonly rho: Float64Array;
  readonly rhoSub: Float64Array;
  readonly ckptV: Float64Array[];
  readonly ckptRho: Float64Array[];
  proposalEnergy = 0;
  subProposalEnergy = 0;
  /** Log of the summed weights of the subtree being built. */
  subLogW = Number.NEGATIVE_INFINITY;

  /**
   * @param dim - number of parameters
   * @param maxTreeDepth - the most doublings a transition may take
   */
  constructor(
    readonly dim: number,
    readonly maxTreeDepth: number,
  ) {
    this.left = newPhasePoint(dim);
    this.right = newPhasePoint(dim);
    this.proposal = newPhasePoint(dim);
    this.subProposal = newPhasePoint(dim);
    this.rho = new Float64Array(dim);
    this.rhoSub = new Float64Array(dim);
    const slots = Math.max(maxTreeDepth, 1);
    this.ckptV = Array.from({ length: slots }, () => new Float64Array(dim));
    this.ckptRho = Array.from({ length: slots }, () => new Float64Array(dim));
  }
}

/**
 * Settings of a transition written as sampler work. With a synchronous `potential` the work
 * evaluates it directly and yields nothing (no generator suspension per leapfrog step on the
 * cpu); without one every evaluation is yielded to the driver (one `await` each).
 */
export interface TransitionSettings {
  stepSize: number;
  mass: MassMatrix;
  rng: RngStream;
  maxTreeDepth: number;
  maxDeltaEnergy: number;
  potential?: PotentialGradFn;
}

/** Settings of a NUTS transition with a synchronous potential. */
export interface NutsSettings extends TransitionSettings {
  potential: PotentialGradFn;
}

interface Acc {
  sumAccept: number;
  numSteps: number;
}

/**
 * Take the leaf `edge` (just integrated, leaf `n` of the current subtree) into the subtree:
 * energy error and divergence, the acceptance statistic, progressive multinomial selection
 * of `ws.subProposal`, the subtree's log weight `ws.subLogW`, its momentum sum and the U-turn
 * checkpoints. Returns 0 to go on, 1 when some sub-subtree turns, 2 on divergence. Plain
 * (not generator) code, so the hot arithmetic is optimized as such.
 */
function visitLeaf(
  ws: NutsWorkspace,
  edge: PhasePoint,
  n: number,
  h0: number,
  s: TransitionSettings,
  acc: Acc,
): 0 | 1 | 2 {
  const h = hamiltonian(edge);
  const dH = h - h0;
  acc.numSteps++;
  // A non-finite energy (NaN, or −∞ from a log-density that overflowed) is a divergence too.
  if (!(dH <= s.maxDeltaEnergy) || !Number.isFinite(h)) return 2;
  acc.sumAccept += dH <= 0 ? 1 : Math.exp(-dH);
  const w = -dH;
  const newLogW = logAddExp(ws.subLogW, w);
  if (n === 0 || Math.log(s.rng.uniform()) < w - newLogW) {
    copyPhasePoint(edge, ws.subProposal);
    ws.subProposalEnergy = h;
  }
  ws.subLogW = newLogW;
  const rhoSub = ws.rhoSub;
  const dim = ws.dim;
  const r = edge.r;
  if ((n & 1) === 0) {
    const slot = popcount(n);
    ws.ckptRho[slot]!.set(rhoSub);
    ws.ckptV[slot]!.set(edge.v);
    for (let i = 0; i < dim; i++) rhoSub[i]! += r[i]!;
    return 0;
  }
  for (let i = 0; i < dim; i++) rhoSub[i]! += r[i]!;
  const [lo, hi] = checkpointRange(n);
  const v = edge.v;
  for (let slot = hi; slot >= lo; slot--) {
    const cr = ws.ckptRho[slot]!;
    const cv = ws.ckptV[slot]!;
    let a = 0;
    let b = 0;
    for (let i = 0; i < dim; i++) {
      const rr = rhoSub[i]! - cr[i]!;
      a += cv[i]! * rr;
      b += v[i]! * rr;
    }
    if (!(a > 0 && b > 0)) return 1;
  }
  return 0;
}

/**
 * Extend the trajectory by `2^depth` leaves from `edge` (moved in place) in the direction
 * of `eps`. Fills `ws.subProposal`, `ws.subLogW` and `ws.rhoSub`; returns the subtree's
 * status: 0 valid, 1 turning (some sub-subtree made a U-turn), 2 diverging.
 */
function* buildSubtree(
  ws: NutsWorkspace,
  edge: PhasePoint,
  depth: number,
  eps: number,
  h0: number,
  s: TransitionSettings,
  acc: Acc,
): Evaluations<0 | 1 | 2> {
  startSubtree(ws);
  for (let n = 0; n < 2 ** depth; n++) {
    leapfrogOpen(edge, eps, s.mass);
    leapfrogClose(edge, eps, s.mass, yield edge);
    const status = visitLeaf(ws, edge, n, h0, s, acc);
    if (status !== 0) return status;
  }
  return 0;
}

/**
 * {@link buildSubtree} with a synchronous potential, as a plain function: the cpu's hot loop
 * then creates no generator at all (measured: the tree logic alone 8 % slower through one).
 */
function buildSubtreeSync(
  ws: NutsWorkspace,
  edge: PhasePoint,
  depth: number,
  eps: number,
  h0: number,
  s: TransitionSettings,
  acc: Acc,
  potential: PotentialGradFn,
): 0 | 1 | 2 {
  startSubtree(ws);
  for (let n = 0; n < 2 ** depth; n++) {
    leapfrog(edge, eps, s.mass, potential);
    const status = visitLeaf(ws, edge, n, h0, s, acc);
    if (status !== 0) return status;
  }
  return 0;
}

function startSubtree(ws: NutsWorkspace): void {
  ws.rhoSub.fill(0);
  ws.subLogW = Number.NEGATIVE_INFINITY;
}

/**
 * One NUTS transition from `state` (position, gradient and potential; its momentum is
 * redrawn), replacing `state` with the selected point, as sampler work (see
 * {@link Evaluations}). Multinomial: uniform progressive sampling inside each new subtree,
 * biased progressive sampling when merging it.
 */
export function* nutsTransitionSteps(
  state: PhasePoint,
  ws: NutsWorkspace,
  s: TransitionSettings,
): Evaluations<TransitionInfo> {
  const { mass, rng } = s;
  mass.sampleMomentum(rng, state.r);
  mass.velocity(state.r, state.v);
  const h0 = hamiltonian(state);
  copyPhasePoint(state, ws.left);
  copyPhasePoint(state, ws.right);
  copyPhasePoint(state, ws.proposal);
  ws.proposalEnergy = h0;
  ws.rho.set(state.r);
  let logW = 0;
  const acc: Acc = { sumAccept: 0, numSteps: 0 };
  let depth = 0;
  let diverging = false;
  while (depth < s.maxTreeDepth) {
    const forward = rng.bit();
    const edge = forward ? ws.right : ws.left;
    const eps = forward ? s.stepSize : -s.stepSize;
    const status = s.potential
      ? buildSubtreeSync(ws, edge, depth, eps, h0, s, acc, s.potential)
      : yield* buildSubtree(ws, edge, depth, eps, h0, s, acc);
    depth++;
    if (status === 2) {
      diverging = true;
      break;
    }
    if (status === 1) break;
    if (Math.log(rng.uniform()) < ws.subLogW - logW) {
      copyPhasePoint(ws.subProposal, ws.proposal);
      ws.proposalEnergy = ws.subProposalEnergy;
    }
    logW = logAddExp(logW, ws.subLogW);
    const rho = ws.rho;
    for (let i = 0; i < rho.length; i++) rho[i]! += ws.rhoSub[i]!;
    if (isTurning(ws.left.v, ws.right.v, rho)) break;
  }
  copyPhasePoint(ws.proposal, state);
  return {
    acceptProb: acc.numSteps > 0 ? acc.sumAccept / acc.numSteps : 0,
    numSteps: acc.numSteps,
    treeDepth: depth,
    diverging,
    energy: ws.proposalEnergy,
  };
}

/** {@link nutsTransitionSteps} with a synchronous potential. */
export function nutsTransition(state: PhasePoint, ws: NutsWorkspace, s: NutsSettings): TransitionInfo {
  return evaluateSync(nutsTransitionSteps(state, ws, s), s.potential);
}

/**
 * One static-length HMC transition with a Metropolis correction (`numSteps` leapfrog
 * steps), as sampler work.
 */
export function* hmcTransitionSteps(
  state: PhasePoint,
  work: PhasePoint,
  numSteps: number,
  s: TransitionSettings,
): Evaluations<TransitionInfo> {
  const { mass, rng } = s;
  mass.sampleMomentum(rng, state.r);
  mass.velocity(state.r, state.v);
  const h0 = hamiltonian(state);
  copyPhasePoint(state, work);
  let diverging = false;
  let taken = 0;
  for (let i = 0; i < numSteps; i++) {
    // A synchronous potential needs no generator per step (the cpu's hot loop).
    if (s.potential) leapfrog(work, s.stepSize, mass, s.potential);
    else yield* leapfrogSteps(work, s.stepSize, mass);
    taken++;
    const h = hamiltonian(work);
    if (!(h - h0 <= s.maxDeltaEnergy) || !Number.isFinite(h)) {
      diverging = true;
      break;
    }
  }
  const dH = diverging ? Number.POSITIVE_INFINITY : hamiltonian(work) - h0;
  const acceptProb = dH <= 0 ? 1 : Math.exp(-dH);
  let energy = h0;
  if (!diverging && rng.uniform() < acceptProb) {
    copyPhasePoint(work, state);
    energy = h0 + dH;
  }
  return { acceptProb: diverging ? 0 : acceptProb, numSteps: taken, treeDepth: 0, diverging, energy };
}

/** {@link hmcTransitionSteps} with a synchronous potential. */
export function hmcTransition(
  state: PhasePoint,
  work: PhasePoint,
  numSteps: number,
  s: NutsSettings,
): TransitionInfo {
  return evaluateSync(hmcTransitionSteps(state, work, numSteps, s), s.potential);
}
