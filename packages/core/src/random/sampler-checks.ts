/**
 * The samplers' parameter checks on a backend without synchronous reads (WebGPU). The cpu's
 * typed-array samplers throw a RangeError for an invalid parameter before drawing; a GPU
 * kernel cannot, and would give NaN. So for such a backend the tensor samplers register the
 * same rules (param-rules.ts) as deferred checks (tensor/deferred-checks.ts): reduced on the
 * device, evaluated at the next readback, and thrown there with the cpu's message (inside a
 * model, after `site 'x': `). Plain-number parameters are checked at once, as on the cpu.
 * Checks run in the cpu's order (each parameter over all elements, then the pairwise rule), so
 * the first error is the cpu's first error (issue 12).
 * @module
 */
import type { SamplerKind } from "../backend/backend.js";
import { astype, eq, floor, ge, gt, isfinite, le, logicalAnd, logicalOr, lt } from "../ops/elementwise.js";
import { max, min } from "../ops/reduce.js";
import { deferCheck } from "../tensor/deferred-checks.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  logitMessage,
  logitRowMessage,
  type ParamRule,
  paramMessage,
  SAMPLER_PARAM_RULES,
  truncationOrderMessage,
  uniformOrderMessage,
} from "./param-rules.js";

/**
 * Each rule of param-rules.ts as a bool tensor (true where the value is allowed); checked
 * against the scalar forms in test/core/random-param-rules.test.ts.
 * @internal
 */
export const TENSOR_RULES: Readonly<Record<ParamRule["id"], (x: Tensor) => Tensor>> = {
  positiveFinite: (x) => logicalAnd(gt(x, 0), isfinite(x)),
  finiteNonNegative: (x) => logicalAnd(ge(x, 0), isfinite(x)),
  finite: (x) => isfinite(x),
  // a safe integer ≥ 0: finite, whole, below 2^53 (exact in float32 and float64)
  count: (x) => logicalAnd(logicalAnd(isfinite(x), eq(floor(x), x)), logicalAnd(ge(x, 0), lt(x, 2 ** 53))),
  probability: (x) => logicalAnd(ge(x, 0), le(x, 1)),
  // −∞ or finite (NaN and +∞ fail), written without an infinite literal for WGSL
  belowInf: (x) => logicalOr(isfinite(x), lt(x, 0)),
  aboveNegInf: (x) => logicalOr(isfinite(x), gt(x, 0)),
};

/** A parameter as the sampler sees it: a number, or a tensor broadcast to the draw's shape. */
export type CheckedParam = number | Tensor;

/** `p` at flat index `i` of the values read back for it (a number stays a number). */
function valueAt(p: CheckedParam, read: ArrayLike<number> | undefined, i: number): number {
  return typeof p === "number" ? p : read![i]!;
}

/**
 * Register the deferred checks of sampler `kind` for its parameters `params` (numbers, or
 * tensors broadcast to the draw's shape; categorical: the logits [..., K]). Numbers that
 * break a rule throw the cpu's RangeError at once.
 * @example
 * // on WebGPU: random.gamma(k, tensor([1, -2])) registers
 * //   "gamma: concentration[1] must be positive and finite, got -2", thrown at the next await
 */
export function deferSamplerChecks(
  kind: SamplerKind,
  params: readonly CheckedParam[],
  categories?: number,
): void {
  const rules = SAMPLER_PARAM_RULES[kind];
  for (const [j, { name, rule }] of rules.entries()) {
    const p = params[j];
    if (p === undefined) continue;
    if (typeof p === "number") {
      if (!rule.ok(p)) throw new RangeError(paramMessage(kind, name, rule.want, p));
      continue;
    }
    deferCheck(
      TENSOR_RULES[rule.id](p),
      (f) => paramMessage(kind, name, rule.want, f.values[0]![f.index]!, f.index),
      [p],
    );
  }
  if (kind === "uniform" || kind === "truncatedNormal") orderCheck(kind, params[0]!, params[1]!);
  if (kind === "categorical") logitChecks(params[0] as Tensor, categories!);
}

/** uniform's low < high and truncatedNormal's lower <= upper, per element. */
function orderCheck(kind: "uniform" | "truncatedNormal", a: CheckedParam, b: CheckedParam): void {
  const message = kind === "uniform" ? uniformOrderMessage : truncationOrderMessage;
  if (typeof a === "number" && typeof b === "number") {
    if (!(kind === "uniform" ? b > a : a <= b)) throw new RangeError(message(a, b, 0));
    return;
  }
  const ok = kind === "uniform" ? gt(b, a) : le(a, b);
  const tensors = [a, b].filter((p): p is Tensor => typeof p !== "number");
  deferCheck(
    ok,
    (f) => {
      const read = (p: CheckedParam) => (typeof p === "number" ? undefined : f.values[tensors.indexOf(p)]);
      return message(valueAt(a, read(a), f.index), valueAt(b, read(b), f.index), f.index);
    },
    tensors,
  );
}

/**
 * categorical's logits [rows..., K]: per row, every logit finite or −∞ and at least one finite.
 * One check per row, so a row's two conditions are reported in the cpu's order.
 */
function logitChecks(logits: Tensor, K: number): void {
  const valid = logicalOr(isfinite(logits), lt(logits, 0));
  const allValid = gt(min(astype(valid, "float32"), -1), 0.5);
  const anyFinite = gt(max(astype(isfinite(logits), "float32"), -1), 0.5);
  deferCheck(
    logicalAnd(allValid, anyFinite),
    (f) => {
      const l = f.values[0]!;
      const o = f.index * K;
      for (let j = 0; j < K; j++) {
        const x = l[o + j]!;
        if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return logitMessage(o + j, x);
      }
      return logitRowMessage(f.index);
    },
    [logits],
  );
}
