/**
 * A normalizing flow: a standard Normal base on R^D pushed through a stack of flow layers.
 * `NormalizingFlow` follows core's `ModuleLike` convention, so `module(name, flow)()` in a
 * model or guide registers every layer's params with `param` (SVI trains them) and returns a
 * {@link FlowDistribution} usable as a prior or a guide distribution.
 * @module
 */
import {
  type DType,
  type Key,
  type ModuleLike,
  key as makeKey,
  ones,
  splitKey,
  type Tensor,
  zeros,
} from "@scribe/core";
import { Normal, TransformedDistribution } from "@scribe/distributions";
import { AffineCoupling, type CouplingOptions } from "./affine-coupling.js";
import type { AutoregressiveOptions } from "./autoregressive-options.js";
import type { FlowLayer, FlowTransform } from "./flow-transform.js";
import { InverseAutoregressiveFlow } from "./iaf.js";
import { MaskedAutoregressiveFlow } from "./maf.js";
import { SplineCoupling, type SplineCouplingOptions } from "./spline-coupling.js";

/** The flow kinds, named as SCRIBE's `guide_flow` names them. */
export type FlowKind = "affine_coupling" | "spline_coupling" | "maf" | "iaf";

/** The flow kinds, for validation and messages. */
export const FLOW_KINDS: readonly FlowKind[] = ["affine_coupling", "spline_coupling", "maf", "iaf"];

/**
 * The law of y = f_L(…f_1(z)) with z ~ N(0, I_D): `logProb(y)` is log N(f⁻¹(y)) − Σ log |det
 * J_{f_i}|, `sample`/`rsample` push base draws through the layers (reparameterised).
 * @example
 * const flow = normalizingFlow("affine_coupling", 2, { numLayers: 2 });
 * const d = flow.apply(flow.init(key(0)));
 * d.logProb(tensor([0.3, -0.2])); // log N([0.3, −0.2]; 0, I) at initialisation (identity)
 */
export class FlowDistribution extends TransformedDistribution {
  constructor(
    readonly dim: number,
    readonly flowTransforms: readonly FlowTransform[],
    dtype: DType = "float32",
  ) {
    const f = dtype === "float64" ? "float64" : "float32";
    super(new Normal(zeros([dim], f), ones([dim], f)).toEvent(1), flowTransforms);
  }
}

/**
 * A stack of flow layers over R^dim; params of layer i are `${i}.${param}`.
 * @example
 * const flow = new NormalizingFlow([new AffineCoupling(2, { parity: 0 }), new AffineCoupling(2, { parity: 1 })]);
 * const prior = (x?: Tensor) => sample("z", module("prior_flow", flow)()); // params "prior_flow$params.0.out.weight", ...
 */
export class NormalizingFlow implements ModuleLike<[], FlowDistribution> {
  readonly paramNames: readonly string[];
  /** Size of the event. */
  readonly dim: number;

  constructor(
    readonly layers: readonly FlowLayer[],
    readonly dtype: DType = "float32",
  ) {
    const first = layers[0];
    if (!first) throw new Error("NormalizingFlow: needs at least one layer");
    layers.forEach((l, i) => {
      if (l.dim !== first.dim)
        throw new Error(
          `NormalizingFlow: layer ${i} acts on R^${l.dim}, layer 0 on R^${first.dim}; all must match`,
        );
    });
    this.dim = first.dim;
    this.paramNames = layers.flatMap((l, i) => l.paramNames.map((p) => `${i}.${p}`));
  }

  init(k: Key | null): Record<string, Tensor> {
    const keys = splitKey(k ?? makeKey(0), this.layers.length);
    const out: Record<string, Tensor> = {};
    this.layers.forEach((l, i) => {
      for (const [p, t] of Object.entries(l.init(keys[i]!))) out[`${i}.${p}`] = t;
    });
    return out;
  }

  /** The layers' bijections under `params`, first applied first. */
  transforms(params: Record<string, Tensor>): FlowTransform[] {
    return this.layers.map((l, i) => {
      const sub: Record<string, Tensor> = {};
      for (const p of l.paramNames) {
        const v = params[`${i}.${p}`];
        if (!v) throw new Error(`NormalizingFlow: missing param '${i}.${p}' of layer ${i}`);
        sub[p] = v;
      }
      return l.bind(sub);
    });
  }

  /** The flow distribution under `params`. */
  apply(params: Record<string, Tensor>): FlowDistribution {
    return new FlowDistribution(this.dim, this.transforms(params), this.dtype);
  }
}

/** Options of {@link normalizingFlow}: the layer count and every layer kind's options. */
export interface NormalizingFlowOptions
  extends Omit<CouplingOptions, "parity">,
    Omit<SplineCouplingOptions, "parity">,
    Omit<AutoregressiveOptions, "reverse"> {
  /** Number of layers (default 4). */
  numLayers?: number;
}

/**
 * A flow of `numLayers` layers of one kind; coupling layers alternate the kept parity, and
 * autoregressive layers alternate the order, so every coordinate is transformed and every
 * coordinate conditions the others.
 * @example
 * const flow = normalizingFlow("spline_coupling", 3, { numLayers: 4, hiddenDims: [32, 32], numBins: 8 });
 */
export function normalizingFlow(
  kind: FlowKind,
  dim: number,
  opts: NormalizingFlowOptions = {},
): NormalizingFlow {
  const n = opts.numLayers ?? 4;
  if (!(Number.isInteger(n) && n > 0))
    throw new Error(`normalizingFlow: numLayers must be a positive integer, got ${n}`);
  if (!(Number.isInteger(dim) && dim > 0))
    throw new Error(`normalizingFlow: dim must be a positive integer, got ${dim}`);
  const { numLayers: _n, ...layerOpts } = opts;
  const layers: FlowLayer[] = Array.from({ length: n }, (_, i) => {
    const alt = (i % 2) as 0 | 1;
    switch (kind) {
      case "affine_coupling":
        return new AffineCoupling(dim, { ...layerOpts, parity: alt });
      case "spline_coupling":
        return new SplineCoupling(dim, { ...layerOpts, parity: alt });
      case "maf":
        return new MaskedAutoregressiveFlow(dim, { ...layerOpts, reverse: alt === 1 });
      case "iaf":
        return new InverseAutoregressiveFlow(dim, { ...layerOpts, reverse: alt === 1 });
      default:
        throw new Error(
          `normalizingFlow: unknown flow kind '${String(kind)}' (known: ${FLOW_KINDS.join(", ")})`,
        );
    }
  });
  return new NormalizingFlow(layers, opts.dtype ?? "float32");
}
