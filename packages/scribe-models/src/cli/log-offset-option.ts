/**
 * `scribe fit --log-offset log-library` (PLN and NBLN, Laplace-EM or the VAE): each cell's
 * log rate gets log(N_c / N̄), its total over the mean total (laplace/log-offset.ts). The
 * command offers only the rule computed from the counts; per-cell arrays are for `fit()`.
 * @module
 */
import type { LogOffsetOption } from "../laplace/log-offset.js";
import { type Settings, setting } from "./fit-options.js";
import { UsageError } from "./util.js";

/** The models whose log rate takes an offset. */
const OFFSET_MODELS = ["pln", "nbln"];

/**
 * The `fit()` log offset of a run, or nothing without `--log-offset`; errors name the flag
 * and what it needs (the model, the inference method).
 * @example
 * logOffsetOption({ "model.log_offset": "log-library" }, "laplace", "pln"); // { logOffset: "log-library" }
 */
export function logOffsetOption(
  s: Settings,
  method: string,
  model: unknown,
): { logOffset?: LogOffsetOption } {
  const v = setting<string | null>(s, "model.log_offset");
  if (v === null || v === undefined) return {};
  if (!OFFSET_MODELS.includes(String(model)))
    throw new UsageError(
      `--log-offset: a log-rate offset for --model ${OFFSET_MODELS.join(" or ")}, not ${String(model)}`,
    );
  if (method !== "laplace" && method !== "vae")
    throw new UsageError(
      `--log-offset: --model ${String(model)} is fitted by --inference-method laplace or vae`,
    );
  if (v !== "log-library") throw new UsageError(`--log-offset: log-library is the one rule, got ${v}`);
  return { logOffset: v };
}
