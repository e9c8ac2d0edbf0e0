/**
 * Per-step overhead of eager SVI on tiny models (issue 12, item 5): the default test suite is
 * mostly statistical SVI runs of such models, where the arithmetic is negligible and the cost
 * is the runtime's bookkeeping (effect handlers, tape, expression planning, kernel lookup).
 *
 * Rows per model: our `SVI.run` (CPU ms per step, the minimum of several runs after a warmup)
 * with the reuse of fused-pass plans by structure off ("no reuse", the planner as it was
 * before issue 12) and on ("scribe", the default), alternating in one process; and, where
 * written, the same ELBO gradient and Adam update as a hand-written float64 JS loop (the floor
 * any runtime overhead is measured against), with their ratio. The models:
 *
 * - nbdm mixture 200×6, K = 2: `fit()` of the 2-component NBDM mixture on
 *   test/models/lowrank-mixture's simulated counts, mean-field guide (the test suite's typical fit).
 * - normal-normal: μ ~ N(0, 1), yᵢ ~ N(μ, 1) for 10 points; guide N(loc, scale), one particle.
 * - nbdm 200×20: p ~ Beta(1, 1), r_g ~ LogNormal(0, 1) for 20 genes, counts[200, 20] ~
 *   NegativeBinomialProbs(r, p) (SCRIBE's NBDM likelihood, SCRIBE models); AutoNormal guide.
 * - gamma-poisson: test/infer/svi-conjugate's Gamma–Poisson, four particles (no peer row).
 *
 * Modes: `--check` prints a fingerprint of each model's loss history (run it in two trees: a
 * runtime change that should not move numerics must print the same lines); `--breakdown`
 * profiles one run per model in-process and prints CPU self time by part of the runtime
 * (by source file, so run it through tsx, not a bundle); `--reuse-only` skips the "no reuse"
 * column (for comparing two versions). `--check` and `--breakdown` run the default path (the
 * compiled step where it applies); `--check` then reruns eager and says whether each
 * fingerprint is the same.
 *
 * Where the time of a step went (node --cpu-prof, Gamma–Poisson, 1,000 steps, shares of all
 * samples; December 2026, 2-core machine under heavy load): before plan reuse, planning the
 * fused passes (planLoop's string keys, leaf identities, coalescing, codegen's loop key) took
 * ≈ 22 % inclusive and the garbage collector ≈ 23 %; the backward sweep ≈ 28 % and tracing
 * model and guide ≈ 14 % (both mostly op creation: applyOp, Tensor, broadcasting). With reuse,
 * the structural signature plus the cache lookup take ≈ 12 % and the collector ≈ 16 %; what
 * remains is spread over the effect runtime and op creation, with no single hot spot.
 *
 * The mixture fit (self time, 500 steps, esbuild bundle, load ≈ 7): collector 10 %, the plan
 * signature (its walk, shape texts, leaf numbering, cache lookup) ≈ 13 %, applyOp 5.4 %, the
 * NB kernel 6 %, Tensor 3 %, scopes 2 %. Every tensor then copied and froze its shape and the
 * plan signature kept a shape text per array in a WeakMap that almost never hit; now a tensor
 * shares a frozen shape (an op's output takes its input's array), which took shapeText from
 * 4.5 % to 1.7 %; applyOp makes no closures or arrays it does not keep; keep() and the
 * deferred-chain depth are tensor fields instead of WeakSet/WeakMap entries.
 *
 * Measured (this script, --steps 300 --runs 5, one run, same machine and load):
 *   normal-normal 1.068 → 0.863 ms/step, nbdm 200×20 3.064 → 2.462, gamma-poisson
 *   6.659 → 5.112 (no reuse → reuse); the hand-written peers 0.0004 and 0.064 ms/step.
 *
 * With the compiled step (svi/compiled-step.ts: the loss and gradient replayed from a recording,
 * the optimizer still eager), --reuse-only --steps 300 --runs 3, CPU ms/step, eager → compiled
 * (December 2026, 2-core machine, load 9.3–10.4): mixture fit 6.29 → 2.77, normal-normal
 * 1.13 → 0.20, nbdm 200×20 4.26 → 1.15, gamma-poisson 6.92 → 0.76 (each compiled run records its
 * first two or three steps eagerly). What a compiled step still spent (--breakdown): the kernels
 * themselves (33 % mixture, 45 % nbdm), the eager optimizer update's op creation and plan
 * signatures, the collector.
 *
 * With the optimizer update in the program too (a rule optimizer's per-step numbers, such as
 * Adam's bias corrections, passed in as float64 scalars), the same command, one run, CPU ms/step,
 * eager / grad only (update eager, `setCompiledSVIUpdates(false)`) / compiled (December 2026,
 * load 6.8–7.3): mixture fit 7.73 / 3.01 / 2.63, normal-normal 1.66 / 0.30 / 0.12, nbdm 200×20
 * 4.02 / 0.84 / 0.87 (its kernels dominate), gamma-poisson 8.10 / 0.70 / 0.45. `--check`: the
 * same fingerprints compiled and eager.
 *
 * Usage: npx tsx bench/svi-step-overhead.ts [--steps 500] [--runs 5] [--check | --breakdown] [--reuse-only] [--model <title text>]
 * To compare two versions, run it in both trees alternately and compare the ms/step rows.
 */
import { Session } from "node:inspector/promises";
import { key, param, plate, sample, splitKey, type Tensor, tensor } from "@scribe/core";
import {
  Beta,
  Gamma,
  LogNormal,
  NegativeBinomialProbs,
  Normal,
  Poisson,
  positive,
} from "@scribe/distributions";
import {
  AutoNormal,
  adam,
  SVI,
  setCompiledSVISteps,
  setCompiledSVIUpdates,
  TraceELBO,
  TraceMeanFieldELBO,
} from "@scribe/infer";
import { fit } from "@scribe/models";
import { setPlanCache } from "../packages/core/src/backend/cpu/codegen.js";
import { argValue } from "./harness.js";

const args = process.argv.slice(2);
const STEPS = Number(argValue(args, "--steps") ?? 500);
const RUNS = Number(argValue(args, "--runs") ?? 5);
/** Skip the "no reuse" column (half the time): for comparing two versions of the runtime. */
const REUSE_ONLY = args.includes("--reuse-only");

/** A deterministic standard normal stream (Box–Muller over a 32-bit LCG) for the peers. */
function normalStream(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Digamma by recurrence to x ≥ 6 and the asymptotic series (float64, ~1e-12). */
function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) over a flat float64 parameter vector, ascending `g`. */
function adamStep(x: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, t: number, lr: number) {
  const b1 = 0.9;
  const b2 = 0.999;
  for (let i = 0; i < x.length; i++) {
    m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
    v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
    const mh = m[i]! / (1 - b1 ** t);
    const vh = v[i]! / (1 - b2 ** t);
    x[i] = x[i]! + (lr * mh) / (Math.sqrt(vh) + 1e-8);
  }
}

// ---- normal-normal ----
const Y10 = [0.3, -0.5, 1.2, 0.8, 0.1, 0.4, -0.2, 0.9, 1.1, 0.6];

function normalNormalOurs(): () => Promise<Float64Array> {
  const y = tensor(Y10);
  const model = (obs: Tensor) => {
    const mu = sample("mu", new Normal(0, 1));
    plate("obs", Y10.length, () => sample("y", new Normal(mu, 1), { obs }));
  };
  const guide = () => {
    const loc = param("loc", tensor(0));
    const scale = param("scale", tensor(1), { constraint: positive });
    sample("mu", new Normal(loc, scale));
  };
  // built per run, so the run follows the compiled-step setting of the moment
  return async () =>
    (await new SVI(model, guide, adam(0.01), new TraceMeanFieldELBO()).run(key(0), STEPS, [y])).losses;
}

/** The ELBO gradient of normal-normal by hand: μ = loc + e^ls·ε, ∂/∂loc, ∂/∂ls (+1 entropy). */
function normalNormalPeer(): () => number {
  return () => {
    const x = new Float64Array([0, 0]);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    const g = new Float64Array(2);
    const eps = normalStream(1);
    let elbo = 0;
    for (let t = 1; t <= STEPS; t++) {
      const e = eps();
      const sd = Math.exp(x[1]!);
      const mu = x[0]! + sd * e;
      let dmu = -mu;
      elbo = -0.5 * mu * mu + x[1]! + 0.5 * e * e;
      for (const yi of Y10) {
        dmu += yi - mu;
        elbo -= 0.5 * (yi - mu) ** 2;
      }
      g[0] = dmu;
      g[1] = dmu * sd * e + 1;
      adamStep(x, g, m, v, t, 0.01);
    }
    return elbo;
  };
}

// ---- nbdm 200 × 20 ----
const CELLS = 200;
const GENES = 20;

function nbdmCounts(): Float64Array {
  // Fixed synthetic counts: NB(r_g, p = 0.4) drawn by a Poisson–Gamma mixture from the LCG stream.
  const z = normalStream(7);
  const y = new Float64Array(CELLS * GENES);
  for (let c = 0; c < CELLS; c++)
    for (let g = 0; g < GENES; g++) {
      const rate = Math.exp(0.5 + 0.1 * g + 0.3 * z());
      let k = 0;
      let p = Math.exp(-rate);
      let u = Math.abs(z()) % 1;
      while (u > p && k < 200) {
        u -= p;
        k++;
        p *= rate / k;
      }
      y[c * GENES + g] = k;
    }
  return y;
}

function nbdmOurs(counts: Float64Array): () => Promise<Float64Array> {
  const y = tensor(Array.from(counts)).reshape([CELLS, GENES]);
  const model = (obs: Tensor) => {
    const p = sample("p", new Beta(1, 1));
    const r = plate("genes", GENES, () => sample("r", new LogNormal(0, 1)));
    plate("cells", CELLS, { dim: -2 }, () => sample("counts", new NegativeBinomialProbs(r, p), { obs }));
  };
  return async () =>
    (await new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO()).run(key(0), STEPS, [y])).losses;
}

/**
 * The same ELBO gradient by hand, AutoNormal's parametrization: z = logit p, w_g = log r_g,
 * each loc + e^{ls}·ε; Beta(1, 1)'s density in z is s(1 − s), LogNormal's in w is N(w; 0, 1).
 */
function nbdmPeer(counts: Float64Array): () => number {
  return () => {
    const n = 1 + GENES;
    const x = new Float64Array(2 * n);
    for (let i = n; i < 2 * n; i++) x[i] = Math.log(0.1);
    const m = new Float64Array(2 * n);
    const v = new Float64Array(2 * n);
    const g = new Float64Array(2 * n);
    const eps = normalStream(3);
    const e = new Float64Array(n);
    const u = new Float64Array(n);
    let elbo = 0;
    for (let t = 1; t <= STEPS; t++) {
      for (let i = 0; i < n; i++) {
        e[i] = eps();
        u[i] = x[i]! + Math.exp(x[n + i]!) * e[i]!;
      }
      const s = 1 / (1 + Math.exp(-u[0]!));
      const logP = Math.log(s);
      const log1mP = Math.log1p(-s);
      let dz = 1 - 2 * s;
      elbo = logP + log1mP;
      for (let j = 0; j < GENES; j++) {
        const w = u[1 + j]!;
        const r = Math.exp(w);
        let dw = 0;
        const dgR = digamma(r);
        for (let c = 0; c < CELLS; c++) {
          const k = counts[c * GENES + j]!;
          dw += digamma(k + r) - dgR + log1mP;
          dz += -r * s + k * (1 - s);
          elbo += r * log1mP + k * logP; // lgamma terms omitted: constant in the gradient path
        }
        g[1 + j] = -w + dw * r;
        elbo -= 0.5 * w * w;
      }
      g[0] = dz;
      for (let i = 0; i < n; i++) {
        g[n + i] = g[i]! * Math.exp(x[n + i]!) * e[i]! + 1;
        elbo += x[n + i]! + 0.5 * e[i]! * e[i]!;
      }
      adamStep(x, g, m, v, t, 0.01);
    }
    return elbo;
  };
}

// ---- gamma-poisson (test/infer/svi-conjugate) ----
function gammaPoissonOurs(): () => Promise<Float64Array> {
  const Y = [3, 5, 4, 6, 2, 4, 5, 3, 4, 7];
  const y = tensor(Y);
  const model = (obs: Tensor) => {
    const lam = sample("lam", new Gamma(2, 1));
    plate("obs", Y.length, () => sample("y", new Poisson(lam), { obs }));
  };
  const guide = () => {
    const c = param("c", tensor(10), { constraint: positive });
    const r = param("r", tensor(2), { constraint: positive });
    sample("lam", new Gamma(c, r));
  };
  return async () =>
    (
      await new SVI(model, guide, adam(0.05), new TraceMeanFieldELBO({ numParticles: 4 })).run(
        key(1),
        STEPS,
        [y],
      )
    ).losses;
}

// ---- 2-component nbdm mixture through fit() (test/models/lowrank-mixture's data, mean-field guide) ----
const MIX_CELLS = 200;
const MIX_GENES = 6;

function mixtureOurs(): () => Promise<Float64Array> {
  // Per-component gene means and success probabilities; the first 45 % of cells are component 0.
  const means = [
    [2, 5, 10, 25, 40, 4],
    [12, 30, 2.5, 6, 10, 20],
  ];
  const component = tensor(
    Array.from({ length: MIX_CELLS }, (_, c) => (c < 0.45 * MIX_CELLS ? 0 : 1)),
  ).reshape([MIX_CELLS, 1]);
  const perCell = (a: number[], b: number[]) =>
    tensor(a).mul(component.neg().add(1)).add(tensor(b).mul(component));
  const p = perCell([0.6], [0.75]).expand([MIX_CELLS, MIX_GENES]);
  const r = perCell(means[0]!, means[1]!).mul(p.neg().add(1)).div(p); // mean r·p/(1−p) = the means
  const [k] = splitKey(key(11), 1);
  const counts = new NegativeBinomialProbs(r, p, false).sample(k!);
  return async () => {
    const { results } = await fit(counts, {
      model: "nbdm",
      nComponents: 2,
      nSteps: STEPS,
      learningRate: 0.05,
      seed: 0,
    });
    return results.lossHistory;
  };
}

/** CPU milliseconds (user + system) of one call: a busy machine disturbs it less than wall time. */
async function cpuMs(fn: () => unknown): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * Run `fn` with SVI's compiled step off, on without the optimizer update ("grad": the loss and
 * gradient compiled, the update eager), or on with it ("full"); `setCompiledSVISteps`, which
 * `fit()` follows too, and `setCompiledSVIUpdates`.
 */
async function withCompiled<T>(mode: "off" | "grad" | "full", fn: () => Promise<T>): Promise<T> {
  const was = setCompiledSVISteps(mode !== "off");
  const wasUpdates = setCompiledSVIUpdates(mode === "full");
  try {
    return await fn();
  } finally {
    setCompiledSVISteps(was);
    setCompiledSVIUpdates(wasUpdates);
  }
}

/**
 * Milliseconds per step, eager with plan reuse off ("no reuse": codegen.ts `setPlanCache`, the
 * planner as it was before reuse) and on ("eager"), with the loss and gradient compiled and the
 * optimizer update eager ("grad only"), and with the whole step compiled ("compiled"):
 * svi/compiled-step.ts, which records its first two or three steps eagerly. Runs alternate so
 * all see the same machine load: the minimum over runs of each, after one warmup run of each.
 */
async function msPerStep(
  fn: () => unknown,
): Promise<{ reuse: number; noReuse: number; gradOnly: number; compiled: number }> {
  const eager = () => withCompiled("off", async () => cpuMs(fn));
  const gradOnly = () => withCompiled("grad", async () => cpuMs(fn));
  const compiled = () => withCompiled("full", async () => cpuMs(fn));
  await eager();
  await gradOnly();
  await compiled();
  let reuse = Infinity;
  let noReuse = Infinity;
  let grad = Infinity;
  let fast = Infinity;
  for (let i = 0; i < RUNS; i++) {
    if (!REUSE_ONLY) {
      setPlanCache(false);
      noReuse = Math.min(noReuse, await eager());
      setPlanCache(true);
    }
    reuse = Math.min(reuse, await eager());
    grad = Math.min(grad, await gradOnly());
    fast = Math.min(fast, await compiled());
  }
  return { reuse: reuse / STEPS, noReuse: noReuse / STEPS, gradOnly: grad / STEPS, compiled: fast / STEPS };
}

/** The peer has no plans: the minimum over runs, after one warmup run. */
async function peerMsPerStep(fn: () => unknown): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) best = Math.min(best, await cpuMs(fn));
  return best / STEPS;
}

/** FNV-1a over the bytes of the loss history: equal hashes ⇔ (almost surely) the same bits. */
function fingerprint(losses: Float64Array): string {
  const bytes = new Uint8Array(losses.buffer, losses.byteOffset, losses.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * Where one run's CPU went, by the source file of each sampled frame's own code (self time):
 * the runtime's parts, named by directory, then the generated loops and the collector.
 */
const BREAKDOWN: readonly [string, RegExp][] = [
  ["plan signature + plan cache", /expr\/plan-signature|backend\/cpu\/codegen/],
  ["other expression planning", /expr\//],
  ["fused loops (generated code)", /^fusedLoop$/],
  ["cpu backend (run, alloc, threads)", /backend\//],
  ["kernels (distributions, special)", /distributions\/src\/kernels|special\/|random\//],
  ["op creation (ops/, tensor/)", /core\/src\/(ops|tensor)\//],
  ["tape and backward (autodiff/)", /autodiff\//],
  ["memory scopes (memory/)", /memory\//],
  ["effect handlers (ppl/, infer handlers)", /core\/src\/ppl\/|infer\/src\/handlers\//],
  ["svi, elbo, optimizer, guides", /infer\/src\/|scribe-models\/src\//],
  ["distributions (log_prob, rsample)", /distributions\/src\//],
  ["garbage collector", /^\(garbage collector\)$/],
];

async function breakdown(fn: () => unknown): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  await fn();
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples ?? []) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    total++;
    const label = frame.url ? frame.url : frame.functionName;
    const part = BREAKDOWN.find(([, re]) => re.test(label))?.[0] ?? "other (node, bench)";
    counts.set(part, (counts.get(part) ?? 0) + 1);
  }
  for (const [part] of [...BREAKDOWN, ["other (node, bench)"] as const]) {
    const n = counts.get(part) ?? 0;
    if (n > 0) console.log(`    ${part.padEnd(42)} ${((100 * n) / total).toFixed(1).padStart(5)} %`);
  }
}

const counts = nbdmCounts();
const ONLY = argValue(args, "--model");
const allModels: { title: string; ours: () => Promise<Float64Array>; peer: (() => unknown) | null }[] = [
  { title: `nbdm mixture ${MIX_CELLS}×${MIX_GENES}, K=2 (fit)`, ours: mixtureOurs(), peer: null },
  { title: "normal-normal (1 site, 10 obs)", ours: normalNormalOurs(), peer: normalNormalPeer() },
  { title: `nbdm ${CELLS}×${GENES} (AutoNormal)`, ours: nbdmOurs(counts), peer: nbdmPeer(counts) },
  { title: "gamma-poisson (4 particles)", ours: gammaPoissonOurs(), peer: null },
];
/** `--model <text>`: only the models whose title contains it. */
const models = ONLY ? allModels.filter((m) => m.title.includes(ONLY)) : allModels;

if (args.includes("--check")) {
  // Bit-identity between two versions: run this in both trees and compare the lines (the
  // default path, compiled where it applies); then the same runs eager, which must print the
  // same fingerprints (the compiled step replays eager's kernels and draws).
  console.log(`loss-history fingerprints, ${STEPS} steps`);
  const prints: string[] = [];
  for (const m of models) {
    const losses = await m.ours();
    prints.push(fingerprint(losses));
    console.log(`${m.title.padEnd(40)} ${fingerprint(losses)} last ${losses.at(-1)}`);
  }
  console.log("the same with compileStep off (eager):");
  for (const [i, m] of models.entries()) {
    const losses = await withCompiled("off", m.ours);
    const same = fingerprint(losses) === prints[i] ? "same" : "DIFFERENT";
    console.log(`${m.title.padEnd(40)} ${fingerprint(losses)} last ${losses.at(-1)} ${same}`);
  }
} else if (args.includes("--breakdown")) {
  console.log(`CPU self time by part of the runtime, one run of ${STEPS} steps after a warmup`);
  for (const m of models) {
    await m.ours();
    console.log(m.title);
    await breakdown(m.ours);
  }
} else {
  console.log(
    `SVI per-step overhead, cpu backend, ${STEPS} steps per run, CPU ms/step, minimum of ${RUNS} runs`,
  );
  console.log(
    `${"model".padEnd(40)} ${"no reuse".padStart(9)} ${"eager".padStart(9)} ${"grad only".padStart(9)} ${"compiled".padStart(9)} ${"peer".padStart(9)} ${"compiled/peer".padStart(14)}`,
  );
  for (const m of models) {
    const ours = await msPerStep(m.ours);
    const peer = m.peer ? await peerMsPerStep(m.peer) : null;
    const ratio = peer ? `${(ours.compiled / peer).toFixed(0)}x` : "n/a";
    console.log(
      `${m.title.padEnd(40)} ${(REUSE_ONLY ? "-" : ours.noReuse.toFixed(3)).padStart(9)} ${ours.reuse.toFixed(3).padStart(9)} ${ours.gradOnly.toFixed(3).padStart(9)} ${ours.compiled.toFixed(3).padStart(9)} ${(peer?.toFixed(4) ?? "not written").padStart(9)} ${ratio.padStart(14)}`,
    );
  }
}
