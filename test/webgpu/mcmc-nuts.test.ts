// NUTS on WebGPU against the cpu with the same key (issue 12): eight schools (non-centered), the
// potential and its gradient computed on the device in float32 and read back as one small
// buffer per leapfrog step, the tree logic, adaptation and draws on the host in float64. The cpu
// run is the float64 reference (its data in float64). The same key gives the same momenta,
// directions and uniform draws, so the two runs take the same discrete decisions (tree depths,
// leapfrog counts) and their positions differ only by float32 rounding carried through the
// trajectories. Kept small for SwiftShader on 2 cores, where every leapfrog step is a dispatch
// and a readback: 4 draws (36 leapfrog steps) and 6 warmup + 3 draws (99 steps), 135 in all
// (256 before; the decisions compared are the same kinds, fewer of them).
import {
  type Backend,
  type BackendBuffer,
  cpuBackend,
  key,
  plate,
  sample,
  tensor,
  withBackend,
} from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { MCMC, type MCMCOptions, NUTS, type NUTSOptions } from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { values, webgpu } from "./gpu-env.js";

const Y8 = [28, 8, -3, 7, -1, 1, 18, 12];
const S8 = [15, 10, 16, 11, 9, 11, 10, 18];
/** Unconstrained parameters: mu, log tau, theta_tilde[8]. */
const DIM = 10;

/** The eight-schools model with its data on `backend` (float64 where the backend has it). */
function eightSchools(backend: Backend) {
  const dtype = backend.supportsFloat64 ? "float64" : "float32";
  const [y, sigma] = withBackend(backend, () => [tensor(Y8, { dtype }), tensor(S8, { dtype })]);
  return () => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("school", 8, () => {
      const tt = sample("theta_tilde", new Normal(0, 1));
      sample("y", new Normal(mu.add(tau.mul(tt)), sigma!), { obs: y! });
    });
  };
}

interface Run {
  mcmc: MCMC;
  /** Leapfrog steps of every iteration, warmup included. */
  steps: number[];
  /** Backend reads during each iteration (size in elements of each read). */
  readsPerIteration: number[][];
}

/** Run NUTS on `backend` (the backend current at `run`), counting that backend's reads per iteration. */
async function runOn(backend: Backend, kernel: NUTSOptions, opts: MCMCOptions): Promise<Run> {
  const steps: number[] = [];
  const readsPerIteration: number[][] = [];
  let current: number[] = [];
  const read = backend.read;
  backend.read = (buf: BackendBuffer) => {
    current.push(buf.size);
    return read.call(backend, buf);
  };
  const mcmc = new MCMC(new NUTS({ model: eightSchools(backend), ...kernel }), {
    ...opts,
    progressBar: false,
    onProgress: (p) => {
      steps.push(p.last.numSteps);
      readsPerIteration.push(current);
      current = [];
    },
  });
  try {
    await withBackend(backend, () => mcmc.run(key(3)));
  } finally {
    backend.read = read;
  }
  return { mcmc, steps, readsPerIteration };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe.skipIf(!webgpu)("NUTS on WebGPU vs cpu, eight schools, same key", () => {
  it("fixed step size: the same trajectories, one [U, ∇U] read per leapfrog step, draws within float32 rounding", async () => {
    const kernel = { stepSize: 0.4, adaptStepSize: false, adaptMassMatrix: false };
    const opts = { numWarmup: 0, numSamples: 4 };
    const gpu = await runOn(webgpu!, kernel, opts);
    // compilePotential off: the CPU's compiled potential (the default there) skips the packed
    // reads this test counts; the sampler path under test is the one both backends share.
    const cpu = await runOn(cpuBackend(), { ...kernel, compilePotential: false }, opts);
    expect(gpu.steps).toEqual(cpu.steps);
    // Between two iterations the GPU run read exactly one buffer of 1 + DIM floats per leapfrog
    // step and nothing else (before the first iteration it also reads the starting point's
    // potential, and the model's argument-check flags, one float each).
    gpu.readsPerIteration.forEach((reads, i) => {
      const packed = reads.filter((size) => size === 1 + DIM).length;
      expect(packed).toBe(gpu.steps[i]! + (i === 0 ? 1 : 0));
      if (i > 0) expect(reads.length).toBe(packed);
    });
    // The cpu takes the same path (no synchronous reads in the sampler): one packed read per step.
    cpu.readsPerIteration.forEach((reads, i) => {
      expect(reads.filter((size) => size === 1 + DIM).length).toBe(cpu.steps[i]! + (i === 0 ? 1 : 0));
    });
    // Measured on SwiftShader: 3.9e-7 in positions (values up to ~2), 5.9e-8 relative in the
    // potential energy. float32 (eps 6e-8) through ~40 leapfrog steps; the bound leaves two
    // orders of magnitude while a wrong gradient term moves positions by O(0.1).
    const g = gpu.mcmc.chainResults[0]!;
    const c = cpu.mcmc.chainResults[0]!;
    expect(maxAbsDiff(g.positions, c.positions)).toBeLessThan(1e-4);
    const pe = (r: typeof g) => Array.from(r.extra.potentialEnergy);
    pe(g).forEach((u, i) => {
      expect(Math.abs(u - pe(c)[i]!)).toBeLessThan(1e-5 * Math.abs(pe(c)[i]!));
    });
    // Samples come back as float32 tensors on the GPU, constrained (tau = exp(u) > 0).
    const sg = gpu.mcmc.getSamples();
    const sc = cpu.mcmc.getSamples();
    expect(Object.keys(sg)).toEqual(["mu", "tau", "theta_tilde"]);
    expect(sg.tau!.backend).toBe(webgpu);
    expect(sg.tau!.dtype).toBe("float32");
    expect(sg.theta_tilde!.shape).toEqual([4, 8]);
    const tg = await values(sg.tau!);
    const tc = await values(sc.tau!);
    tg.forEach((t, i) => {
      expect(t).toBeGreaterThan(0);
      expect(Math.abs(t - tc[i]!)).toBeLessThan(1e-4 * tc[i]!);
    });
  }, 300_000);

  it("warmup adapts the same way: heuristic step size, dual averaging, identical decisions", async () => {
    const opts = { numWarmup: 6, numSamples: 3 };
    const gpu = await runOn(webgpu!, {}, opts);
    const cpu = await runOn(cpuBackend(), {}, opts);
    expect(gpu.steps).toEqual(cpu.steps);
    const g = gpu.mcmc.chainResults[0]!;
    const c = cpu.mcmc.chainResults[0]!;
    // Measured: 3.8e-6 relative in the adapted step size, 3.0e-5 in positions (adaptation feeds
    // the float32 differences of every warmup iteration back into the step size).
    expect(Math.abs(g.stepSize / c.stepSize - 1)).toBeLessThan(1e-3);
    expect(maxAbsDiff(g.positions, c.positions)).toBeLessThan(1e-2);
    // Every warmup iteration is visible as progress, and the summary reads host arrays.
    expect(gpu.steps.length).toBe(9);
    expect(gpu.mcmc.summary().map((r) => r.name)[0]).toBe("mu");
  }, 300_000);
});
