import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { ZINB2Logits } from "./zinb2-logits.js";
import { ZINB2Probs } from "./zinb2-probs.js";

/**
 * Zero-inflated NegativeBinomial2 factory: `{ gate }` gives a {@link ZINB2Probs},
 * `{ gateLogits }` a {@link ZINB2Logits}; both evaluate the fused core ZINB kernels.
 * Mean (1 − g)μ, variance (1 − g)(μ + μ²/θ) + g(1 − g)μ².
 * @example
 * ZeroInflatedNegativeBinomial2(10, 2, { gate: 0.3 }).mean; // 7
 */
export function ZeroInflatedNegativeBinomial2(
  mean: ParamLike,
  concentration: ParamLike,
  opts: { gate?: ParamLike; gateLogits?: ParamLike },
  validateArgs?: boolean,
): ZINB2Probs | ZINB2Logits {
  return exactlyOne("ZeroInflatedNegativeBinomial2", opts, "gate", "gateLogits") === "a"
    ? new ZINB2Probs(mean, concentration, opts.gate!, validateArgs)
    : new ZINB2Logits(mean, concentration, opts.gateLogits!, validateArgs);
}
