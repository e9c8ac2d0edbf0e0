/**
 * Taylor forms about the negative zeros of log|Γ| and ψ.
 *
 * Next to a zero x₀ the reflection formulas subtract terms of size ~1 to get a value of size
 * |f′(x₀)|·|x − x₀|, so they lose relative accuracy without bound as x → x₀ (at x₀·(1 + 1e-12)
 * only ~4 digits are left). Within NEGATIVE_ROOT_RADIUS of a zero the Taylor series about it,
 * Σ_k c_k t^k with t = (x − hi) − lo, is used instead: x − hi is exact there (Sterbenz) and the
 * double-double root keeps t accurate to the last bit. Each zero is at least 0.25 from a pole,
 * so at |t| ≤ 0.05 the 24 terms reach ~1e-17 relative; outside the radius the reflection loses
 * at most ~1e-15. Tables from mpmath at 60 digits (test/fixtures/numeric-edges/generate.py
 * --coeffs): the zeros of |Γ| − 1 on (−3, −2) and of ψ on (−1, 0) and (−2, −1); the zeros
 * further left are not tabulated.
 */

/** A zero x₀ = hi + lo (double-double) of f and f^(k)(x₀)/k!, k = 1, 2, …, about it. */
export interface RootTaylor {
  /** Nearest double to the zero. */
  readonly hi: number;
  /** x₀ − hi. */
  readonly lo: number;
  /** Taylor coefficients of t¹, t², … (no constant term: f(x₀) = 0). */
  readonly coeffs: readonly number[];
}

/** Half-width of the interval about each tabulated zero where the Taylor form is used. */
export const NEGATIVE_ROOT_RADIUS = 0.05;

/** The zeros of log|Γ(x)| at −2.457… and −2.747… (Γ(x) = −1); coefficients ψ^(k−1)(x₀)/k!. */
export const LGAMMA_NEGATIVE_ROOTS: readonly RootTaylor[] = [
  {
    hi: -2.4570247382208006,
    lo: -3.7075610815513266e-17,
    coeffs: [
      1.5156034480216574, 4.8583209516339965, 1.41129114307798, 8.721782583815346, 5.800414566599873,
      24.824942121894072, 24.038823062292956, 82.22915682704253, 100.6481235455116, 296.43641350761317,
      425.17984568438214, 1130.457858177513, 1811.2054188018712, 4487.218453188998, 7776.158102344247,
      18347.170699977025, 33630.45705579434, 76721.03602398428, 146431.99829213394, 326433.7022215633,
      641568.3277417478, 1407979.5933782964, 2827023.6968710567, 6139385.815291354,
    ],
  },
  {
    hi: -2.7476826467274127,
    lo: 9.055340329338315e-17,
    coeffs: [
      -1.9143501856115988, 9.575189475709667, -20.095134916842603, 62.627282713513715, -194.76615530344623,
      646.9059997129283, -2193.112776480624, 7610.397986658329, -26804.57842061811, 95617.4516433497,
      -344497.5934348329, 1251567.4465251002, -4578716.594581718, 16850484.270697366, -62330684.832407415,
      231593359.80352938, -863873252.9293209, 3233548126.0760565, -12140906400.864338, 45711723541.79555,
      -172540549493.28647, 652740666207.5258, -2474505336668.4854, 9398485347630.648,
    ],
  },
];

/** The zeros of ψ(x) at −0.504… and −1.573…; coefficients ψ^(k)(x₀)/k!. */
export const DIGAMMA_NEGATIVE_ROOTS: readonly RootTaylor[] = [
  {
    hi: -0.5040830082644554,
    lo: -8.15428206243813e-18,
    coeffs: [
      8.939798558792134, -0.8093454625306507, 32.258572064915505, -2.761011648790828, 128.27342343090902,
      -14.70672173553036, 513.2704629562862, -75.37700066344631, 2055.5357119463315, -368.5783503832191,
      8234.667099203069, -1743.364608867363, 32997.785655255044, -8051.818155363498, 132262.95480834588,
      -36529.94596948565, 530280.3912420176, -163451.79342700253, 2126602.3725968753, -723318.8861804305,
      8530604.878543982, -3172131.3155744765, 34228316.69580112, -13807481.997263888,
    ],
  },
  {
    hi: -1.5734984731623904,
    lo: -1.574185691077347e-17,
    coeffs: [
      9.941513615924176, -7.802593974782628, 39.911910808498966, -54.82093287162743, 194.4376179574295,
      -340.5781696501909, 998.8875783432551, -1992.4996040262852, 5280.90721723033, -11319.594764761363,
      28392.778384038458, -63341.621003608976, 154145.9448243582, -351599.7910103957, 841503.4207747859,
      -1943181.342358103, 4608154.024613989, -10713767.831316479, 25278398.938754097, -58993192.05385585,
      138800078.37784168, -324599498.0350916, 762537849.2688279, -1785338714.8001394,
    ],
  },
];

/**
 * Σ_k c_k t^k about the tabulated zero within NEGATIVE_ROOT_RADIUS of x, or undefined when x
 * is near none of them (then the caller's reflection is accurate).
 */
export function nearRootTaylor(roots: readonly RootTaylor[], x: number): number | undefined {
  for (const r of roots) {
    const d = x - r.hi;
    if (Math.abs(d) > NEGATIVE_ROOT_RADIUS) continue;
    const t = d - r.lo;
    const c = r.coeffs;
    let s = 0;
    for (let i = c.length - 1; i >= 0; i--) s = s * t + (c[i] as number);
    return s * t;
  }
  return undefined;
}
