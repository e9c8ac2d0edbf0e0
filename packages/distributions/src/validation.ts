import {
  type CheckFailure,
  checkOrDefer,
  cpuBackend,
  scalar,
  type Tensor,
  where,
  withBackend,
} from "@scribe/core";
import type { Constraint } from "./constraint.js";
import type { Distribution } from "./distribution.js";

/**
 * Validation never reads back by itself: each check is a bool tensor handed to core's
 * `checkOrDefer` (tensor/deferred-checks.ts), which reduces it on the device and throws the
 * message below for the first failing element. On the cpu, outside a model and for values in
 * memory, that happens at once; elsewhere (WebGPU, inside a model, pending expressions) at
 * the next readback, with the sample site's name in front inside a model. The message is
 * written by the same function either way, so it is the same on every backend.
 */

function fmtIndex(position: readonly number[]): string {
  return position.length === 0 ? "" : `[${position.join(", ")}]`;
}

/** The value (or the first 8 values of the event) at the failing batch index. */
function fmtEvent(data: ArrayLike<number>, flat: number, eventSize: number, eventDim: number): string {
  if (eventDim === 0) return String(data[flat]);
  const vals = Array.from({ length: Math.min(eventSize, 8) }, (_, i) => data[flat * eventSize + i]);
  return `[${vals.join(", ")}${eventSize > 8 ? ", ..." : ""}]`;
}

function eventSizeOf(x: Tensor, eventDim: number): number {
  return x.shape.slice(x.rank - eventDim).reduce((a, b) => a * b, 1);
}

/**
 * Parameters broadcast to a batch shape remember the tensor they came from, so validation
 * checks the values the user passed (once each) rather than every broadcast copy.
 * @internal
 */
export const preBroadcast = new WeakMap<Tensor, Tensor>();

/**
 * Check distribution parameters against their constraints without a synchronous readback.
 * The error reads e.g. `Normal: argument 'scale' must satisfy positive, but scale[3] = -1`
 * (inside a model: `site 'x': Normal: ...`); it is thrown at once on the cpu for values in
 * memory outside a model, and otherwise at the next readback (see core's `checkOrDefer`).
 * Parameters with a `dependent` constraint, or none, are skipped.
 * @example
 * let message = "";
 * try {
 *   validateArgs("Normal", { loc: tensor([0]), scale: tensor([-1]) }, { loc: real, scale: positive });
 * } catch (e) {
 *   message = (e as Error).message; // "Normal: argument 'scale' must satisfy positive, but scale[0] = -1"
 * }
 */
export function validateArgs(
  name: string,
  params: Readonly<Record<string, Tensor | number | undefined>>,
  argConstraints: Readonly<Record<string, Constraint>>,
): void {
  for (const [k, c] of Object.entries(argConstraints)) {
    const given = params[k];
    if (given === undefined || c.name === "dependent") continue;
    const v = typeof given === "number" ? given : (preBroadcast.get(given) ?? given);
    if (typeof v === "number") {
      // A plain number is checked exactly (float64, on the cpu); only its failure is deferred
      // inside a model, so that the site can name it.
      if (c.eventDim === 0)
        checkOrDefer(
          withBackend(cpuBackend(), () => c.check(scalar(v, "float64"))),
          () => `${name}: argument '${k}' must satisfy ${c.toString()}, but ${k} = ${v}`,
        );
      continue;
    }
    if (v.rank < c.eventDim)
      throw new Error(
        `${name}: argument '${k}' needs at least ${c.eventDim} dims for ${c.toString()}, got shape [${v.shape.join(", ")}]`,
      );
    const eventSize = eventSizeOf(v, c.eventDim);
    checkOrDefer(
      c.check(v),
      (f: CheckFailure) =>
        `${name}: argument '${k}' must satisfy ${c.toString()}, but ${k}${fmtIndex(f.position)} = ${fmtEvent(f.values[0]!, f.index, eventSize, c.eventDim)}`,
      [v],
    );
  }
}

/**
 * Check that `value` lies in `dist.support`, without a synchronous readback: the error names
 * the distribution, the first offending index and the value, and is thrown as
 * {@link validateArgs}'s are (at once on the cpu for values in memory outside a model,
 * otherwise at the next readback). For observed data, checked once.
 * @example
 * let message = "";
 * try {
 *   assertInSupport(new Gamma(2, 1), tensor([1, -3]));
 * } catch (e) {
 *   message = (e as Error).message; // "Gamma: value[1] = -3 is outside the support positive"
 * }
 */
export function assertInSupport(dist: Distribution, value: Tensor): void {
  const s = dist.support;
  const eventSize = eventSizeOf(value, s.eventDim);
  checkOrDefer(
    s.check(value),
    (f: CheckFailure) =>
      `${dist.constructor.name}: value${fmtIndex(f.position)} = ${fmtEvent(f.values[0]!, f.index, eventSize, s.eventDim)} is outside the support ${s.toString()}`,
    [value],
  );
}

/**
 * Sample validation for `logProb`, as NumPyro does with validation on: where `value` is outside
 * the support, the log-density is replaced by −∞ (lazily, without reading back). With
 * `dist.validateArgs` off the log-density is returned as computed (the formula may give NaN
 * outside the support). Supports of `real` skip the mask.
 * @internal
 */
export function maskOutOfSupport(dist: Distribution, value: Tensor, lp: Tensor): Tensor {
  if (!dist.validateArgs) return lp;
  const s = dist.support;
  if (
    s.name === "real" ||
    (s.name === "independent" && (s as unknown as { base: Constraint }).base.name === "real")
  )
    return lp;
  return where(s.check(value), lp, -Infinity);
}
