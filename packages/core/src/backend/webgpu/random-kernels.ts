import type { Key } from "../../random/key.js";
import type { DType } from "../../tensor/dtype.js";
import type { BackendBuffer, SamplerKind, SamplerParam } from "../backend.js";
import { buildShader } from "./kernels.js";
import { f32Bits, MetaWords, type ShaderPlan, storeAs, WG, wgslType } from "./wgsl-codegen.js";

/**
 * Sampler shaders: element i uses draws (0, i), (1, i), … of the Threefry counter stream under
 * the key, exactly as random/stream.ts, so uniforms and normals match the cpu backend up to
 * float32 rounding. Gamma, Poisson, binomial, truncated normal and categorical run the cpu's
 * algorithms with bounded loops in float32 (wgsl-lib/random-samplers.ts): most draws equal the
 * cpu's for the same key, a few differ where float32 rounding flips a rejection test or a floor.
 */
export const GPU_SAMPLERS: readonly SamplerKind[] = [
  "uniform",
  "normal",
  "bernoulli",
  "gamma",
  "poisson",
  "binomial",
  "truncatedNormal",
  "categorical",
];

/** Raw Threefry blocks (w0, w1) of draw `draw` for elements 0..n−1 (for testing bit equality). */
export function randomBitsPlan(k: Key, n: number, draw: number): ShaderPlan {
  const m = new MetaWords();
  const [K0, K1, D] = [m.push(k.hi), m.push(k.lo), m.push(draw)];
  m.words[0] = n;
  const body = `let w = rng_threefry(mw(${K0}u), mw(${K1}u), mw(${D}u), o);
B0[2u * o] = w.x; B0[2u * o + 1u] = w.y;`;
  const { source, kinds } = buildShader(m, [{ kind: "write", type: "u32" }], body);
  return { source, kinds, inputs: [], meta: m.array(), workgroups: Math.ceil(n / WG) };
}

/**
 * Plan the sampler `kind` (one of {@link GPU_SAMPLERS}) writing n values of `outDtype`. Params
 * are numbers (uniform words) or buffers of n values; categorical takes one buffer of
 * n × `categories` logits (read by rng_categorical as binding B0).
 */
export function samplePlan(
  kind: SamplerKind,
  k: Key,
  n: number,
  params: readonly SamplerParam[],
  outDtype: DType,
  categories = 0,
): ShaderPlan {
  const m = new MetaWords();
  const [K0, K1] = [m.push(k.hi), m.push(k.lo)];
  m.words[0] = n;
  const inputs: BackendBuffer[] = [];
  const bindings: { kind: "read" | "write"; type: string }[] = [];
  const p = params.map((x) => {
    if (typeof x === "number") return `mf(${m.push(f32Bits(x))}u)`;
    const i = inputs.length;
    inputs.push(x);
    bindings.push({ kind: "read", type: wgslType(x.dtype) });
    return `f32(B${i}[o])`;
  });
  bindings.push({ kind: "write", type: wgslType(outDtype) });
  const out = `B${inputs.length}`;
  const draw = (d: number) => `rng_threefry(mw(${K0}u), mw(${K1}u), ${d}u, o)`;
  const S = `vec3<u32>(mw(${K0}u), mw(${K1}u), o)`;
  let v: string;
  if (kind === "uniform") v = `${p[0]} + (${p[1]} - ${p[0]}) * rng_u01(${draw(0)})`;
  else if (kind === "normal") v = `rng_normal_from(${draw(0)}, ${draw(1)})`;
  else if (kind === "bernoulli") v = `sp_b(rng_u01(${draw(0)}) < ${p[0]})`;
  else if (kind === "gamma") v = `rng_gamma(${S}, ${p[0]})`;
  else if (kind === "poisson") v = `rng_poisson(${S}, ${p[0]})`;
  else if (kind === "binomial") v = `rng_binomial(${S}, ${p[0]}, ${p[1]})`;
  else if (kind === "truncatedNormal") v = `rng_truncated_normal(${S}, ${p[0]}, ${p[1]})`;
  else if (kind === "categorical") {
    if (typeof params[0] === "number" || !(categories >= 1))
      throw new Error("internal: categorical sampling needs a logits buffer and categories >= 1");
    v = `rng_categorical(${S}, mw(${m.push(categories)}u))`;
  } else throw new Error(`internal: no WGSL sampler for '${kind}'`);
  const body = `${out}[o] = ${storeAs(outDtype, v)};`;
  const { source, kinds } = buildShader(m, bindings, body);
  return { source, kinds, inputs, meta: m.array(), workgroups: Math.ceil(n / WG) };
}
