/**
 * `inferDiscrete`: values for a model's enumerated discrete sites given its continuous
 * values (NumPyro's `infer_discrete`). The model runs once under `enumerate`; the sites are
 * then decided one at a time, in the order the model samples them: each site's
 * max-marginal (temperature 0, max-product: the joint MAP) or marginal (temperature 1: a
 * draw from the exact joint posterior, by the chain rule) is contracted from the factors
 * with the sites decided so far held at their values. Everything stays on the device (no
 * readback). Sites of an enumerated `scan` are not supported here yet.
 * @module
 */
import {
  arange,
  argmax,
  broadcastTo,
  enumDimOf,
  enumerate,
  eq,
  gather,
  type Key,
  log,
  key as makeKey,
  neg,
  random,
  reshape,
  type SampleMessage,
  type SiteValues,
  seed,
  substitute,
  sum,
  type Tensor,
  trace,
  where,
} from "@scribe/core";
import { contractFactors, type Factor } from "./contract.js";
import { maxPlateNestingOf, traceFactors } from "./factors.js";

/** Options of {@link inferDiscrete}. */
export interface InferDiscreteOptions {
  /** Values of the model's continuous latent sites (e.g. one MCMC draw). */
  params?: SiteValues;
  /** 0: the joint MAP (max-product); 1: a draw from the joint posterior. Default 1. */
  temperature?: 0 | 1;
  /** Key for the draws at temperature 1 (and for any site the model samples). Default key(0). */
  rngKey?: Key | number;
  /** Plate dims the model uses; default: found by one seeded run. */
  maxPlateNesting?: number;
}

/**
 * Decide every enumerated site of `model(...args)`: returns site name → value (the shape the
 * site has in an ordinary run: its plates' batch shape plus its event shape).
 * @example
 * const model = (y: Tensor) => plate("N", y.shape[0]!, () => {
 *   const z = sample("z", Bernoulli({ probs: 0.5 }), { infer: { enumerate: "parallel" } });
 *   sample("y", new Normal(z.mul(4), 1), { obs: y });
 * });
 * inferDiscrete(model, [tensor([0.2, 3.9, 4.4])], { temperature: 0 }).z; // [0, 1, 1]
 */
export function inferDiscrete<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  opts: InferDiscreteOptions = {},
): Record<string, Tensor> {
  const temperature = opts.temperature ?? 1;
  if (temperature !== 0 && temperature !== 1)
    throw new Error(`inferDiscrete: temperature must be 0 (MAP) or 1 (posterior draw), got ${temperature}`);
  const rngKey =
    typeof opts.rngKey === "number" || opts.rngKey === undefined ? makeKey(opts.rngKey ?? 0) : opts.rngKey;
  const [kModel, kDraw] = random.split(rngKey, 2) as [Key, Key];
  let fn: (...a: A) => unknown = seed(model, kModel);
  if (opts.params) fn = substitute(fn, opts.params);
  const maxPlateNesting = opts.maxPlateNesting ?? maxPlateNestingOf(trace(fn).getTrace(...args));
  const tr = trace(enumerate(fn, { maxPlateNesting })).getTrace(...args);
  const tf = traceFactors(tr);
  if (tf.scans.size > 0)
    throw new Error(
      "inferDiscrete: enumerated scan sites are not supported yet (only their marginal likelihood is)",
    );
  const { rank } = tf;
  let factors: Factor[] = [...tf.factors];
  const order: SampleMessage[] = [];
  for (const s of tr.values()) if (s.type === "sample" && enumDimOf(s) !== undefined) order.push(s);
  const remaining = new Set(order.map((s) => enumDimOf(s)!)); // every site in `order` has a dim
  const semiring = temperature === 0 ? "max" : "sum";
  const drawKeys = order.length > 0 ? (random.split(kDraw, order.length) as Key[]) : [];
  const out: Record<string, Tensor> = {};
  order.forEach((site, i) => {
    const d = enumDimOf(site)!; // `order` holds enumerated sites only
    const size = (site.infer as { _enumSize?: number })._enumSize ?? 1;
    remaining.delete(d);
    const keep = new Set(site.condIndepStack.map((f) => f.name));
    const m = contractFactors(factors, tf.plates, { rank, sumDims: remaining, keep, semiring });
    const axis = rank + d;
    const scores = temperature === 0 ? m : m.add(gumbel(drawKeys[i]!, m.shape, m.dtype)); // one key per site
    const idx = argmax(
      broadcastTo(
        scores,
        scores.shape.map((n, a) => (a === axis ? size : n)),
      ),
      axis,
      true,
    );
    // Hold the site at its value in every factor that mentions it.
    const at = reshape(arange(0, size, 1, "int32"), [size, ...new Array<number>(-d - 1).fill(1)]);
    const chosen = eq(at, idx);
    factors = factors.map((f) =>
      (f.logp.shape[axis] ?? 1) > 1 ? { ...f, logp: sum(where(chosen, f.logp, 0), axis, true) } : f,
    );
    out[site.name] = siteValue(site, idx, size);
  });
  return out;
}

/** Standard Gumbel noise: argmax(logits + noise) is a draw from softmax(logits). */
function gumbel(k: Key, shape: readonly number[], dtype: Tensor["dtype"]): Tensor {
  const u = random.uniform(k, [...shape], 1e-12, 1, { dtype: dtype === "float64" ? "float64" : "float32" });
  return neg(log(neg(log(u))));
}

/** The support value at `idx` (rank R, unit dims outside the site's plates), in the site's own shape. */
function siteValue(site: SampleMessage, idx: Tensor, size: number): Tensor {
  const frames = site.condIndepStack;
  const n = frames.reduce((m, f) => Math.max(m, -f.dim), 0);
  const batch = new Array<number>(n).fill(1);
  for (const f of frames) batch[n + f.dim] = f.size;
  const trailing = reshape(idx, idx.shape.slice(idx.rank - n));
  const flat = reshape(broadcastTo(trailing, batch), [batch.reduce((a, b) => a * b, 1)]);
  const eventShape = site.fn.eventShape;
  const support = reshape(site.value!, [size, ...eventShape]); // enumerated sites hold their support
  return reshape(gather(support, flat, 0), [...batch, ...eventShape]);
}
