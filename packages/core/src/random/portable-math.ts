/**
 * exp, log, log1p, expm1 and cos(2πt) written with IEEE-754 basic operations only (+, −,
 * ×, ÷, sqrt and exact bit manipulation), so every JavaScript engine gives the same bits.
 * `Math.exp`, `Math.log` and `Math.cos` are only "implementation-approximated" by the
 * ECMAScript spec and do differ in the last bit between V8 (Node), Deno's and browsers'
 * builds; the samplers draw through these instead, so one key gives the same draws
 * everywhere (issue 22, item 6).
 *
 * The algorithms are the classic argument reductions with minimax polynomials of Sun's
 * fdlibm (e_exp.c, e_log.c, k_sin.c, k_cos.c; P. T. P. Tang, "Table-driven implementation
 * of the exponential function", ACM TOMS 1989, for the exp reduction); log1p and expm1
 * use Goldberg's and Kahan's corrections on top of them (D. Goldberg, "What every computer
 * scientist should know about floating-point arithmetic", 1991, Theorem 4). Errors: below
 * 1 ulp for exp and log, a few ulp for log1p, expm1 and cos2pi (checked against `Math`).
 * @module
 */

const view = new DataView(new ArrayBuffer(8));

/** The high 32 bits of a double. */
function highWord(x: number): number {
  view.setFloat64(0, x);
  return view.getUint32(0);
}

/** The low 32 bits of a double. */
function lowWord(x: number): number {
  view.setFloat64(0, x);
  return view.getUint32(4);
}

/** The double with the given high and low words. */
function fromWords(hi: number, lo: number): number {
  view.setUint32(0, hi >>> 0);
  view.setUint32(4, lo >>> 0);
  return view.getFloat64(0);
}

/** 2^k for an integer k in [−1022, 1023], exactly. */
function pow2(k: number): number {
  return fromWords((k + 1023) << 20, 0);
}

/**
 * x · 2^k for x in [1/2, 2) and k in [−1076, 1024]: exact, except for one rounding when the
 * result is subnormal (the first product stays normal).
 */
function scale2(x: number, k: number): number {
  if (k > 1023) return x * pow2(1023) * pow2(k - 1023);
  if (k < -1021) return x * pow2(k + 54) * pow2(-54);
  return x * pow2(k);
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: the literal bits, not an engine-provided constant
const INV_LN2 = 1.4426950408889634;
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019411;

/**
 * e^x, bit-identical on every engine: x = k·ln2 + r with |r| ≤ ln2/2, then
 * e^r = 1 + 2r/(R(r) − r) with fdlibm's degree-5 minimax R, then scaled by 2^k.
 */
export function pexp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > EXP_OVERFLOW) return Number.POSITIVE_INFINITY;
  if (x < EXP_UNDERFLOW) return 0;
  if (Math.abs(x) < 3.725290298461914e-9) return 1 + x; // |x| < 2^-28
  const k = Math.floor(INV_LN2 * x + 0.5);
  const hi = x - k * LN2_HI; // exact: k·LN2_HI has trailing zeros
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  return scale2(y, k);
}

const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;
const TWO54 = 18014398509481984;

/**
 * ln x, bit-identical on every engine: x = 2^k·(1 + f) with √2/2 ≤ 1 + f < √2, then
 * log(1 + f) = f − f²/2 + s(f²/2 + R(s²)) with s = f/(2 + f) and fdlibm's minimax R.
 */
export function plog(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x === Number.POSITIVE_INFINITY) return x;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= TWO54; // subnormal: scale into the normal range
    k = -54;
  }
  let hx = highWord(x);
  // Move the mantissa into [√2/2, √2) (0x3fe6a09e is the high word of √2/2), adjusting k.
  hx += 0x3ff00000 - 0x3fe6a09e;
  k += (hx >>> 20) - 0x3ff;
  hx = (hx & 0x000fffff) + 0x3fe6a09e;
  const m = fromWords(hx, lowWord(x));
  const f = m - 1;
  const hfsq = 0.5 * f * f;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  return s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
}

/**
 * ln(1 + x), bit-identical on every engine: with u = 1 + x rounded, ln(u)·x/(u − 1)
 * corrects the rounding of u (Goldberg 1991, Theorem 4).
 */
export function plog1p(x: number): number {
  if (Number.isNaN(x) || x < -1) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  const u = 1 + x;
  if (u === 1) return x;
  if (u === Number.POSITIVE_INFINITY) return plog(x);
  return (plog(u) * x) / (u - 1);
}

/**
 * e^x − 1, bit-identical on every engine: with u = e^x rounded, (u − 1)·x/ln(u) (Kahan's
 * correction, the counterpart of {@link plog1p}).
 */
export function pexpm1(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > EXP_OVERFLOW) return Number.POSITIVE_INFINITY;
  if (x < -40) return -1; // e^x < 2^-57: −1 to double precision
  const u = pexp(x);
  if (u === 1) return x;
  const um1 = u - 1;
  if (um1 === -1) return -1;
  return (um1 * x) / plog(u);
}

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** sin x for |x| ≤ π/4 (fdlibm's kernel). */
function sinKernel(x: number): number {
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  return x + z * x * (S1 + z * r);
}

/** cos x for |x| ≤ π/4 (fdlibm's kernel). */
function cosKernel(x: number): number {
  const z = x * x;
  const w = z * z;
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const v = 1 - hz;
  return v + (1 - v - hz + z * r);
}

/**
 * cos(2πt) for finite t, bit-identical on every engine. The reduction is exact in t
 * (t − q/4 with q the nearest quarter turn loses no bits for the samplers' 52-bit
 * uniforms), so only the final angle 2π·r, |r| ≤ 1/8, is rounded.
 */
export function pcos2pi(t: number): number {
  if (!Number.isFinite(t)) return Number.NaN;
  const f = t - Math.floor(t); // [0, 1): exact
  const q = Math.floor(4 * f + 0.5); // nearest quarter turn, 0..4
  const x = 2 * Math.PI * (f - q / 4);
  switch (q & 3) {
    case 0:
      return cosKernel(x);
    case 1:
      return -sinKernel(x);
    case 2:
      return -cosKernel(x);
    default:
      return sinKernel(x);
  }
}
