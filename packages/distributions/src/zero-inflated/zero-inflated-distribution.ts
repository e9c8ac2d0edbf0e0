import type { Distribution } from "../distribution.js";
import type { ParamLike } from "../param-utils.js";
import { exactlyOne } from "../param-utils.js";
import { ZeroInflatedLogits } from "./zero-inflated-logits.js";
import { ZeroInflatedProbs } from "./zero-inflated-probs.js";

/**
 * Zero-inflation factory: `ZeroInflatedDistribution(base, { gate })` gives a
 * {@link ZeroInflatedProbs}, `ZeroInflatedDistribution(base, { gateLogits })` a
 * {@link ZeroInflatedLogits}.
 * @example
 * ZeroInflatedDistribution(new Poisson(2), { gate: 0.3 }).mean; // 1.4
 */
export function ZeroInflatedDistribution(
  base: Distribution,
  opts: { gate?: ParamLike; gateLogits?: ParamLike },
  validateArgs?: boolean,
): ZeroInflatedProbs | ZeroInflatedLogits {
  return exactlyOne("ZeroInflatedDistribution", opts, "gate", "gateLogits") === "a"
    ? new ZeroInflatedProbs(base, opts.gate!, validateArgs)
    : new ZeroInflatedLogits(base, opts.gateLogits!, validateArgs);
}
