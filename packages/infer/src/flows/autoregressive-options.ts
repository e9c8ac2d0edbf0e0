/**
 * Options shared by the autoregressive flows (MAF and IAF).
 * @module
 */
import type { MadeOptions } from "./made.js";

/** Options of {@link MaskedAutoregressiveFlow} and {@link InverseAutoregressiveFlow}. */
export interface AutoregressiveOptions extends MadeOptions {
  /** Soft clamp c of the log-scales: s = c·tanh(s_raw/c) (default 5; null: none). */
  logScaleClamp?: number | null;
}
