import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { MultinomialLogits } from "./multinomial-logits.js";
import { MultinomialProbs } from "./multinomial-probs.js";

/**
 * Multinomial factory: `Multinomial(n, { probs })` gives a {@link MultinomialProbs},
 * `Multinomial(n, { logits })` a {@link MultinomialLogits}.
 * @example
 * Multinomial(10, { probs: tensor([0.5, 0.5]) }).mean;
 */
export function Multinomial(
  totalCount: ParamLike,
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): MultinomialProbs | MultinomialLogits {
  return exactlyOne("Multinomial", opts, "probs", "logits") === "a"
    ? new MultinomialProbs(totalCount, opts.probs!, validateArgs)
    : new MultinomialLogits(totalCount, opts.logits!, validateArgs);
}
