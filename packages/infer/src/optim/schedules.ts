/**
 * Learning-rate schedules: functions of the 0-based step index, usable wherever an
 * optimizer takes a learning rate.
 * @module
 */

/** A learning-rate schedule. */
export type Schedule = (step: number) => number;

/**
 * init · rate^(step / transitionSteps); with `staircase` the exponent is floored.
 * @example
 * adam(exponentialDecay(1e-2, 1000, 0.5)); // halves every 1000 steps
 */
export function exponentialDecay(
  init: number,
  transitionSteps: number,
  decayRate: number,
  opts: { staircase?: boolean } = {},
): Schedule {
  if (!(transitionSteps > 0))
    throw new Error(`exponentialDecay: transitionSteps must be positive, got ${transitionSteps}`);
  return (step) => {
    const e = step / transitionSteps;
    return init * decayRate ** (opts.staircase ? Math.floor(e) : e);
  };
}

/**
 * Cosine decay from `init` to `init · alpha` over `decaySteps`, constant afterwards.
 * @example
 * cosineDecay(1e-2, 5000)(2500); // 5e-3
 */
export function cosineDecay(init: number, decaySteps: number, alpha = 0): Schedule {
  if (!(decaySteps > 0)) throw new Error(`cosineDecay: decaySteps must be positive, got ${decaySteps}`);
  return (step) => {
    const t = Math.min(step, decaySteps) / decaySteps;
    return init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
}

/**
 * values[k] where k is the number of boundaries strictly below the step
 * (`values.length === boundaries.length + 1`).
 * @example
 * piecewiseConstant([100, 200], [1e-2, 1e-3, 1e-4])(150); // 1e-3
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): Schedule {
  if (values.length !== boundaries.length + 1)
    throw new Error(
      `piecewiseConstant: need ${boundaries.length + 1} values for ${boundaries.length} boundaries, got ${values.length}`,
    );
  return (step) => {
    let k = 0;
    for (const b of boundaries) if (step > b) k++;
    return values[k]!;
  };
}
