import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { BinomialLogits } from "./binomial-logits.js";
import { BinomialProbs } from "./binomial-probs.js";

/**
 * Binomial factory: `Binomial(n, { probs })` gives a {@link BinomialProbs},
 * `Binomial(n, { logits })` a {@link BinomialLogits}.
 * @example
 * Binomial(10, { probs: 0.3 }).mean;
 */
export function Binomial(
  totalCount: ParamLike,
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): BinomialProbs | BinomialLogits {
  return exactlyOne("Binomial", opts, "probs", "logits") === "a"
    ? new BinomialProbs(totalCount, opts.probs!, validateArgs)
    : new BinomialLogits(totalCount, opts.logits!, validateArgs);
}
