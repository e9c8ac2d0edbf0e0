/**
 * The MCMC driver's cost per leapfrog step on the cpu backend (W3's eight schools,
 * BENCHMARKS.md §W3), and what it buys: NUTS on the scribe model with its potential compiled
 * into one straight-line JS function (the default: `jit`'s `straightLine`), the same model
 * with `compilePotential: false` (the recorded kernels replayed, one `await` per step: the
 * path before), and a handwritten plain-JS potential (the sampler's own overhead). Each row:
 * the minimum over repeats of sampling wall seconds / leapfrog steps, of process CPU time
 * over the sampling phase / its leapfrog steps (steadier on a loaded machine), the smallest
 * rank-normalized bulk ESS over the parameters and ESS per second of sampling (wall and
 * CPU), against Stan's figure from BENCHMARKS.md, with a checksum of the draws (the same key
 * gives the same draws on both model paths).
 *
 * Usage: npx tsx bench/mcmc-overhead.ts [--repeats 5] [--samples 1000] [--warmup 1000]
 * (W3's protocol is 1000 warmup + 1000 draws, one chain, seed 1.)
 */
import { key, plate, sample, tensor } from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { bulkEss, MCMC, type MCMCKernel, NUTS, type PotentialGradFn } from "@scribe/infer";
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

/**
 * Stan on eight schools, BENCHMARKS.md "Figures measured in December 2026" (rstan 2.21, one
 * chain, 1000 + 1000, same machine class, AMD EPYC): min bulk ESS/s and µs per leapfrog step.
 * (The November table's 5380 ESS/s came from a slower run of the same protocol.)
 */
const STAN = { essPerS: 23205, usPerStep: 2.9, source: "BENCHMARKS.md, December 2026, rstan 2.21" };

async function once(kernel: MCMCKernel, warmup: number, samples: number) {
  // Process CPU time over the sampling phase only (setup, recording and warmup excluded):
  // on a shared, loaded machine it is the steadier figure.
  let cpuStart: NodeJS.CpuUsage | null = null;
  let cpuEnd: NodeJS.CpuUsage | null = null;
  const mcmc = new MCMC(kernel, {
    numWarmup: warmup,
    numSamples: samples,
    progressBar: false,
    onProgress: (p) => {
      if (p.iteration === warmup) cpuStart = process.cpuUsage();
      if (p.iteration === p.total) cpuEnd = process.cpuUsage(cpuStart ?? undefined);
    },
  });
  await mcmc.run(key(1));
  const r = mcmc.chainResults[0]!;
  const steps = r.extra.numSteps.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < r.positions.length; i++) sum += r.positions[i]! * ((i % 7) + 1);
  const cpu = cpuEnd as NodeJS.CpuUsage | null;
  const cpuS = cpu ? (cpu.user + cpu.system) / 1e6 : Number.NaN;
  let minEss = Number.POSITIVE_INFINITY;
  for (const s of mcmc.getSiteDraws()) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const c = s.chains[0]!;
    for (let j = 0; j < size; j++)
      minEss = Math.min(
        minEss,
        bulkEss([Float64Array.from({ length: samples }, (_, i) => c[i * size + j]!)]),
      );
  }
  return {
    usPerStep: (1e6 * r.sampleSeconds) / steps,
    cpuUsPerStep: (1e6 * cpuS) / steps,
    essPerS: minEss / r.sampleSeconds,
    essPerCpuS: minEss / cpuS,
    minEss,
    steps,
    checksum: sum,
  };
}

/** Print, per path, the best figures over repeats and the ratio to Stan's ESS/s. */
export async function runMcmcOverhead(args: string[]): Promise<void> {
  const repeats = Number(argValue(args, "--repeats") ?? 5);
  const samples = Number(argValue(args, "--samples") ?? 1000);
  const warmup = Number(argValue(args, "--warmup") ?? 1000);
  const rows: [string, () => MCMCKernel][] = [
    ["model, replayed kernels (before)", () => new NUTS({ model: eightSchools(), compilePotential: false })],
    ["model, compiled potential (default)", () => new NUTS({ model: eightSchools() })],
    ["handwritten JS potential", () => new NUTS({ potentialFnGrad: eightPotential, dim: 10 })],
  ];
  console.log(
    `NUTS on eight schools, ${warmup} warmup + ${samples} draws, key 1, best of ${repeats} repeats (cpu backend)`,
  );
  console.log(
    `${"path".padEnd(38)} ${"µs/step".padStart(8)} ${"cpu µs/step".padStart(11)} ${"minESS".padStart(7)} ${"ESS/s".padStart(8)} ${"ESS/cpu s".padStart(9)} ${"÷Stan".padStart(6)} ${"steps".padStart(7)}  checksum`,
  );
  for (const [name, make] of rows) {
    const best = { us: Infinity, cpu: Infinity, ess: 0, essCpu: 0 };
    let last = { steps: 0, checksum: 0, minEss: 0 };
    for (let i = 0; i < repeats; i++) {
      const r = await once(make(), warmup, samples);
      best.us = Math.min(best.us, r.usPerStep);
      best.cpu = Math.min(best.cpu, r.cpuUsPerStep);
      best.ess = Math.max(best.ess, r.essPerS);
      best.essCpu = Math.max(best.essCpu, r.essPerCpuS);
      last = r;
    }
    console.log(
      `${name.padEnd(38)} ${best.us.toFixed(2).padStart(8)} ${best.cpu.toFixed(2).padStart(11)} ${last.minEss.toFixed(0).padStart(7)} ${best.ess.toFixed(0).padStart(8)} ${best.essCpu.toFixed(0).padStart(9)} ${(best.essCpu / STAN.essPerS).toFixed(2).padStart(6)} ${String(last.steps).padStart(7)}  ${last.checksum.toPrecision(15)}`,
    );
  }
  console.log(
    `${"Stan (rstan), BENCHMARKS.md".padEnd(38)} ${STAN.usPerStep.toFixed(2).padStart(8)} ${"".padStart(11)} ${"".padStart(7)} ${String(STAN.essPerS).padStart(8)} ${"".padStart(9)} ${"1.00".padStart(6)}  (${STAN.source})`,
  );
  console.log(
    "÷Stan: our ESS per CPU second over Stan's ESS per second (Stan's figure is from another run; on a quiet machine wall ≈ CPU).",
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await runMcmcOverhead(process.argv.slice(2));
