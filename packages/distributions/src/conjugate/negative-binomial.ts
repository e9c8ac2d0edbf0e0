import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { NegativeBinomialLogits } from "./negative-binomial-logits.js";
import { NegativeBinomialProbs } from "./negative-binomial-probs.js";

/**
 * NegativeBinomial factory: `NegativeBinomial(r, { probs })` gives a
 * {@link NegativeBinomialProbs}, `NegativeBinomial(r, { logits })` a
 * {@link NegativeBinomialLogits} (probs = success probability of the counted events).
 * @example
 * NegativeBinomial(5, { probs: 0.3 }).mean; // 5·0.3/0.7
 */
export function NegativeBinomial(
  totalCount: ParamLike,
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): NegativeBinomialProbs | NegativeBinomialLogits {
  return exactlyOne("NegativeBinomial", opts, "probs", "logits") === "a"
    ? new NegativeBinomialProbs(totalCount, opts.probs!, validateArgs)
    : new NegativeBinomialLogits(totalCount, opts.logits!, validateArgs);
}
