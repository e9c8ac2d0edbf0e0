// The op suite on WebGPU against the CPU backend, run under Deno (its built-in WebGPU,
// wgpu) on the built @scribe/core: `npm run test:deno-webgpu`. Without a GPU it runs on
// SwiftShader (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json), which is stable
// under Deno where Dawn in Node is not. Inputs are identical float32 arrays on both backends;
// the CPU computes in float64 and stores float32, the GPU computes in float32, so agreement
// is checked to a relative tolerance of a few 1e-4 (looser for special functions, stated).

import * as core from "../../packages/core/dist/index.js";
import {
  cpuBackend,
  key,
  liveBuffers,
  type Tensor,
  tensor,
  useBackend,
  valueAndGrad,
  withBackend,
} from "../../packages/core/dist/index.js";
import * as kernels from "../../packages/distributions/dist/index.js";
import { webgpuOrExit } from "./webgpu-or-exit.ts";

let passed = 0;
let failed = 0;
const report: string[] = [];
function check(name: string, worst: number, tol: number): void {
  if (worst <= tol) passed++;
  else {
    failed++;
    console.error(`FAIL ${name}: worst relative difference ${worst.toExponential(2)} > ${tol}`);
  }
  report.push(`${name.padEnd(34)} ${worst.toExponential(1)}`);
}

const gpu = await webgpuOrExit("WebGPU op suite");
await useBackend("cpu");
const cpu = cpuBackend();

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Worst |a − b| / max(floor, |b|) over two arrays; NaN or Inf must match exactly. */
function diff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) worst = Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(floor, Math.abs(y)));
  }
  return worst;
}

async function onBoth(build: () => Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const c = withBackend(cpu, build).map((t) => Float32Array.from(t.dataSync()));
  const g = await Promise.all(withBackend(gpu, build).map(async (t) => Float32Array.from(await t.data())));
  return [c, g];
}

// Special functions and long-loop helpers: float32 evaluation accumulates more rounding.
const LOOSE = new Set([
  "nb2",
  "nbProbs",
  "nbLogits",
  "zinbProbs",
  "poissonBeta",
  "lgamma",
  "digamma",
  "trigamma",
  "betaln",
  "gammainc",
  "gammaincc",
  "betainc",
  "gammaincGradA",
  "gammaSampleGrad",
  "betaincGradA",
  "betaincGradB",
  "ndtri",
  "logNdtr",
  "lgammaShiftDiff",
  "digammaShiftDiff",
  "trigammaShiftDiff",
  "pow",
  "tan",
]);
const SHAPES = [[3, 64], [64], [3, 1], [1, 64], [1]];

// Every op defined with defineOp: core's and the count kernels of @scribe/distributions.
for (const def of core.registeredOps()) {
  const op = def.name;
  const domains = def.testDomain;
  const r = rng(op.length * 131 + op.charCodeAt(1));
  const inputs = domains.map((d, i) => {
    const n = SHAPES[i]!.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: n }, () =>
      d.integer ? Math.floor(d.lo + r() * (d.hi - d.lo + 1)) : d.lo + r() * (d.hi - d.lo),
    );
  });
  const w = Float32Array.from({ length: 192 }, () => r() * 2 - 1);
  const tol = LOOSE.has(op) ? 5e-3 : 5e-4;
  const [c, g] = await onBoth(() => [
    core.elementwise(
      def,
      inputs.map((x, i) => tensor(x, { shape: SHAPES[i] })),
    ),
  ]);
  check(`${op}`, diff(g[0]!, c[0]!), tol);
  if (!def.vjp) continue;
  const [cg, gg] = await onBoth(() => {
    const ts = inputs.map((x, i) => tensor(x, { shape: SHAPES[i] }));
    const [, grads] = valueAndGrad((xs: Tensor[]) =>
      core.mul(core.elementwise(def, xs), tensor(w, { shape: [3, 64] })).sum(),
    )(ts);
    return (grads as Tensor[]).filter((_, i) => !domains[i]!.integer && !(op === "where" && i === 0));
  });
  check(`${op} gradient`, Math.max(...gg.map((x, i) => diff(x, cg[i]!))), tol * 4);
}

// Reductions, movement, indexing, linear algebra, cumulative sums, NB kernels.
const r = rng(7);
const m = Float32Array.from({ length: 12 * 40 }, () => r() * 4 - 2);
const pos = Float32Array.from({ length: 12 * 40 }, () => 0.5 + r() * 3);
const counts = Float32Array.from({ length: 12 * 40 }, () => Math.floor(r() * 6) * (r() < 0.5 ? 0 : 1));
const structural: [string, () => Tensor[]][] = [
  [
    "sum / mean / max / min over axes",
    () => {
      const x = tensor(m, { shape: [12, 40] });
      return [x.sum(), x.sum(0), x.mean(1), x.max(0), x.min(1, true)];
    },
  ],
  [
    "logsumexp, variance",
    () => {
      const x = tensor(m, { shape: [12, 40] });
      return [x.logsumexp(1), core.variance(x, 0)];
    },
  ],
  [
    "argmax",
    () => [
      tensor(m, { shape: [12, 40] })
        .argmax(1)
        .astype("float32"),
    ],
  ],
  ["cumsum", () => [core.cumsum(tensor(m, { shape: [12, 40] }), 1)]],
  [
    "transpose / slice / concat",
    () => {
      const x = tensor(m, { shape: [12, 40] });
      return [x.transpose().mul(2), x.slice([2, 5], [9, 30]).exp(), core.concat([x, x.mul(3)], 0)];
    },
  ],
  [
    "gather / scatterAdd",
    () => {
      const x = tensor(m, { shape: [12, 40] });
      const idx = tensor(new Int32Array([3, 0, 3, 11]));
      return [x.gather(idx, 0), core.scatterAdd(core.zeros([12, 40]), idx, x.gather(idx, 0), 0)];
    },
  ],
  [
    "matmul (batched)",
    () => {
      const a = tensor(m, { shape: [4, 3, 40] });
      const b = tensor(pos.slice(0, 40 * 5), { shape: [40, 5] });
      return [a.matmul(b)];
    },
  ],
  [
    "cholesky / triangularSolve",
    () => {
      const a = tensor(m.slice(0, 16), { shape: [4, 4] });
      const s = a.matmul(a.mT).add(core.eye(4).mul(4));
      const l = core.cholesky(s);
      return [l, core.triangularSolve(l, tensor(pos.slice(0, 8), { shape: [4, 2] }))];
    },
  ],
  [
    "nb2 / nbProbs / nbLogits / zinb",
    () => {
      const y = tensor(counts, { shape: [12, 40] });
      const mu = tensor(pos, { shape: [12, 40] });
      return [
        kernels.nb2LogProb(y, mu, 2.5),
        kernels.nbProbsLogProb(y, 3, 0.3),
        kernels.nbLogitsLogProb(y, 3, -0.4),
        kernels.zinbProbsLogProb(y, 3, 0.3, 0.2),
      ];
    },
  ],
  [
    "nb2 value and gradient",
    () => {
      const y = tensor(counts, { shape: [12, 40] });
      const [v, gr] = valueAndGrad((p: Tensor[]) =>
        kernels.nb2LogProb(y, core.exp(p[0]!).mul(core.exp(p[1]!)), core.exp(p[1]!)).sum(),
      )([tensor(m.slice(0, 12), { shape: [12, 1] }), tensor(m.slice(0, 40), { shape: [1, 40] })]);
      return [v, ...(gr as Tensor[])];
    },
  ],
];
for (const [name, build] of structural) {
  const [c, g] = await onBoth(build);
  check(name, Math.max(...g.map((x, i) => diff(x, c[i]!, 1))), 2e-3);
}

// Random bits: the same key gives the same draws on both backends.
{
  const [c, g] = await onBoth(() => [
    core.random.uniform(key(3), [1000]),
    core.random.normal(key(4), [1000]),
  ]);
  check("uniform draws (same key)", diff(g[0]!, c[0]!), 1e-6);
  check("normal draws (same key)", diff(g[1]!, c[1]!), 1e-4);
}

// 10,000 optimizer-like updates keep the live-buffer count flat.
await useBackend("webgpu");
{
  let p = tensor([1, 2, 3, 4]);
  await p.data();
  const start = liveBuffers();
  for (let i = 0; i < 10_000; i++) {
    const next = core.scope(() => p.sub(p.mul(0.001)).add(1e-4));
    p.dispose();
    p = next;
    if (i % 1000 === 999) await p.data();
  }
  await p.data();
  const grew = liveBuffers() - start;
  if (grew === 0) passed++;
  else {
    failed++;
    console.error(`FAIL live buffers grew by ${grew} over 10,000 updates`);
  }
  report.push(`${"live buffers after 10,000 updates".padEnd(34)} +${grew}`);
}

console.log(`webgpu vs cpu (${gpu.name}, worst relative difference):\n  ${report.join("\n  ")}`);
console.log(`webgpu: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
