/**
 * Non-finite SVI steps, found without reading back: each step yields a scalar status code
 * on the device (0 finite; 1 the loss is not finite; 2 + i the gradient or the updated value
 * of param i is not finite), read with the losses in the loop's batched readback. When a run
 * stops on them, a replay of the failing step names the sample sites whose log-density is
 * not finite (one extra readback, on the error path only).
 * @module
 */
import { isfinite, type Key, scalar, scope, stack, type Tensor, where } from "@scribe/core";
import { siteLogProb } from "../util/log-density.js";
import type { ModelFn } from "./elbo.js";
import { traceParticle } from "./elbo.js";

/** Status code of a step whose loss, gradients and updated params are all finite. */
export const STEP_FINITE = 0;
/** Status code of a step whose loss is not finite. */
export const STEP_LOSS_NON_FINITE = 1;

/**
 * The status code of one step as a scalar tensor (see the module doc), built from
 * reductions that fuse with the step's own (`x·0` sums to 0 exactly when every entry of `x`
 * is finite, NaN otherwise). `names` fixes the param order of the codes.
 */
export function stepStatus(
  loss: Tensor,
  names: readonly string[],
  grads: Readonly<Record<string, Tensor>>,
  updated: Readonly<Record<string, Tensor>>,
): Tensor {
  let code: Tensor = scalar(STEP_FINITE, "float32");
  // Walk backwards so the first non-finite param (in `names` order) wins.
  for (let i = names.length - 1; i >= 0; i--) {
    const n = names[i]!;
    let probe = grads[n]!.mul(0).sum();
    const u = updated[n];
    if (u) probe = probe.add(u.mul(0).sum());
    code = where(isfinite(probe), code, 2 + i);
  }
  return where(isfinite(loss), code, STEP_LOSS_NON_FINITE);
}

/** Where a non-finite step went wrong, in words: the loss, or a param by name. */
export function describeStatus(code: number, names: readonly string[]): string {
  if (code === STEP_LOSS_NON_FINITE) return "the loss is not finite";
  const n = names[code - 2];
  return n === undefined
    ? `unknown status ${code}`
    : `the gradient or the updated value of param '${n}' is not finite`;
}

/**
 * The sample sites whose summed log-density is not finite in a replay of one particle of a
 * step (its key and constrained params), with the offending value: e.g.
 * `guide site 'nu' (log q = -Infinity)`. Reads back once. Empty when every site is finite
 * (then a param transform or the optimizer produced the non-finite value).
 */
export async function nonFiniteSites<A extends unknown[]>(
  rngKey: Key,
  params: Record<string, Tensor>,
  model: ModelFn<A>,
  guide: ModelFn<A>,
  args: A,
): Promise<string[]> {
  const { names, values } = scope(() => {
    const { modelTrace, guideTrace } = traceParticle(rngKey, params, model, guide, args);
    const names: string[] = [];
    const terms: Tensor[] = [];
    for (const [label, tr] of [
      ["guide", guideTrace],
      ["model", modelTrace],
    ] as const)
      for (const s of tr.values()) {
        if (s.type !== "sample" || (label === "guide" && s.isObserved)) continue;
        names.push(`${label} site '${s.name}'`);
        terms.push(siteLogProb(s).sum().astype("float32"));
      }
    return { names, values: terms.length ? stack(terms) : null };
  });
  if (!values) return [];
  const v = await values.data();
  values.dispose();
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const x = Number(v[i]);
    if (!Number.isFinite(x))
      out.push(`${names[i]} (${names[i]!.startsWith("guide") ? "log q" : "log p"} = ${x})`);
  }
  return out;
}

/**
 * Thrown by `SVI.run` when `maxNonFiniteSteps` consecutive steps were not finite. It carries
 * the run's state (the last finite one when updates are stable) so the caller can save or
 * free it, and the step and place of the last failure.
 */
export class SVINonFiniteError extends Error {
  constructor(
    message: string,
    /** 1-based step (counting earlier runs of a resumed fit) of the last non-finite step. */
    readonly step: number,
    /** What was not finite: the loss, a param, and the sites found by a replay. */
    readonly where: string,
    /** The state at the stop (owned by the catcher: dispose it with the optimizer). */
    readonly state: unknown,
  ) {
    super(message);
    this.name = "SVINonFiniteError";
  }
}
