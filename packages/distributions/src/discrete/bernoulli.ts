import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { BernoulliLogits } from "./bernoulli-logits.js";
import { BernoulliProbs } from "./bernoulli-probs.js";

/**
 * Bernoulli factory: `Bernoulli({ probs })` gives a {@link BernoulliProbs},
 * `Bernoulli({ logits })` a {@link BernoulliLogits}.
 * @example
 * Bernoulli({ logits: tensor([0.5]) }).sample(key(0), [10]);
 */
export function Bernoulli(
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): BernoulliProbs | BernoulliLogits {
  return exactlyOne("Bernoulli", opts, "probs", "logits") === "a"
    ? new BernoulliProbs(opts.probs!, validateArgs)
    : new BernoulliLogits(opts.logits!, validateArgs);
}
