/**
 * Log-densities from traces: per-site log-probs with masks and scales applied, their sum,
 * and `logDensity(model, args, params)` (NumPyro's `log_density`).
 * @module
 */
import {
  broadcastShapes,
  type SampleMessage,
  type SiteValues,
  scalar,
  substitute,
  type Tensor,
  type Trace,
  trace,
  where,
  zeros,
} from "@scribe/core";

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Options for per-site log-probs. */
export interface SiteLogProbOptions {
  /** Multiply by the site's scale (plate N/B, `scale` handler). Default true. */
  scaled?: boolean;
}

/**
 * The log-prob of a sample site's value, batch-shaped, with the message's mask applied
 * (masked-out entries are 0) and, unless `scaled: false`, multiplied by its scale.
 * @example
 * import type { SampleMessage } from "@scribe/core";
 * const model = () => plate("N", 3, () => sample("y", new Normal(0, 1), { obs: tensor([0, 1, 2]) }));
 * const site = trace(model).getTrace().get("y") as SampleMessage;
 * siteLogProb(site); // [−0.92, −1.42, −2.92]: log N(y_i | 0, 1), one per plate entry
 */
export function siteLogProb(site: SampleMessage, opts: SiteLogProbOptions = {}): Tensor {
  const value = site.value;
  if (value === null)
    throw new Error(`site '${site.name}': no value to score (was the model run under seed?)`);
  let lp: Tensor;
  if (site.mask === false) {
    const batch = broadcastShapes(
      site.fn.batchShape,
      value.shape.slice(0, value.rank - site.fn.eventShape.length),
    );
    lp = zeros(batch, value.dtype === "float64" ? "float64" : "float32");
  } else {
    try {
      lp = site.fn.logProb(value);
    } catch (e) {
      throw new Error(
        `site '${site.name}': logProb failed for a value of shape ${fmt(value.shape)} under batch shape ${fmt(site.fn.batchShape)} and event shape ${fmt(site.fn.eventShape)}: ${(e as Error).message}`,
      );
    }
    if (site.mask !== null && site.mask !== true) lp = where(site.mask, lp, 0);
  }
  if ((opts.scaled ?? true) && site.scale !== null) lp = lp.mul(site.scale);
  return lp;
}

/** Sample sites of a trace (observed and latent), in order. */
export function sampleSites(tr: Trace): SampleMessage[] {
  const out: SampleMessage[] = [];
  for (const s of tr.values()) if (s.type === "sample") out.push(s);
  return out;
}

/**
 * Per-site log-probs of every sample site: batch-shaped, or summed to scalars with
 * `sum: true`. Scaled unless `scaled: false`.
 */
export function computeLogProbs(
  tr: Trace,
  opts: SiteLogProbOptions & { sum?: boolean } = {},
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const s of sampleSites(tr)) {
    const lp = siteLogProb(s, opts);
    out.set(s.name, opts.sum ? lp.sum() : lp);
  }
  return out;
}

/**
 * The joint log-density of a trace: the sum over sample sites of scaled, masked log-probs.
 * Starts from a scalar 0, so an empty trace gives a (differentiable) 0.
 */
export function traceLogDensity(tr: Trace): Tensor {
  let total: Tensor = scalar(0);
  for (const s of sampleSites(tr)) total = total.add(siteLogProb(s).sum());
  return total;
}

/**
 * Run `model(...args)` with `params` substituted and return its joint log-density and trace.
 * Latent sites not in `params` must get values elsewhere (e.g. wrap the model in `seed`).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const { logJoint } = logDensity(model, [tensor([0.3, 1.2, 0.8])], { mu: tensor(0.5) });
 * logJoint.item(); // ≈ −6.29 = log N(0.5 | 0, 10) + Σ log N(y_i | 0.5, 1)
 */
export function logDensity<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  params: SiteValues,
): { logJoint: Tensor; trace: Trace } {
  const tr = trace(substitute(model, params)).getTrace(...args);
  return { logJoint: traceLogDensity(tr), trace: tr };
}
