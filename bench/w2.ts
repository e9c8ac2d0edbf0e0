/**
 * W2 — SVI on the SCRIBE nbvcp model (BENCHMARKS.md §W2), written as an ordinary model and
 * guide: p ~ Beta(1, 1); r_g ~ LogNormal(0, 1) in a gene plate; ν_c ~ Beta(1, 1) in a
 * (subsampled) cell plate; p̂_c = p·ν_c / (1 − p(1 − ν_c)); counts[c, :] ~
 * NegativeBinomialProbs(r, p̂_c) with genes as the event dim. Mean-field guide: Beta(p)
 * init (1, 1), LogNormal per gene init (0, 0.1), Beta per cell indexed by the subsample
 * init (1, 1). TraceELBO with one particle, Adam 0.01, float32; data drawn from the model
 * with a fixed seed. Prints ms per step (1 and 2 threads) beside Pyro's figures (from
 * BENCHMARKS.md, same machine class) as ratios, and for (a) the ELBO after 2000 steps and
 * the correlation of the posterior mean of r_g with the truth.
 *
 * Rows per size: `svi.update` stepped by hand with a readback per step (the bare step), and
 * the training loop `svi.run` with stable updates (what `fit()` uses: losses and status
 * codes read back once per 100 steps), on 1 and `--threads` threads; with `--backend webgpu`
 * the loop again on WebGPU from the same data and key, with compute passes, submits and
 * readbacks per step.
 *
 * Each CPU row says whether SVI's compiled step replayed the steps (`compiled`) or they ran
 * eagerly (`eager`, with the reason); `--eager` turns the compiled step off (the same rows, for a
 * same-run comparison).
 *
 * Usage: npx tsx bench/w2.ts [--sizes a,b,c,s] [--steps 2000] [--time-steps 30] [--threads 2] [--seed 10]
 *   [--backend webgpu] [--eager] [--materialize] (realize r_g before the NB: shows the cost of the core
 *   re-evaluating the broadcast LogNormal draw inside the [cells, genes] loop)
 */

import {
  fromTypedArray,
  full,
  key,
  ones,
  param,
  plate,
  random,
  realize,
  registerBackendLoader,
  sample,
  scope,
  splitKey,
  type Tensor,
  useBackend,
  zeros,
} from "@scribe/core";
import { disableThreads, enableThreads } from "@scribe/core/node";
import { Beta, LogNormal, NegativeBinomialProbs, positive } from "@scribe/distributions";
import { adam, SVI, type SVIState, TraceELBO } from "@scribe/infer";
import { nbvcp } from "@scribe/models";
import { argValue } from "./harness.js";
import { pearson } from "./stats.js";

const SIZES = {
  a: { N: 2000, G: 2000, batch: null as number | null, pyro: [648, 486] },
  b: { N: 10000, G: 2000, batch: 512, pyro: [175, 120] },
  c: { N: 10000, G: 20000, batch: 512, pyro: [1968, 1298] },
  // small: a correctness and dispatch-count check for SwiftShader (no Pyro figure)
  s: { N: 500, G: 500, batch: null as number | null, pyro: [Number.NaN, Number.NaN] },
} as const;
type SizeName = keyof typeof SIZES;

/** The nbvcp model; `counts` may be null (prior draws). */
export function nbvcpModel(N: number, G: number, batch: number | null, materialize = false) {
  return (counts: Tensor | null) => {
    const p = sample("p", new Beta(1, 1));
    const r = plate("genes", G, () => sample("r", new LogNormal(0, 1)));
    if (materialize) realize(r);
    const body = (idx: Tensor) => {
      const nu = sample("nu", new Beta(1, 1));
      const pHat = p
        .mul(nu)
        .div(p.mul(nu.sub(1)).add(1))
        .reshape([-1, 1]);
      const obs = counts === null ? null : batch === null ? counts : counts.index(idx);
      sample("counts", new NegativeBinomialProbs(r, pHat).toEvent(1), { obs });
    };
    if (batch === null) plate("cells", N, body);
    else plate("cells", N, { subsampleSize: batch }, body);
  };
}

/** The mean-field guide. */
export function nbvcpGuide(N: number, G: number, batch: number | null) {
  return (_counts: Tensor | null) => {
    const ap = param("p_alpha", ones([]), { constraint: positive });
    const bp = param("p_beta", ones([]), { constraint: positive });
    sample("p", new Beta(ap, bp));
    const rLoc = param("r_loc", zeros([G]));
    const rScale = param("r_scale", full([G], 0.1), { constraint: positive });
    plate("genes", G, () => sample("r", new LogNormal(rLoc, rScale)));
    const aNu = param("nu_alpha", ones([N]), { constraint: positive });
    const bNu = param("nu_beta", ones([N]), { constraint: positive });
    const body = (idx: Tensor) =>
      sample("nu", new Beta(batch === null ? aNu : aNu.index(idx), batch === null ? bNu : bNu.index(idx)));
    if (batch === null) plate("cells", N, body);
    else plate("cells", N, { subsampleSize: batch }, body);
  };
}

/** Data from the model with a fixed seed, built 1000 cells at a time (host float32). */
export function simulate(N: number, G: number, seed = 0) {
  const [kp, kr, kn, kc] = splitKey(key(seed), 4);
  const p = random.beta(kp!, 1, 1, []).item();
  const r = Float32Array.from(random.normal(kr!, [G]).exp().dataSync() as Float32Array);
  const nu = Float32Array.from(random.beta(kn!, 1, 1, [N]).dataSync() as Float32Array);
  const counts = new Float32Array(N * G);
  const chunk = 1000;
  const keys = splitKey(kc!, Math.ceil(N / chunk));
  for (let c0 = 0, j = 0; c0 < N; c0 += chunk, j++) {
    const n = Math.min(chunk, N - c0);
    scope(() => {
      const nuT = fromTypedArray(nu.slice(c0, c0 + n), [n, 1]);
      const pHat = nuT.mul(p).div(nuT.sub(1).mul(p).add(1));
      const d = new NegativeBinomialProbs(fromTypedArray(r), pHat);
      counts.set(d.sample(keys[j]!).astype("float32").dataSync() as Float32Array, c0 * G);
    });
  }
  return { p, r, nu, counts, shape: [N, G] };
}

/** Time `steps` SVI steps after `warm` warm-up steps; returns ms per step and the state. */
function timeSteps(svi: SVI<[Tensor]>, state: SVIState, args: [Tensor], warm: number, steps: number) {
  let s = state;
  for (let i = 0; i < warm; i++) {
    const r = svi.update(s, args);
    r.loss.item();
    r.loss.dispose();
    s = r.state;
  }
  const t0 = performance.now();
  let last = 0;
  for (let i = 0; i < steps; i++) {
    const r = svi.update(s, args);
    if (i === steps - 1) last = r.loss.item();
    r.loss.dispose();
    s = r.state;
  }
  return { msPerStep: (performance.now() - t0) / steps, state: s, loss: last };
}

/** Time `steps` steps of the training loop (stable updates, losses read every 100 steps) after `warm` steps. */
async function timeLoop(svi: SVI<[Tensor]>, state: SVIState, args: [Tensor], warm: number, steps: number) {
  const w = await svi.run(key(0), warm, args, {
    initState: state,
    stableUpdate: true,
    logEvery: 100,
    progressBar: false,
  });
  const t0 = performance.now();
  const r = await svi.run(key(0), steps, args, {
    initState: w.state,
    stableUpdate: true,
    logEvery: 100,
    progressBar: false,
  });
  return {
    msPerStep: (performance.now() - t0) / steps,
    state: r.state,
    loss: r.losses[r.losses.length - 1]!,
  };
}

type Counters = { dispatches: number; submits: number; reads: number };

/** The loop on WebGPU from the same data and key; ms per step and the GPU's counts per step. */
async function webgpuRow(
  model: (c: Tensor | null) => void,
  guide: (c: Tensor | null) => void,
  data: { counts: Float32Array; shape: number[] },
  timeN: number,
) {
  try {
    const { createDawnBackend } = await import("@scribe/core/node");
    registerBackendLoader("webgpu", createDawnBackend);
    const gpu = await useBackend("webgpu");
    const counters = (gpu as unknown as { counters?: Counters }).counters;
    const argsT: [Tensor] = [fromTypedArray(data.counts, data.shape)];
    const svi = new SVI(model, guide, adam(0.01), new TraceELBO());
    const warm = await svi.run(key(1), 5, argsT, { stableUpdate: true, progressBar: false });
    const before = counters ? { ...counters } : null;
    const t0 = performance.now();
    const r = await svi.run(key(0), timeN, argsT, {
      initState: warm.state,
      stableUpdate: true,
      logEvery: 100,
      progressBar: false,
    });
    const ms = (performance.now() - t0) / timeN;
    const per = (k: keyof Counters) =>
      counters && before ? ((counters[k] - before[k]) / timeN).toFixed(2) : "?";
    const adapter = (gpu as { ctx?: { adapterInfo?: string } }).ctx?.adapterInfo ?? "adapter unknown";
    svi.optim.dispose(r.state.optimState);
    argsT[0].dispose();
    return {
      ms,
      loss: r.losses[r.losses.length - 1]!,
      note: `${adapter}; per step: ${per("dispatches")} compute passes, ${per("submits")} submits, ${per("reads")} readbacks`,
    };
  } catch (e) {
    return { ms: Number.NaN, loss: Number.NaN, note: `unavailable: ${(e as Error).message.split("\n")[0]}` };
  } finally {
    await useBackend("cpu");
  }
}

/** Run W2; prints a table. */
export async function runW2(args: string[]): Promise<void> {
  const sizes = (argValue(args, "--sizes") ?? "a,b,c").split(",") as SizeName[];
  const qualitySteps = Number(argValue(args, "--steps") ?? 2000);
  const timeN = Number(argValue(args, "--time-steps") ?? 30);
  const threads = Number(argValue(args, "--threads") ?? 2);
  // seed 10 draws p ≈ 0.26 (moderate counts); seed 0 draws p ≈ 0.02 (almost all zeros)
  const seed = Number(argValue(args, "--seed") ?? 10);
  const backend = argValue(args, "--backend") ?? "cpu";
  const sviOptions = { compileStep: !args.includes("--eager") };
  /** How the steps ran: compiled (replayed) or eager, with the refusal. */
  const how = (svi: SVI<[Tensor]>) => {
    const c = svi.compiledStep;
    return c.state === "compiled"
      ? `compiled, ${c.replays} replays`
      : `${c.state}${c.refusal ? `: ${c.refusal}` : ""}`;
  };
  console.log(
    `W2 nbvcp SVI (TraceELBO, 1 particle, Adam 0.01, float32); timing ${timeN} steps after 5 warm-up`,
  );
  for (const name of sizes) {
    const cfg = SIZES[name];
    if (!cfg) throw new Error(`unknown size ${name}`);
    const t0 = performance.now();
    const data = simulate(cfg.N, cfg.G, seed);
    console.log(
      `\n(${name}) N=${cfg.N} G=${cfg.G} batch=${cfg.batch ?? "full"}  data in ${((performance.now() - t0) / 1000).toFixed(1)} s, p=${data.p.toFixed(3)}`,
    );
    // --preset: the same model and mean-field guide from @scribe/models (SCRIBE's nbvcp,
    // canonical, flat priors) instead of the hand-written ones above.
    const preset = args.includes("--preset") ? nbvcp({ nCells: cfg.N, nGenes: cfg.G }) : null;
    const model = preset
      ? (counts: Tensor | null) => preset.model(counts, cfg.batch)
      : nbvcpModel(cfg.N, cfg.G, cfg.batch, args.includes("--materialize"));
    const guide = preset
      ? (counts: Tensor | null) => preset.guide(counts, cfg.batch)
      : nbvcpGuide(cfg.N, cfg.G, cfg.batch);
    if (preset) console.log("  model and guide: the nbvcp preset of @scribe/models");
    const rows: string[] = [];
    let argsT: [Tensor] = [fromTypedArray(data.counts, data.shape)];
    for (const th of [1, threads]) {
      if (th > 1) enableThreads(th);
      else disableThreads();
      // uploaded after enableThreads, the counts live in shared memory the workers can read
      argsT[0].dispose();
      argsT = [fromTypedArray(data.counts, data.shape)];
      const pyro = cfg.pyro[th > 1 ? 1 : 0]!;
      const svi = new SVI(model, guide, adam(0.01), new TraceELBO(), sviOptions);
      const st = svi.init(key(1), argsT);
      const { msPerStep, state } = timeSteps(svi, st, argsT, 5, timeN);
      svi.optim.dispose(state.optimState);
      rows.push(
        `  ${th} thread${th > 1 ? "s" : " "}, svi.update:        ${msPerStep.toFixed(1).padStart(8)} ms/step   Pyro ${String(pyro).padStart(5)} ms/step   speed-up ×${(pyro / msPerStep).toFixed(2)}   (${how(svi)})`,
      );
      console.log(rows[rows.length - 1]);
      const sviL = new SVI(model, guide, adam(0.01), new TraceELBO(), sviOptions);
      const loop = await timeLoop(sviL, sviL.init(key(1), argsT), argsT, 5, timeN);
      sviL.optim.dispose(loop.state.optimState);
      rows.push(
        `  ${th} thread${th > 1 ? "s" : " "}, svi.run (stable): ${loop.msPerStep.toFixed(1).padStart(8)} ms/step   Pyro ${String(pyro).padStart(5)} ms/step   speed-up ×${(pyro / loop.msPerStep).toFixed(2)}   (loop / update ×${(loop.msPerStep / msPerStep).toFixed(3)}; ${how(sviL)})`,
      );
      console.log(rows[rows.length - 1]);
      if (th === 1 && backend === "webgpu") {
        disableThreads();
        const g = await webgpuRow(model, guide, data, timeN);
        console.log(
          `  webgpu,   svi.run (stable): ${g.ms.toFixed(1).padStart(8)} ms/step   Pyro ${String(pyro).padStart(5)} ms/step   speed-up ×${(pyro / g.ms).toFixed(2)}   (cpu 1 thread / webgpu ×${(loop.msPerStep / g.ms).toFixed(2)}); ${g.note}`,
        );
      }
    }
    if (name === "a" && qualitySteps > 0) {
      if (threads > 1) enableThreads(threads);
      argsT[0].dispose();
      argsT = [fromTypedArray(data.counts, data.shape)];
      const svi = new SVI(model, guide, adam(0.01), new TraceELBO());
      const t1 = performance.now();
      // stableUpdate skips the rare step whose gradient is not finite: a float32 Beta draw of
      // ν can round to exactly 1, where log q(ν) is −∞ (Beta.sample does not clamp to
      // [tiny, 1 − eps] as NumPyro's does).
      const res = await svi.run(key(2), qualitySteps, argsT, { logEvery: 100, stableUpdate: true });
      const secs = (performance.now() - t1) / 1000;
      const finite = Array.from(res.losses).filter(Number.isFinite);
      const skipped = res.losses.length - finite.length;
      const tail = finite.slice(-50);
      const elbo = -tail.reduce((a, b) => a + b, 0) / tail.length;
      const loc = res.params.r_loc!.dataSync() as Float32Array;
      const sc = res.params.r_scale!.dataSync() as Float32Array;
      const postMean = Array.from(loc, (l, i) => Math.exp(l + 0.5 * sc[i]! ** 2));
      const corr = pearson(postMean, data.r);
      const total = data.shape[0]! * data.shape[1]!;
      console.log(
        `  quality after ${qualitySteps} steps (${secs.toFixed(1)} s): ELBO ${elbo.toExponential(3)} (${(elbo / total).toFixed(3)} per matrix entry; Pyro ≈ −6.09e6, −1.52), corr(E[r_g], r_g) ${corr.toFixed(4)} (Pyro 0.999); ${skipped} non-finite steps skipped`,
      );
    }
    disableThreads();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runW2(process.argv.slice(2));
