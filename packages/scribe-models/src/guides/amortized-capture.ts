/**
 * The amortized capture guide (SCRIBE guides): a small MLP maps the statistic log1p(Σ_g u_cg) of
 * each cell to the parameters of its capture factor, so the number of variational
 * parameters does not grow with the number of cells. Hidden layers [64, 32] with leaky ReLU
 * (slope 0.01), He-normal hidden weights, zero-initialised output head. Constrained models:
 * α, β = clip(softplus(x) + 0.5, 0.1, 50) → Beta (p_capture) or BetaPrime (phi_capture);
 * unconstrained: (loc, log_scale) → Normal(loc, exp(log_scale)) → sigmoid / positive transform.
 *
 * The MLP is written with core ops (no dependency on an `nn` module): each layer is a pair of
 * params `capture_amortizer_W{i}` [in, out] and `capture_amortizer_b{i}` [out].
 * @module
 */
import {
  clamp,
  exp,
  full,
  type Key,
  log1p,
  maximum,
  random,
  softplus,
  type Tensor,
  zeros,
} from "@scribe/core";
import { Beta, type Distribution } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { transformOf } from "../models/config.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import type { SiteSpec } from "../models/sites.js";
import { TransformedNormal } from "../models/transformed-normal.js";
import type { ParamGetter } from "./factors.js";

/** Leaky ReLU with slope 0.01. */
export function leakyRelu(x: Tensor): Tensor {
  return maximum(x, x.mul(0.01));
}

/** Names and shapes of the amortizer's parameters. */
export function amortizerParamShapes(hidden: readonly number[]): { name: string; shape: number[] }[] {
  const dims = [1, ...hidden, 2];
  const out: { name: string; shape: number[] }[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    out.push({ name: `capture_amortizer_W${i}`, shape: [dims[i]!, dims[i + 1]!] });
    out.push({ name: `capture_amortizer_b${i}`, shape: [dims[i + 1]!] });
  }
  return out;
}

/** Run the MLP on per-cell totals [B] and return the two raw outputs [B, 2]. */
export function amortizerForward(cfg: ModelConfig, totals: Tensor, get: ParamGetter): Tensor {
  const shapes = amortizerParamShapes(cfg.captureHiddenDims);
  const nLayers = shapes.length / 2;
  let h = log1p(totals).reshape([-1, 1]);
  for (let i = 0; i < nLayers; i++) {
    const ws = shapes[2 * i]!;
    const last = i === nLayers - 1;
    const fanIn = ws.shape[0]!;
    const W = get(
      ws.name,
      last
        ? zeros(ws.shape)
        : (k: Key | null) =>
            k ? random.normal(k, ws.shape).mul(Math.sqrt(2 / fanIn)) : full(ws.shape, 0.01),
      {},
    );
    const b = get(shapes[2 * i + 1]!.name, zeros(shapes[2 * i + 1]!.shape), {});
    h = h.matmul(W).add(b);
    if (!last) h = leakyRelu(h);
  }
  return h;
}

/** The amortized capture factor for cells with totals `totals` [B]. */
export function amortizedCaptureFactor(
  cfg: ModelConfig,
  spec: SiteSpec,
  totals: Tensor,
  get: ParamGetter,
): Distribution {
  const out = amortizerForward(cfg, totals, get);
  const B = totals.shape[0]!;
  const x0 = out.slice([0, 0], [B, 1]).reshape([B]);
  const x1 = out.slice([0, 1], [B, 2]).reshape([B]);
  if (cfg.unconstrained) return new TransformedNormal(x0, exp(x1), transformOf(cfg, spec.name));
  const a = clamp(softplus(x0).add(0.5), 0.1, 50);
  const b = clamp(softplus(x1).add(0.5), 0.1, 50);
  return spec.name === "phi_capture" ? new ScribeBetaPrime(a, b) : new Beta(a, b, false);
}
