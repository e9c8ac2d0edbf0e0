/**
 * The monotone rational-quadratic spline of Durkan et al. 2019 ("Neural Spline Flows", §3.1,
 * eqs. 4–6 and Appendix A): K bins on [−B, B] with learned widths, heights and interior knot
 * derivatives; outside [−B, B] the map is the identity (the "linear tails", whose boundary
 * derivatives are fixed at 1 so the map is C¹). Written elementwise with a one-hot bin
 * selection (no gather, no readback), so it runs on every backend.
 * @module
 */
import {
  clamp,
  concat,
  cumsum,
  full,
  logicalAnd,
  max,
  ones,
  split,
  stopGradient,
  type Tensor,
  where,
  zeros,
} from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";

/** Unnormalised spline parameters per coordinate: shapes [..., D, K], [..., D, K], [..., D, K − 1]. */
export interface SplineParams {
  readonly widths: Tensor;
  readonly heights: Tensor;
  readonly derivatives: Tensor;
}

/** Floors that keep bins and slopes away from zero (nflows' defaults). */
export interface SplineFloors {
  /** Smallest bin width as a fraction of 2B (default 1e-3). */
  minBinWidth?: number;
  /** Smallest bin height as a fraction of 2B (default 1e-3). */
  minBinHeight?: number;
  /** Smallest interior derivative (default 1e-3). */
  minDerivative?: number;
}

/** Softmax over the last axis with `m`'s exp (the shift by the max is a constant: softmax ignores it). */
function softmaxLast(z: Tensor, m: ElementwiseMath): Tensor {
  const e = m.exp(z.sub(stopGradient(max(z, [-1], true))));
  return e.div(e.sum([-1], true));
}

/** Knot positions [..., K + 1] on [−B, B] from unnormalised bin sizes [..., K]. */
function knots(raw: Tensor, minFrac: number, bound: number, what: string, m: ElementwiseMath): Tensor {
  const k = raw.shape[raw.rank - 1]!;
  if (minFrac * k >= 1)
    throw new Error(`rational-quadratic spline: min bin ${what} ${minFrac} × ${k} bins must be below 1`);
  const frac = softmaxLast(raw, m)
    .mul(1 - minFrac * k)
    .add(minFrac);
  const lead = [...raw.shape.slice(0, -1), 1];
  const cum = concat([zeros(lead, raw.dtype === "float64" ? "float64" : "float32"), cumsum(frac, -1)], -1);
  return cum.mul(2 * bound).sub(bound);
}

/** The selected bin's entry of `t` [..., D, K], by the one-hot `onehot` [..., D, K]. */
function pick(onehot: Tensor, t: Tensor): Tensor {
  return onehot.mul(t).sum([-1]);
}

/**
 * The spline applied elementwise to `v` [..., D] (forward, or its inverse with `inverse`).
 * Returns the output and, per element, log dy/dx of the forward map at the (x, y) pair. `math`
 * gives exp, log and softplus: core's ordinary ops, or the portable ones for a draw.
 * @example
 * const zerosParams = { widths: zeros([1, 8]), heights: zeros([1, 8]), derivatives: zeros([1, 7]) };
 * rationalQuadraticSpline(tensor([0.3]), zerosParams, 3).out; // [0.3]: all-zero params give the identity
 */
export function rationalQuadraticSpline(
  v: Tensor,
  params: SplineParams,
  bound: number,
  inverse = false,
  floors: SplineFloors = {},
  math: ElementwiseMath = engineMath,
): { out: Tensor; logDet: Tensor } {
  if (!(bound > 0)) throw new Error(`rational-quadratic spline: tail bound must be positive, got ${bound}`);
  const minW = floors.minBinWidth ?? 1e-3;
  const minH = floors.minBinHeight ?? 1e-3;
  const minD = floors.minDerivative ?? 1e-3;
  const f = v.dtype === "float64" ? "float64" : "float32";
  const k = params.widths.shape[params.widths.rank - 1]!;
  const xs = knots(params.widths, minW, bound, "width", math); // [..., D, K+1]
  const ys = knots(params.heights, minH, bound, "height", math);
  // interior derivatives δ = minD + softplus(raw + c0), c0 chosen so raw = 0 gives δ = 1 (a
  // tensor through `math`, so that a draw does not take Math.log/expm1's engine-dependent bits)
  const c0 = math.log(math.expm1(full([], 1 - minD, params.derivatives.dtype)));
  const inner = math.softplus(params.derivatives.add(c0)).add(minD);
  const lead = [...inner.shape.slice(0, -1), 1];
  const one = ones(lead, f);
  const deriv = concat([one, inner, one], -1); // [..., D, K+1]

  const [xLo, xHi] = [split(xs, [k, 1], -1)[0]!, split(xs, [1, k], -1)[1]!];
  const [yLo, yHi] = [split(ys, [k, 1], -1)[0]!, split(ys, [1, k], -1)[1]!];
  const [dLo, dHi] = [split(deriv, [k, 1], -1)[0]!, split(deriv, [1, k], -1)[1]!];

  const inside = logicalAnd(v.ge(-bound), v.le(bound));
  // Clamped so that the unused branch stays finite (a NaN there would leak through `where`'s gradient).
  const vc = clamp(v, -bound, bound);
  const ve = vc.unsqueeze(-1);
  const lower = inverse ? yLo : xLo;
  const ge = ve.ge(lower).astype(f); // 1 for every bin starting at or below v (monotone in the bin index)
  const geNext = concat([split(ge, [1, k - 1], -1)[1]!, zeros(lead, f)], -1);
  const onehot = ge.sub(geNext);

  const xk = pick(onehot, xLo);
  const wk = pick(onehot, xHi.sub(xLo));
  const yk = pick(onehot, yLo);
  const hk = pick(onehot, yHi.sub(yLo));
  const dk = pick(onehot, dLo);
  const dk1 = pick(onehot, dHi);
  const sk = hk.div(wk);
  const bend = dk1.add(dk).sub(sk.mul(2)); // δ_{k+1} + δ_k − 2 s_k

  let xi: Tensor;
  let splineOut: Tensor;
  if (inverse) {
    // Solve a ξ² + b ξ + c = 0 for ξ ∈ [0, 1] (Durkan et al. 2019, Appendix A, eqs. 29–33).
    const dy = vc.sub(yk);
    const a = hk.mul(sk.sub(dk)).add(dy.mul(bend));
    const b = hk.mul(dk).sub(dy.mul(bend));
    const c = sk.mul(dy).neg();
    const disc = b.square().sub(a.mul(c).mul(4)).maximum(0);
    xi = c.mul(2).div(b.neg().sub(disc.sqrt()));
    splineOut = xi.mul(wk).add(xk);
  } else {
    xi = vc.sub(xk).div(wk);
  }
  const xi1 = xi.mul(xi.neg().add(1)); // ξ(1 − ξ)
  const den = sk.add(bend.mul(xi1));
  if (!inverse) splineOut = yk.add(hk.mul(sk.mul(xi.square()).add(dk.mul(xi1))).div(den));
  const oneMinus = xi.neg().add(1);
  const dnum = sk.square().mul(dk1.mul(xi.square()).add(sk.mul(xi1).mul(2)).add(dk.mul(oneMinus.square())));
  const logDeriv = math.log(dnum).sub(math.log(den).mul(2));
  return {
    out: where(inside, splineOut!, v),
    logDet: where(inside, logDeriv, 0),
  };
}
