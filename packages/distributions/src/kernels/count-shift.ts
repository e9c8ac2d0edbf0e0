import { specialScalar } from "@scribe/core";

/**
 * The count-aware core of the negative-binomial kernels: lgamma(θ+y) − lgamma(θ) and
 * ψ(θ+y) − ψ(θ) for a count y ≥ 1, as one loop over log Π(θ+k) and Σ 1/(θ+k) for small
 * integer counts and core's shift-difference functions otherwise. The JS and WGSL forms share
 * their thresholds from here.
 */

/** Counts up to this use the product / sum loop (core's SHIFT_DIFF_DIRECT_MAX: one threshold). */
export const NB_DIRECT_MAX = specialScalar.SHIFT_DIFF_DIRECT_MAX;
/**
 * θ inside (1/NB_THETA_RANGE, NB_THETA_RANGE) keeps the product of NB_DIRECT_MAX factors θ + k
 * finite in float64 (1e15¹⁶ = 1e240); outside, the shift differences take over.
 */
export const NB_THETA_RANGE = 1e15;

const { lgammaShiftDiff, digammaShiftDiff, lgamma, digamma } = specialScalar;

/**
 * Below this θ, lgamma(θ+y) − lgamma(θ) and ψ(θ+y) − ψ(θ) from a precomputed lgamma(θ), ψ(θ)
 * lose under 1e-13 relative to the cancellation (lgamma(θ+y) ≈ 4.4e2 at θ = 100, y = 17, two
 * ulps of which against a difference of ≈ 78); above, the shift differences keep the digits.
 */
const PRECOMPUTED_THETA_MAX = 100;

/**
 * out[0] = lgamma(θ+y) − lgamma(θ), out[1] = ψ(θ+y) − ψ(θ), for a count y ≥ 1. A caller that
 * has lgamma(θ) and ψ(θ) precomputed (a per-gene θ, hoisted) passes them: beyond the direct
 * range and for θ below PRECOMPUTED_THETA_MAX, the differences then take one lgamma and one
 * ψ instead of the shift differences' series. NaN (the default) means not precomputed.
 */
export function countShiftInto(
  out: Float64Array,
  th: number,
  y: number,
  lgTh = Number.NaN,
  dgTh = Number.NaN,
): void {
  if (y <= NB_DIRECT_MAX && y === Math.floor(y) && th > 1 / NB_THETA_RANGE && th < NB_THETA_RANGE) {
    let prod = th;
    let dgd = 1 / th;
    for (let k = 1; k < y; k++) {
      const t = th + k;
      prod *= t;
      dgd += 1 / t;
    }
    out[0] = Math.log(prod);
    out[1] = dgd;
  } else if (th < PRECOMPUTED_THETA_MAX && y > 0 && !Number.isNaN(lgTh) && !Number.isNaN(dgTh)) {
    out[0] = lgamma(th + y) - lgTh;
    out[1] = digamma(th + y) - dgTh;
  } else {
    out[0] = lgammaShiftDiff(th, y);
    out[1] = digammaShiftDiff(th, y);
  }
}

/**
 * WGSL form: (lgamma(θ+y) − lgamma(θ), ψ(θ+y) − ψ(θ)) for a count y ≥ 1, the product
 * renormalized as it goes so it cannot overflow float32.
 */
export const COUNT_SHIFT_WGSL = {
  sp_nb_shift: `fn sp_nb_shift(th: f32, y: f32) -> vec2<f32> {
  var lgd = 0.0; var dgd = 0.0;
  if (y <= ${NB_DIRECT_MAX}.0 && y == floor(y) && th > 1e-30 && th < 1e30) {
    var p = 1.0;
    for (var k = 0.0; k < y; k += 1.0) {
      let t = th + k; p *= t; dgd += 1.0 / t;
      if (p > 1e30 || p < 1e-30) { lgd += log(p); p = 1.0; }
    }
    return vec2<f32>(lgd + log(p), dgd);
  }
  return vec2<f32>(sp_lgammaShiftDiff(th, y), sp_digammaShiftDiff(th, y));
}`,
};
