import type { Key } from "../../random/key.js";
import type { DType } from "../../tensor/dtype.js";
import type { BackendBuffer, SamplerKind, SamplerParam } from "../backend.js";
import { buildShader } from "./kernels.js";
import { f32Bits, MetaWords, type ShaderPlan, storeAs, WG, wgslType } from "./wgsl-codegen.js";

/**
 * Sampler shaders: element i uses draws (0, i), (1, i), … of the Threefry counter stream under
 * the key, exactly as random/stream.ts, so uniforms and normals match the cpu backend up to
 * float32 rounding. Samplers with data-dependent rejection loops (gamma, Poisson, binomial,
 * truncated normal, categorical) are not GPU kernels yet: see {@link GPU_SAMPLERS}.
 */
export const GPU_SAMPLERS: readonly SamplerKind[] = ["uniform", "normal", "bernoulli"];

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

/** Plan the sampler `kind` (one of {@link GPU_SAMPLERS}) writing n values of `outDtype`. */
export function samplePlan(kind: SamplerKind, k: Key, n: number, params: readonly SamplerParam[], outDtype: DType): ShaderPlan {
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
  let v: string;
  if (kind === "uniform") v = `${p[0]} + (${p[1]} - ${p[0]}) * rng_u01(${draw(0)})`;
  else if (kind === "normal") v = `rng_normal_from(${draw(0)}, ${draw(1)})`;
  else if (kind === "bernoulli") v = `sp_b(rng_u01(${draw(0)}) < ${p[0]})`;
  else throw new Error(`internal: no WGSL sampler for '${kind}'`);
  const body = `${out}[o] = ${storeAs(outDtype, v)};`;
  const { source, kinds } = buildShader(m, bindings, body);
  return { source, kinds, inputs, meta: m.array(), workgroups: Math.ceil(n / WG) };
}
