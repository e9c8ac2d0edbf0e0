import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { GeometricLogits } from "./geometric-logits.js";
import { GeometricProbs } from "./geometric-probs.js";

/**
 * Geometric factory (number of failures before the first success): `Geometric({ probs })`
 * gives a {@link GeometricProbs}, `Geometric({ logits })` a {@link GeometricLogits}.
 * @example
 * Geometric({ probs: 0.2 }).mean; // 4
 */
export function Geometric(
  opts: { probs?: ParamLike; logits?: ParamLike },
  validateArgs?: boolean,
): GeometricProbs | GeometricLogits {
  return exactlyOne("Geometric", opts, "probs", "logits") === "a"
    ? new GeometricProbs(opts.probs!, validateArgs)
    : new GeometricLogits(opts.logits!, validateArgs);
}
