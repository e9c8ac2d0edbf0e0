import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { CategoricalLogits } from "./categorical-logits.js";
import { CategoricalProbs } from "./categorical-probs.js";

/**
 * Categorical factory: `Categorical({ probs })` gives a {@link CategoricalProbs},
 * `Categorical({ logits })` a {@link CategoricalLogits}.
 * @example
 * Categorical({ probs: tensor([0.5, 0.5]) }).sample(key(0), [4]);
 */
export function Categorical(
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): CategoricalProbs | CategoricalLogits {
  return exactlyOne("Categorical", opts, "probs", "logits") === "a"
    ? new CategoricalProbs(opts.probs!, validateArgs)
    : new CategoricalLogits(opts.logits!, validateArgs);
}
