// The WebGPU rejection / inversion samplers under Deno (its built-in WebGPU, wgpu) on the built
// @scribe/core: a compact subset of test/webgpu/samplers.test.ts. Run after
// `npx tsc -b packages/core/tsconfig.build.json` with
// `deno run --allow-read --unstable-webgpu test/deno/webgpu-samplers.ts` (without a GPU on
// SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).
//
// Each case draws 50,000 values at a fixed key on WebGPU and checks
//  - the sample mean and variance against the closed forms: |z| ≤ 5, the standard errors from
//    the known variance and fourth central moment (estimated from the sample for the truncated
//    normal and the categorical). At a fixed key this is deterministic; a mean or variance off
//    by a few per cent is far outside 5 standard errors;
//  - the fraction of draws equal to the cpu backend's for the same key (the GPU runs the cpu's
//    algorithm on the same counter-stream draws in float32; only a float32 rounding that flips
//    an accept/reject test, a floor or an inversion step makes a draw differ): ≥ 99.9%, floats
//    compared to 1e-4 relative (float32 rounding through WGSL's log/exp is ~1e-6) plus an
//    absolute 1e-6 for the truncated normal (draws near 0: the Box–Muller cosine's absolute
//    error) and 2^-126 for gamma (draws below float32's smallest normal are flushed to 0).

import {
  cpuBackend,
  foldIn,
  key,
  random,
  type Tensor,
  tensor,
  useBackend,
  withBackend,
} from "../../packages/core/dist/index.js";
import { webgpuOrExit } from "./webgpu-or-exit.ts";

let passed = 0;
let failed = 0;
const report: string[] = [];
function check(name: string, worst: number, tol: number, what = "|z|"): void {
  if (worst <= tol) passed++;
  else {
    failed++;
    console.error(`FAIL ${name}: ${what} ${worst.toPrecision(3)} > ${tol}`);
  }
  report.push(`${name.padEnd(40)} ${what} ${worst.toPrecision(3)}`);
}

const gpu = await webgpuOrExit("WebGPU sampler checks");
await useBackend("cpu");
const cpu = cpuBackend();

const N = 50_000;
const Z_TOL = 5;
const DISAGREE_MAX = 1e-3;

/** Worst |z| of the sample mean and unbiased variance against `mean`, `variance`. */
function momentZ(xs: Float64Array, mean: number, variance: number, exKurt = Number.NaN): number {
  const n = xs.length;
  let m = 0;
  for (const x of xs) m += x;
  m /= n;
  let m2 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = x - m;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  const s2 = m2 / (n - 1);
  const mu4 = Number.isNaN(exKurt) ? m4 / n : variance * variance * (3 + exKurt);
  const zMean = (m - mean) / Math.sqrt(variance / n);
  const zVar = (s2 - variance) / Math.sqrt((mu4 - (variance * variance * (n - 3)) / (n - 1)) / n);
  return Math.max(Math.abs(zMean), Math.abs(zVar));
}

/** Fraction of draws where the backends differ (beyond 1e-4 relative plus `atol`). */
function disagreement(g: Float64Array, c: Float64Array, atol: number): number {
  let bad = 0;
  for (let i = 0; i < c.length; i++) if (!(Math.abs(g[i]! - c[i]!) <= 1e-4 * Math.abs(c[i]!) + atol)) bad++;
  return bad / c.length;
}

async function both(build: () => Tensor): Promise<[Float64Array, Float64Array]> {
  const g = Float64Array.from(await withBackend(gpu, build).data());
  const c = Float64Array.from(withBackend(cpu, build).dataSync());
  return [g, c];
}

const phi = (x: number) => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0);
const xphi = (x: number) => (Number.isFinite(x) ? x * phi(x) : 0);
/** Mean and variance of N(0, 1) on [a, b], a ≥ 0, with the tail mass Z given (no CDF needed here). */
function tnMoments(a: number, b: number, Z: number): [number, number] {
  const m = (phi(a) - phi(b)) / Z;
  return [m, 1 + (xphi(a) - xphi(b)) / Z - m * m];
}
// P(Z ≥ 8) and P(0 ≤ Z ≤ 2) (mpmath): the tail and the straddle cases below.
const Q8 = 6.220960574271785e-16;
const P02 = 0.4772498680518208;

type Case = [string, () => Tensor, number, number, number];
const cases: Case[] = [
  ["gamma(0.5)", () => random.gamma(key(1), 0.5, [N]), 0.5, 0.5, 12],
  ["gamma(30), buffer", () => random.gamma(key(2), tensor(new Float32Array(N).fill(30))), 30, 30, 0.2],
  ["poisson(3.5)", () => random.poisson(key(3), 3.5, [N]), 3.5, 3.5, 1 / 3.5],
  ["poisson(1e4), int32", () => random.poisson(key(4), 1e4, [N], { dtype: "int32" }), 1e4, 1e4, 1e-4],
  ["binomial(20, 0.25)", () => random.binomial(key(5), 20, 0.25, [N]), 5, 3.75, (1 - 6 * 0.1875) / 3.75],
  [
    "binomial(1000, 0.875), buffer",
    () => random.binomial(key(6), tensor(new Int32Array(N).fill(1000)), 0.875, [N]),
    875,
    109.375,
    (1 - 6 * 0.109375) / 109.375,
  ],
  [
    "truncatedNormal[8, inf)",
    () => random.truncatedNormal(key(7), 8, Infinity, [N]),
    ...tnMoments(8, Infinity, Q8),
    Number.NaN,
  ],
  [
    "truncatedNormal[-2, 2]",
    () => random.truncatedNormal(key(8), -2, 2, [N]),
    0,
    tnMoments(0, 2, P02)[1] + tnMoments(0, 2, P02)[0] ** 2,
    Number.NaN,
  ],
  // probabilities 0.1, 0.2, 0.7 as logits: index mean 1.6, variance 0.44
  [
    "categorical(0.1, 0.2, 0.7)",
    () => random.categorical(key(9), tensor([Math.log(0.1), Math.log(0.2), Math.log(0.7)]), [N]),
    1.6,
    0.44,
    Number.NaN,
  ],
];

for (const [name, build, mean, variance, exKurt] of cases) {
  const [g, c] = await both(build);
  check(`${name} moments`, momentZ(g, mean, variance, exKurt), Z_TOL);
  check(
    `${name} vs cpu`,
    disagreement(g, c, name.startsWith("gamma") ? 2 ** -126 : 1e-6),
    DISAGREE_MAX,
    "differ",
  );
}

// Per-element parameters drawn in one call: a gamma shape per element.
{
  const shapes = Float32Array.from({ length: N }, (_, i) => [0.3, 4][i % 2]!);
  const [g] = await both(() => random.gamma(foldIn(key(10), 1), tensor(shapes)));
  for (const [j, a] of [0.3, 4].entries()) {
    const xs = g.filter((_, i) => i % 2 === j);
    check(`gamma(${a}) per-element`, momentZ(xs, a, a, 6 / a), Z_TOL);
  }
}

console.log(`webgpu samplers (${gpu.name}, ${N} draws per case):\n  ${report.join("\n  ")}`);
console.log(`webgpu samplers: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
