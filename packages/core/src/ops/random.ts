import { record, withRecording } from "../autodiff/tape.js";
import type { SamplerKind, SamplerParam } from "../backend/backend.js";
import { currentBackend } from "../backend/registry.js";
import type { Key } from "../random/index.js";
import * as rng from "../random/index.js";
import { portableExp, portableLog, portableSigmoid } from "../random/portable-ops.js";
import { deferSamplerChecks } from "../random/sampler-checks.js";
import { fromTypedArray, scalar } from "../tensor/creation.js";
import type { DType } from "../tensor/dtype.js";
import { realize } from "../tensor/realize.js";
import { broadcastShapes, type Shape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { betaincGradAOp, betaincGradBOp, gammaSampleGradOp } from "./defs/incomplete.js";
import {
  add,
  betaln,
  broadcastTo,
  div,
  elementwise,
  exp,
  gt,
  isfinite,
  logicalAnd,
  lt,
  maximum,
  mul,
  neg,
  sub,
  type TensorLike,
  where,
  xlog1py,
  xlogy,
} from "./elementwise.js";
import { max, sum } from "./reduce.js";

/**
 * Tensor-level samplers over the counter-based key streams of `random/`: every element is a
 * function of (key, element index), so draws are reproducible across backends and threads.
 */

export { foldIn, type Key, key, randomBits, split } from "../random/index.js";
export {
  portableExp,
  portableExpm1,
  portableLog,
  portableLog1p,
  portableSigmoid,
  portableSoftplus,
  portableTanh,
  portableTanPi,
} from "../random/portable-ops.js";

function outShape(shape: Shape | undefined, params: readonly TensorLike[]): number[] {
  const ps = params.filter((p): p is Tensor => p instanceof Tensor).map((p) => p.shape);
  const base = broadcastShapes(...ps);
  if (!shape) return base;
  const full = broadcastShapes(shape, base);
  if (full.length !== shape.length || full.some((d, i) => d !== shape[i]))
    throw new Error(`random: parameter shape [${base}] does not broadcast to the requested shape [${shape}]`);
  return [...shape];
}

/** A parameter as per-element values over `shape` (a number stays a number), realized on its backend. */
function param(p: TensorLike, shape: Shape): SamplerParam {
  if (typeof p === "number") return p;
  return realize(broadcastTo(p, shape));
}

function floatDtype(params: readonly TensorLike[], dtype?: DType): DType {
  if (dtype) return dtype;
  return params.some((p) => p instanceof Tensor && p.dtype === "float64") ? "float64" : "float32";
}

/**
 * Run the backend's sampler kernel. The cpu backend runs the typed-array samplers of
 * random/; WebGPU runs the same algorithms as shaders on the same Threefry bits (float32, so
 * a rare draw differs where rounding flips a rejection test). A GPU kernel cannot throw for an
 * invalid parameter, so there the parameters are checked as deferred checks with the cpu's
 * messages, thrown at the next readback (random/sampler-checks.ts).
 */
function draw(
  kind: SamplerKind,
  k: Key,
  s: Shape,
  params: readonly TensorLike[],
  dtype: DType,
  categories?: number,
): Tensor {
  const ts = params.filter((p): p is Tensor => p instanceof Tensor);
  const backend = ts[0]?.backend ?? currentBackend();
  const n = sizeOf(s);
  const pshape = kind === "categorical" ? [...s, categories!] : s;
  if (!backend.readSync && n > 0)
    deferSamplerChecks(
      kind,
      params.map((p) => (typeof p === "number" ? p : broadcastTo(p, pshape))),
      categories,
    );
  const ps = params.map((p) => param(p, pshape));
  const buf = backend.alloc(dtype, n);
  try {
    if (n > 0) backend.sample(kind, k, n, ps, buf, categories);
  } catch (e) {
    backend.free(buf);
    throw e;
  }
  return new Tensor(backend, s, dtype, buf, null);
}

export interface SampleOptions {
  dtype?: DType;
}

/** Uniform draws on [low, high). */
export function uniform(
  k: Key,
  shape: Shape = [],
  low: TensorLike = 0,
  high: TensorLike = 1,
  opts: SampleOptions = {},
): Tensor {
  const s = outShape(shape, [low, high]);
  return draw("uniform", k, s, [low, high], floatDtype([low, high], opts.dtype));
}

/** Standard normal draws (scale and shift them for other normals). */
export function normal(k: Key, shape: Shape = [], opts: SampleOptions = {}): Tensor {
  return draw("normal", k, [...shape], [], opts.dtype ?? "float32");
}

/**
 * Gamma(concentration, rate 1) draws, differentiable in the concentration by implicit
 * reparameterization: dx/dα = −(∂F/∂α)/p(x) with F the gamma CDF.
 */
export function gamma(k: Key, concentration: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [concentration]);
  const out = draw("gamma", k, s, [concentration], floatDtype([concentration], opts.dtype));
  if (concentration instanceof Tensor)
    record(out, [concentration], "gamma", (g) => [
      mul(g, elementwise(gammaSampleGradOp, [concentration, out])),
    ]);
  return out;
}

/**
 * Beta(a, b) draws x = G_a/(G_a + G_b) = σ(log G_a − log G_b), with the gammas drawn in log
 * space: for a concentration c < 1, Marsaglia and Tsang's boost log G(c) = log G(c + 1) + log(U)/c
 * (G(1e-3) itself is below 1e-300 about half the time, and G_a/(G_a + G_b) would be 0/0). The
 * two log(U)/c terms are combined as (log U_a · b − log U_b · a)/(a·b) after scaling a and b by
 * their maximum, so even concentrations near the smallest doubles give the right endpoint.
 * Draws are exactly 0 or 1 when closer to an end than the dtype resolves. The logs and σ are
 * portable-ops', so a key gives the same bits in every JavaScript engine on the cpu backend.
 *
 * Differentiable in a and b by implicit reparameterization (Figurnov, Mohamed and Mnih,
 * "Implicit reparameterization gradients", 2018): holding the Beta CDF I_x(a, b) fixed,
 * ∂x/∂a = −(∂I_x/∂a)/p(x) and ∂x/∂b = −(∂I_x/∂b)/p(x) with p the Beta(a, b) density
 * (0 at draws that are exactly 0 or 1).
 */
export function beta(k: Key, a: TensorLike, b: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [a, b]);
  const dtype = floatDtype([a, b], opts.dtype);
  const [ka, kb, kua, kub] = rng.split(k, 4) as [Key, Key, Key, Key];
  const out = withRecording(false, () => {
    const at = (c: TensorLike) => (typeof c === "number" ? scalar(c, dtype) : c);
    const ca = at(a);
    const cb = at(b);
    const boostA = lt(ca, 1);
    const boostB = lt(cb, 1);
    const ga = draw("gamma", ka, s, [where(boostA, add(ca, 1), ca)], dtype);
    const gb = draw("gamma", kb, s, [where(boostB, add(cb, 1), cb)], dtype);
    // log(U_a)/a − log(U_b)/b (terms only where boosted) = (la·b̂ − lb·â)/(â·b̂·m), â = a/m, b̂ = b/m
    const sa = where(boostA, ca, 1);
    const sb = where(boostB, cb, 1);
    const la = where(boostA, portableLog(draw("uniform", kua, s, [0, 1], dtype)), 0);
    const lb = where(boostB, portableLog(draw("uniform", kub, s, [0, 1], dtype)), 0);
    const m = maximum(sa, sb);
    const ah = div(sa, m);
    const bh = div(sb, m);
    const d = div(sub(mul(la, bh), mul(lb, ah)), mul(mul(ah, bh), m));
    const x = portableSigmoid(add(sub(portableLog(ga), portableLog(gb)), d));
    realize(x);
    return x;
  });
  const inputs = [a, b].filter((p): p is Tensor => p instanceof Tensor);
  if (inputs.length === 0) return out;
  return record(out, inputs, "beta", (g) => {
    // ∂x/∂a and ∂x/∂b, 0 at x ∈ {0, 1} (where ∂I/∂a = 0 and the density may be 0 or ∞)
    const logPdf = sub(add(xlogy(sub(a, 1), out), xlog1py(sub(b, 1), neg(out))), betaln(a, b));
    const inv = exp(neg(logPdf));
    const inside = logicalAnd(gt(out, 0), lt(out, 1));
    const dx = (op: typeof betaincGradAOp) => {
      const v = neg(mul(elementwise(op, [a, b, out]), inv));
      return where(logicalAnd(inside, isfinite(v)), v, 0);
    };
    const cts: Tensor[] = [];
    if (a instanceof Tensor) cts.push(mul(g, dx(betaincGradAOp)));
    if (b instanceof Tensor) cts.push(mul(g, dx(betaincGradBOp)));
    return cts;
  });
}

/**
 * Dirichlet draws; `concentration` has the categories on its last axis. The gammas are drawn in
 * log space as in {@link beta}: for a concentration c < 1, log G(c) = log G(c + 1) + log(U)/c,
 * so tiny concentrations (where G(c) underflows to 0 and G/ΣG would be 0/0) give finite draws;
 * the draw is the softmax of the log-gammas. Differentiable: the implicit gamma gradient at
 * c + 1 plus the boost term's −log(U)/c² (an exact reparameterization, so the pathwise
 * gradient is unbiased). Draws with every concentration ≥ 1 are the same as G/ΣG. The logs and
 * exps are portable-ops', so a key gives the same bits in every JavaScript engine on the cpu.
 */
export function dirichlet(k: Key, concentration: Tensor, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const K = concentration.shape[concentration.rank - 1]!;
  const s = shape ? [...shape, K] : [...concentration.shape];
  const dtype = floatDtype([concentration], opts.dtype);
  const boost = lt(concentration, 1);
  const logG = portableLog(gamma(k, where(boost, add(concentration, 1), concentration), s, opts));
  const logU = portableLog(draw("uniform", rng.foldIn(k, 1), s, [0, 1], dtype));
  const logged = add(logG, where(boost, div(logU, concentration), 0));
  // softmax with portable exp (the same bits on every engine); max is exact, the sum is IEEE adds
  const e = portableExp(sub(logged, max(logged, -1, true)));
  return div(e, sum(e, -1, true));
}

/** Poisson draws, exact for rates up to 1e8 (PTRS transformed rejection above small rates). */
export function poisson(k: Key, rate: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [rate]);
  return draw("poisson", k, s, [rate], opts.dtype ?? floatDtype([rate]));
}

/** Binomial(totalCount, probs) draws (exact: inversion for small means, BTRS otherwise). */
export function binomial(
  k: Key,
  totalCount: TensorLike,
  probs: TensorLike,
  shape?: Shape,
  opts: SampleOptions = {},
): Tensor {
  const s = outShape(shape, [totalCount, probs]);
  return draw("binomial", k, s, [totalCount, probs], opts.dtype ?? floatDtype([probs]));
}

/** Bernoulli(probs) draws as 0/1. */
export function bernoulli(k: Key, probs: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [probs]);
  return draw("bernoulli", k, s, [probs], opts.dtype ?? floatDtype([probs]));
}

/** Category indices (int32) from unnormalized `logits` with the categories on the last axis. */
export function categorical(k: Key, logits: Tensor, shape?: Shape): Tensor {
  const K = logits.shape[logits.rank - 1]!;
  const batch = logits.shape.slice(0, -1);
  const s = shape ? [...shape] : batch;
  return draw("categorical", k, s, [logits], "int32", K);
}

/** Standard normal draws truncated to [lower, upper]; accurate deep in the tails. */
export function truncatedNormal(
  k: Key,
  lower: TensorLike,
  upper: TensorLike,
  shape?: Shape,
  opts: SampleOptions = {},
): Tensor {
  const s = outShape(shape, [lower, upper]);
  return draw("truncatedNormal", k, s, [lower, upper], floatDtype([lower, upper], opts.dtype));
}

/** A random permutation of 0..n−1 (int32). */
export function permutation(k: Key, n: number): Tensor {
  return fromTypedArray(rng.permutation(k, n), [n]);
}

/** `count` distinct indices from 0..populationSize−1, in random order (int32). */
export function choice(k: Key, populationSize: number, count: number): Tensor {
  return fromTypedArray(rng.choice(k, populationSize, count), [count]);
}
