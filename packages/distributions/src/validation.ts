import { type Tensor, scalar, where } from "@scribe/core";
import type { Constraint } from "./constraint.js";
import type { Distribution } from "./distribution.js";

function fmtIndex(flat: number, shape: readonly number[]): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  let r = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(r % shape[i]!);
    r = Math.floor(r / shape[i]!);
  }
  return `[${idx.join(", ")}]`;
}

function fmtEvent(x: Tensor, flat: number, eventDim: number): string {
  const data = x.dataSync();
  if (eventDim === 0) return String(data[flat]);
  const n = x.shape.slice(x.rank - eventDim).reduce((a, b) => a * b, 1);
  const vals = Array.from(data.slice(flat * n, flat * n + Math.min(n, 8)));
  return `[${vals.join(", ")}${n > 8 ? ", ..." : ""}]`;
}

/** Flat index of the first false entry of a bool tensor, or -1. @internal */
function firstFalse(ok: Tensor): number {
  const d = ok.dataSync();
  for (let i = 0; i < d.length; i++) if (!d[i]) return i;
  return -1;
}

/**
 * Parameters broadcast to a batch shape remember the tensor they came from, so validation
 * checks the values the user passed (once each) rather than every broadcast copy.
 * @internal
 */
export const preBroadcast = new WeakMap<Tensor, Tensor>();

/**
 * Check distribution parameters against their constraints, reading values back to the CPU.
 * Throws e.g. `Normal: argument 'scale' must satisfy positive, but scale[3] = -1`. Parameters
 * with a `dependent` constraint, or none, are skipped.
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
      if (c.eventDim === 0) {
        const ok = c.check(scalarOf(v)).dataSync()[0];
        if (!ok) throw new Error(`${name}: argument '${k}' must satisfy ${c.toString()}, but ${k} = ${v}`);
      }
      continue;
    }
    if (v.rank < c.eventDim)
      throw new Error(`${name}: argument '${k}' needs at least ${c.eventDim} dims for ${c.toString()}, got shape [${v.shape.join(", ")}]`);
    const bad = firstFalse(c.check(v));
    if (bad >= 0) {
      const batch = v.shape.slice(0, v.rank - c.eventDim);
      throw new Error(
        `${name}: argument '${k}' must satisfy ${c.toString()}, but ${k}${fmtIndex(bad, batch)} = ${fmtEvent(v, bad, c.eventDim)}`,
      );
    }
  }
}

function scalarOf(v: number): Tensor {
  return scalar(v, "float64");
}

/**
 * Throw a clear error if `value` lies outside `dist.support` (reads back to the CPU): names the
 * distribution, the first offending index and the value. For observed data, checked once.
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
  const bad = firstFalse(s.check(value));
  if (bad >= 0) {
    const batch = value.shape.slice(0, value.rank - s.eventDim);
    throw new Error(
      `${dist.constructor.name}: value${fmtIndex(bad, batch)} = ${fmtEvent(value, bad, s.eventDim)} is outside the support ${s.toString()}`,
    );
  }
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
  if (s.name === "real" || (s.name === "independent" && (s as unknown as { base: Constraint }).base.name === "real")) return lp;
  return where(s.check(value), lp, -Infinity);
}
