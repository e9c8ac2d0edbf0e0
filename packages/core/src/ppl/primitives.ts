/**
 * The primitives a model is written with: `sample`, `param`, `deterministic`, `factor`,
 * `module`. Each builds a message and sends it through the handler stack; with no handler
 * active they take a fast path (return the observation, draw directly, return the init).
 * @module
 */
import { logicalNot, where } from "../ops/elementwise.js";
import { reshape } from "../ops/movement.js";
import type { Key } from "../random/index.js";
import { nameChecks } from "../tensor/deferred-checks.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { type ConstraintLike, type DistributionLike, isDistributionLike } from "./distribution-like.js";
import { MaskMessenger } from "./handlers/mask.js";
import {
  baseFields,
  type DeterministicMessage,
  type InferConfig,
  type ParamInit,
  type ParamMessage,
  type SampleMessage,
} from "./message.js";
import { applyStack, handlerStack, withHandler } from "./messenger.js";
import { UnitFactor } from "./unit.js";

export { prngKey } from "./messenger.js";

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Observed value: the site is conditioned on it and no randomness is drawn. */
  obs?: Tensor | null;
  /**
   * Boolean mask over the batch shape: where true the site is observed (`${name}_observed`),
   * where false it is imputed (`${name}_unobserved`); the result is a deterministic `name`.
   */
  obsMask?: Tensor | null;
  /** Extra leading dims of independent draws. */
  sampleShape?: Shape;
  /** Inference hints stored on the message. */
  infer?: InferConfig;
  /** Key to draw with (otherwise the enclosing `seed` supplies one). */
  rngKey?: Key | null;
}

function checkName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0)
    throw new Error(`${kind}: the site name must be a non-empty string`);
}

/**
 * A random variable named `name` with distribution `fn`.
 * @example
 * const z = seed(() => sample("z", new Normal(0, 1)), key(0))(); // a draw
 * const y = sample("y", new Normal(0, 1), { obs: tensor(2) }); // 2, scored by the enclosing handlers
 */
export function sample(name: string, fn: DistributionLike, opts: SampleOptions = {}): Tensor {
  checkName("sample", name);
  if (!isDistributionLike(fn))
    throw new Error(
      `sample site '${name}': fn must be a distribution (with sample, logProb, expand, batchShape, eventShape)`,
    );
  const obs = opts.obs ?? null;
  if (opts.obsMask !== undefined && opts.obsMask !== null)
    return maskedObserve(name, fn, obs, opts.obsMask, opts);
  const sampleShape = opts.sampleShape ?? [];
  const rngKey = opts.rngKey ?? null;
  if (handlerStack().length === 0) {
    if (obs !== null) return obs;
    if (rngKey === null)
      throw new Error(
        `sample site '${name}': no random key to draw with; run the model under seed(model, key) or pass { rngKey }`,
      );
    return fn.reparametrized && fn.rsample ? fn.rsample(rngKey, sampleShape) : fn.sample(rngKey, sampleShape);
  }
  const msg: SampleMessage = {
    ...baseFields(name),
    type: "sample",
    name,
    fn,
    args: [],
    kwargs: { rngKey, sampleShape: [...sampleShape] },
    value: obs,
    isObserved: obs !== null,
    mask: null,
    intermediates: [],
    infer: { ...(opts.infer ?? {}) },
  };
  const value = applyStack(msg).value as Tensor;
  // Validation checks of `fn` (deferred to the next readback) now name this site.
  nameChecks(name);
  return value;
}

function maskedObserve(
  name: string,
  fn: DistributionLike,
  obs: Tensor | null,
  obsMask: Tensor,
  opts: SampleOptions,
): Tensor {
  if (obs === null)
    throw new Error(`sample site '${name}': obsMask needs obs (the values where the mask is true)`);
  const rest: SampleOptions = { sampleShape: opts.sampleShape, infer: opts.infer, rngKey: opts.rngKey };
  const mask = obsMask.dtype === "bool" ? obsMask : obsMask.ne(0);
  const observed = withHandler(new MaskMessenger(mask), () =>
    sample(`${name}_observed`, fn, { ...rest, obs }),
  );
  const unobserved = withHandler(new MaskMessenger(logicalNot(mask)), () =>
    sample(`${name}_unobserved`, fn, rest),
  );
  const batchMask = reshape(mask, [...mask.shape, ...fn.eventShape.map(() => 1)]);
  return deterministic(name, where(batchMask, observed, unobserved));
}

/** Options of {@link param}. */
export interface ParamOptions {
  /** The set the param lives in (e.g. positive); inference maps it to an unconstrained space. */
  constraint?: ConstraintLike | null;
  /** Number of trailing dims that are not batch dims; needed for slicing inside subsampled plates. */
  eventDim?: number | null;
}

/**
 * A learnable parameter. There is no global store: the value comes from a handler
 * (`substitute` in SVI) or, failing that, from `init` (a tensor, or a function of a key).
 * @example
 * const guide = () => {
 *   const loc = param("loc", zeros([3]));
 *   const spread = param("spread", (k) => random.uniform(k!, [3]), { constraint: positive });
 *   return plate("K", 3, () => sample("z", new Normal(loc, spread)));
 * };
 * trace(seed(guide, 0)).getTrace().get("spread")!.value; // 3 uniform draws (the key comes from seed)
 */
export function param(name: string, init: ParamInit, opts: ParamOptions = {}): Tensor {
  checkName("param", name);
  if (handlerStack().length === 0) {
    if (typeof init === "function")
      throw new Error(
        `param '${name}': a function init needs a random key; run the model under seed(model, key)`,
      );
    return init;
  }
  const msg: ParamMessage = {
    ...baseFields(name),
    type: "param",
    name,
    fn: init,
    args: [],
    kwargs: { constraint: opts.constraint ?? null, eventDim: opts.eventDim ?? null },
    value: null,
  };
  return applyStack(msg).value as Tensor;
}

/**
 * Record a named, computed value in the trace (handlers like `substitute` may override it).
 * @example
 * const model = () => {
 *   const a = sample("a", new Normal(0, 1));
 *   const b = sample("b", new Normal(0, 1));
 *   return deterministic("mu", a.add(b));
 * };
 * [...trace(seed(model, 0)).getTrace().keys()]; // ["a", "b", "mu"]: MCMC and Predictive report mu too
 */
export function deterministic(name: string, value: Tensor): Tensor {
  checkName("deterministic", name);
  if (handlerStack().length === 0) return value;
  const msg: DeterministicMessage = { ...baseFields(name), type: "deterministic", name, value };
  return applyStack(msg).value as Tensor;
}

/**
 * Add `logFactor` to the model's log-density, as an observed auxiliary site.
 * @example
 * const model = () => {
 *   const x = sample("x", new Normal(0, 10).expand([2]).toEvent(1));
 *   factor("penalty", x.square().sum().neg());
 * };
 * logDensity(model, [], { x: tensor([1, 2]) }).logJoint.item(); // ≈ −11.47 = log N(x | 0, 10) − 5
 */
export function factor(name: string, logFactor: Tensor | number): void {
  const unit = new UnitFactor(logFactor);
  sample(name, unit, { obs: unit.emptyValue(), infer: { isAuxiliary: true } });
}

/**
 * A neural-network-like object: named parameters created by `init` and a pure `apply`.
 */
export interface ModuleLike<A extends unknown[], R> {
  /** Names of the parameters `init` returns. */
  readonly paramNames: readonly string[];
  /** Initial parameters (may use the key for random init). */
  init(key: Key | null): Record<string, Tensor>;
  /** Evaluate with the given parameters. */
  apply(params: Record<string, Tensor>, ...args: A): R;
}

/**
 * Register a module's parameters as params named `${name}$params.${p}` and return its
 * `apply` bound to their current values. `init` runs at most once per call, with the key
 * of the first param that needs it.
 * @example
 * const decoder = mlp([2, 8, 3]);
 * const model = (x: Tensor) => module("decoder", decoder)(x); // params "decoder$params.0.weight", ...
 * seed(model, 0)(ones([5, 2])).shape; // [5, 3]
 */
export function module<A extends unknown[], R>(name: string, nn: ModuleLike<A, R>): (...args: A) => R {
  if (handlerStack().length === 0) {
    const p0 = nn.init(null);
    return (...args: A) => nn.apply(p0, ...args);
  }
  let initial: Record<string, Tensor> | null = null;
  const params: Record<string, Tensor> = {};
  for (const p of nn.paramNames) {
    params[p] = param(`${name}$params.${p}`, (k: Key | null) => {
      initial ??= nn.init(k);
      const v = initial[p];
      if (!v) throw new Error(`module '${name}': init() did not return the parameter '${p}'`);
      return v;
    });
  }
  return (...args: A) => nn.apply(params, ...args);
}
