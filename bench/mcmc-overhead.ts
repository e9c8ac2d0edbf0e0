/**
 * The MCMC driver's own cost per leapfrog step on the cpu backend (W3's eight schools,
 * BENCHMARKS.md §W3): NUTS on the scribe model (runtime + tensors, jit replay) and on a
 * handwritten plain-JS potential (sampler overhead only), and the model again through the
 * asynchronous path WebGPU uses (one `await` of one packed buffer per leapfrog step), so
 * its cost on the cpu is visible beside the synchronous fast path. Each row is the minimum
 * over repeats of sampling seconds / leapfrog steps (wall time), and of process CPU time /
 * all leapfrog steps of the run (warmup included; steadier on a loaded machine), with a
 * checksum of the draws (the same key gives the same draws on every path and in every
 * version of the sampler).
 *
 * Usage: npx tsx bench/mcmc-overhead.ts [--repeats 5] [--samples 2000] [--warmup 500]
 * To compare two versions, run it in both trees alternately and compare the µs/step rows.
 */
import { key, plate, sample, tensor } from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { MCMC, type MCMCKernel, NUTS, type PotentialGradFn, type SamplerSetup } from "@scribe/infer";
import { argValue } from "./harness.js";

const Y8 = [28, 8, -3, 7, -1, 1, 18, 12];
const S8 = [15, 10, 16, 11, 9, 11, 10, 18];

function eightSchools(): () => void {
  const y = tensor(Y8, { dtype: "float64" });
  const sigma = tensor(S8, { dtype: "float64" });
  return () => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("school", 8, () => {
      const tt = sample("theta_tilde", new Normal(0, 1));
      sample("y", new Normal(mu.add(tau.mul(tt)), sigma), { obs: y });
    });
  };
}

/** Eight schools by hand: x = (mu, log tau, theta_tilde[8]) (as bench/w3.ts). */
const eightPotential: PotentialGradFn = (x, g) => {
  const mu = x[0]!;
  const u = x[1]!;
  const tau = Math.exp(u);
  const r = (tau / 5) ** 2;
  let pot = (mu * mu) / 50 + Math.log1p(r) - u;
  let gmu = mu / 25;
  let gu = (2 * r) / (1 + r) - 1;
  for (let j = 0; j < 8; j++) {
    const tt = x[2 + j]!;
    const s2 = S8[j]! ** 2;
    const d = mu + tau * tt - Y8[j]!;
    pot += 0.5 * tt * tt + (0.5 * d * d) / s2;
    gmu += d / s2;
    gu += (d / s2) * tau * tt;
    g[2 + j] = tt + (d / s2) * tau;
  }
  g[0] = gmu;
  g[1] = gu;
  return pot;
};

/** The kernel with its synchronous reads hidden: the run takes the asynchronous path. */
function asyncOnly(kernel: MCMCKernel): MCMCKernel | null {
  const probe = kernel.setup([]) as Partial<SamplerSetup>;
  probe.dispose?.();
  if (typeof probe.potentialAsync !== "function") return null; // a sampler without the async path
  return {
    options: kernel.options,
    createChain: kernel.createChain.bind(kernel),
    setup: (args, init) => ({ ...kernel.setup(args, init), potential: undefined, constrain: undefined }),
  };
}

async function once(kernel: MCMCKernel, warmup: number, samples: number) {
  let allSteps = 0;
  const mcmc = new MCMC(kernel, {
    numWarmup: warmup,
    numSamples: samples,
    progressBar: false,
    onProgress: (p) => {
      allSteps += p.last.numSteps;
    },
  });
  // Process CPU time as well as wall time: on a shared, loaded machine it is the steadier figure.
  const cpu0 = process.cpuUsage();
  await mcmc.run(key(1));
  const cpu = process.cpuUsage(cpu0);
  const r = mcmc.chainResults[0]!;
  const steps = r.extra.numSteps.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < r.positions.length; i++) sum += r.positions[i]! * ((i % 7) + 1);
  return {
    usPerStep: (1e6 * r.sampleSeconds) / steps,
    cpuUsPerStep: (cpu.user + cpu.system) / allSteps,
    steps,
    checksum: sum,
  };
}

/** Print the minimum µs per leapfrog step over repeats for each path. */
export async function runMcmcOverhead(args: string[]): Promise<void> {
  const repeats = Number(argValue(args, "--repeats") ?? 5);
  const samples = Number(argValue(args, "--samples") ?? 2000);
  const warmup = Number(argValue(args, "--warmup") ?? 500);
  const rows: [string, MCMCKernel | null][] = [
    ["eight schools, model, sync path", new NUTS({ model: eightSchools() })],
    ["eight schools, handwritten JS potential", new NUTS({ potentialFnGrad: eightPotential, dim: 10 })],
    ["eight schools, model, async path on cpu", asyncOnly(new NUTS({ model: eightSchools() }))],
  ];
  console.log(`MCMC overhead: NUTS, ${warmup} warmup + ${samples} draws, key 1, min of ${repeats} repeats`);
  console.log(
    `${"path".padEnd(44)} ${"µs/step".padStart(9)} ${"cpu µs/step".padStart(12)} ${"steps".padStart(8)}  checksum`,
  );
  for (const [name, kernel] of rows) {
    if (!kernel) {
      console.log(`${name.padEnd(44)} ${"n/a".padStart(9)}`);
      continue;
    }
    let best = Number.POSITIVE_INFINITY;
    let bestCpu = Number.POSITIVE_INFINITY;
    let last = { steps: 0, checksum: 0 };
    for (let i = 0; i < repeats; i++) {
      const r = await once(kernel, warmup, samples);
      best = Math.min(best, r.usPerStep);
      bestCpu = Math.min(bestCpu, r.cpuUsPerStep);
      last = r;
    }
    console.log(
      `${name.padEnd(44)} ${best.toFixed(2).padStart(9)} ${bestCpu.toFixed(2).padStart(12)} ${String(last.steps).padStart(8)}  ${last.checksum.toPrecision(15)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runMcmcOverhead(process.argv.slice(2));
