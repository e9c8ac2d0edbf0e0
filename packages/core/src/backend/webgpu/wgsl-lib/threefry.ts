import { THREEFRY_PARITY, THREEFRY_ROTATIONS, THREEFRY_ROUNDS } from "../../../random/threefry.js";
import type { LibFn } from "./registry.js";

/**
 * Threefry-2x32-20 in WGSL, unrolled from the rotation table and parity constant exported by
 * random/threefry.ts, so a key gives the same bits here as on the CPU; plus the per-element
 * counter-stream draws of random/stream.ts (uniform from the top 52 bits, Box–Muller normal).
 */
function threefryBody(): string {
  const lines = [
    "fn rng_threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2<u32> {",
    `  let k2 = ${THREEFRY_PARITY >>> 0}u ^ k0 ^ k1;`,
    "  var x0 = c0 + k0;",
    "  var x1 = c1 + k1;",
  ];
  const ks = ["k0", "k1", "k2"];
  for (let s = 1; s <= THREEFRY_ROUNDS / 4; s++) {
    const base = ((s - 1) & 1) * 4;
    for (let j = 0; j < 4; j++) {
      const r = THREEFRY_ROTATIONS[base + j]!;
      lines.push(`  x0 = x0 + x1; x1 = ((x1 << ${r}u) | (x1 >> ${32 - r}u)) ^ x0;`);
    }
    lines.push(`  x0 = x0 + ${ks[s % 3]}; x1 = x1 + ${ks[(s + 1) % 3]} + ${s}u;`);
  }
  lines.push("  return vec2<u32>(x0, x1);", "}");
  return lines.join("\n");
}

export const THREEFRY_LIB: Record<string, LibFn> = {
  rng_threefry: { code: threefryBody() },
  rng_u01: {
    // (j + ½)·2⁻⁵² with j the top 52 bits: the w0 part split in two 16-bit halves so only the
    // final addition rounds (a float32 rounding of the CPU's float64 uniform, up to 1 ulp).
    code: `fn rng_u01(w: vec2<u32>) -> f32 {
  let a = f32(w.x >> 16u) * 1.52587890625e-5;
  let t = f32(w.x & 0xffffu) * 2.3283064365386963e-10 + (f32(w.y >> 12u) + 0.5) * 2.220446049250313e-16;
  return a + t;
}`,
  },
  rng_normal_from: {
    // Box–Muller, cosine branch: log u₁ via log1p(−(1 − u₁)) near 1 (1 − u₁ from the complemented
    // bits, exactly), cos(2πu₂) with exact argument reduction.
    code: `fn rng_normal_from(w1: vec2<u32>, w2: vec2<u32>) -> f32 {
  let u1 = rng_u01(w1);
  var l = log(u1);
  if (u1 > 0.5) { l = sp_log1p(-rng_u01(~w1)); }
  return sqrt(-2.0 * l) * sp_cospi(2.0 * rng_u01(w2));
}`,
  },
};
