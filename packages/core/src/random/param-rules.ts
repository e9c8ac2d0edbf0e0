/**
 * What each sampler requires of its parameters, stated once: the typed-array samplers check
 * them with these predicates and words (`checkParam`), and on a backend without synchronous
 * reads (WebGPU) the tensor samplers check the same rules as deferred checks with the same
 * message (sampler-checks.ts), so an invalid parameter gives one error text on every backend
 * (issue 12).
 * @module
 */
import type { SamplerKind } from "../backend/backend.js";

/** One requirement on a parameter's values: the test and the words of the error. */
export interface ParamRule {
  /** Rule id (sampler-checks.ts keys its tensor form by it). */
  readonly id:
    | "positiveFinite"
    | "finiteNonNegative"
    | "finite"
    | "count"
    | "probability"
    | "belowInf"
    | "aboveNegInf";
  /** The error's words: `${fn}: ${name} must be ${want}, got ${x}`. */
  readonly want: string;
  readonly ok: (x: number) => boolean;
}

/** x > 0 and finite (concentrations, rates, scales). */
export const POSITIVE_FINITE: ParamRule = {
  id: "positiveFinite",
  want: "positive and finite",
  ok: (x) => x > 0 && Number.isFinite(x),
};
/** x ≥ 0 and finite (Poisson rates). */
export const FINITE_NON_NEGATIVE: ParamRule = {
  id: "finiteNonNegative",
  want: "finite and >= 0",
  ok: (x) => x >= 0 && Number.isFinite(x),
};
/** A finite value (uniform bounds, normal locations). */
export const FINITE: ParamRule = { id: "finite", want: "finite", ok: Number.isFinite };
/** A safe integer ≥ 0 (binomial total counts). */
export const COUNT: ParamRule = {
  id: "count",
  want: "a non-negative integer",
  ok: (x) => Number.isSafeInteger(x) && x >= 0,
};
/** A value in [0, 1] (NaN fails). */
export const PROBABILITY: ParamRule = { id: "probability", want: "in [0, 1]", ok: (x) => x >= 0 && x <= 1 };
/** A lower truncation bound: −∞ allowed, +∞ and NaN not. */
export const BELOW_INF: ParamRule = {
  id: "belowInf",
  want: "< +Infinity",
  ok: (x) => !Number.isNaN(x) && x !== Number.POSITIVE_INFINITY,
};
/** An upper truncation bound: +∞ allowed, −∞ and NaN not. */
export const ABOVE_NEG_INF: ParamRule = {
  id: "aboveNegInf",
  want: "> -Infinity",
  ok: (x) => !Number.isNaN(x) && x !== Number.NEGATIVE_INFINITY,
};

/** A parameter of a tensor-level sampler: its name in messages and its rule. */
export interface SamplerParamRule {
  readonly name: string;
  readonly rule: ParamRule;
}

/**
 * The per-parameter rules of the backends' samplers (`Backend.sample`), in parameter order;
 * the pairwise rules (uniform's low < high, truncatedNormal's lower <= upper) and categorical's
 * logits rules are written out in each sampler and in sampler-checks.ts.
 */
export const SAMPLER_PARAM_RULES: Readonly<Record<SamplerKind, readonly SamplerParamRule[]>> = {
  uniform: [
    { name: "low", rule: FINITE },
    { name: "high", rule: FINITE },
  ],
  normal: [],
  gamma: [{ name: "concentration", rule: POSITIVE_FINITE }],
  poisson: [{ name: "rate", rule: FINITE_NON_NEGATIVE }],
  binomial: [
    { name: "totalCount", rule: COUNT },
    { name: "probs", rule: PROBABILITY },
  ],
  bernoulli: [{ name: "probs", rule: PROBABILITY }],
  categorical: [],
  truncatedNormal: [
    { name: "lower", rule: BELOW_INF },
    { name: "upper", rule: ABOVE_NEG_INF },
  ],
};

/** The error for a parameter value that breaks its rule (`index` for a per-element parameter). */
export function paramMessage(fn: string, name: string, want: string, x: number, index?: number): string {
  return `${fn}: ${name}${index === undefined ? "" : `[${index}]`} must be ${want}, got ${x}`;
}

/** The error for uniform bounds out of order at element `i`. */
export function uniformOrderMessage(low: number, high: number, i: number): string {
  return `uniform: need low < high, got low=${low}, high=${high} at ${i}`;
}

/** The error for truncation bounds out of order at element `i`. */
export function truncationOrderMessage(lower: number, upper: number, i: number): string {
  return `truncatedNormal: need lower <= upper, got lower=${lower}, upper=${upper} at ${i}`;
}

/** The error for a logit that is NaN or +∞ (flat index `i`). */
export function logitMessage(i: number, l: number): string {
  return `categorical: logits[${i}] must be finite or -Infinity, got ${l}`;
}

/** The error for a row of logits that are all −∞. */
export function logitRowMessage(row: number): string {
  return `categorical: row ${row} of logits has no finite entry`;
}
