// Predictive on WebGPU against the cpu with the same key (issue 12): the same Threefry bits
// drive the same samplers, so prior and posterior predictive draws agree within float32
// rounding of the samplers' transcendental functions; an invalid parameter gives the cpu's
// message; memory stays at the outputs.
import {
  type Backend,
  cpuBackend,
  deterministic,
  key,
  plate,
  sample,
  type Tensor,
  tensor,
  withBackend,
} from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import { Predictive } from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { compare, values, webgpu } from "./gpu-env.js";

const model = (y: Tensor | null) => {
  const mu = sample("mu", new Normal(1, 2));
  const sd = sample("sd", new LogNormal(0, 0.25));
  deterministic("big", mu.gt(1));
  plate("data", 4, () => sample("y", new Normal(mu, sd), { obs: y }));
};

async function all(out: Record<string, Tensor>): Promise<Record<string, Float64Array>> {
  const entries = await Promise.all(Object.entries(out).map(async ([k, t]) => [k, await values(t)] as const));
  return Object.fromEntries(entries);
}

/** Run `f` with `backend` current (it creates its tensors there) and await its promise. */
const on = <T>(backend: Backend, f: () => Promise<T> | T): Promise<T> =>
  Promise.resolve(withBackend(backend, f));

describe.skipIf(!webgpu)("Predictive on WebGPU vs cpu, same key", () => {
  // `compare(...).rel`: the largest per-element min(relative, absolute) difference. Measured on
  // SwiftShader: 6.0e-7 (mu), 2.3e-7 (sd), 6.6e-7 (y) for the prior; 1.9e-9 for the posterior
  // predictive y. Bound 1e-5: float32 Box–Muller through WGSL log/cos/exp, a few ulp each; a
  // wrong draw (another counter, another branch) differs by O(1).
  const RTOL = 1e-5;

  it("prior predictive: run on the GPU equals call on the cpu; call on the GPU reads nothing back", async () => {
    const p = new Predictive(model, { numSamples: 48, batchSize: 16 });
    const gpu = await on(webgpu!, () => p.run(key(5), null));
    const cpu = p.call(key(5), null);
    expect(Object.keys(gpu)).toEqual(["mu", "sd", "big", "y"]);
    expect(gpu.y!.backend).toBe(webgpu);
    expect(gpu.y!.shape).toEqual([48, 4]);
    expect(gpu.big!.dtype).toBe("bool");
    const g = await all(gpu);
    const c = await all(cpu);
    for (const k of ["mu", "sd", "y"]) expect(compare(g[k]!, c[k]!).rel).toBeLessThan(RTOL);
    // A bool site: equal except where mu sits within float32 rounding of the threshold (none here).
    expect(Array.from(g.big!)).toEqual(Array.from(c.big!));
    // call on the GPU: synchronous, device tensors, the same values as run.
    const sync = withBackend(webgpu!, () => p.call(key(5), null));
    expect(sync.mu!.backend).toBe(webgpu);
    expect(Array.from(await values(sync.y!))).toEqual(Array.from(g.y!));
  }, 120_000);

  it("posterior predictive from samples on the GPU: only the sites not given, around the given means", async () => {
    const draws = { mu: [0, 10, 20, 30], sd: [0.01, 0.01, 0.01, 0.01] };
    const samples = (b: Backend) => withBackend(b, () => ({ mu: tensor(draws.mu), sd: tensor(draws.sd) }));
    const gpu = await on(webgpu!, () =>
      new Predictive(model, { posteriorSamples: samples(webgpu!), batchSize: 3 }).run(key(1), null),
    );
    const cpu = new Predictive(model, { posteriorSamples: samples(cpuBackend()), batchSize: 3 }).call(
      key(1),
      null,
    );
    expect(Object.keys(gpu)).toEqual(["big", "y"]);
    const g = await all(gpu);
    const c = await all(cpu);
    expect(compare(g.y!, c.y!).rel).toBeLessThan(RTOL);
    g.y!.forEach((v, i) => {
      expect(Math.abs(v - 10 * Math.floor(i / 4))).toBeLessThan(0.1);
    });
    expect(Array.from(g.big!)).toEqual([0, 1, 1, 1]);
  }, 120_000);

  it("an invalid parameter rejects with the cpu's message, naming the site", async () => {
    const bad = () => {
      const mu = sample("mu", new Normal(0, 1));
      plate("N", 3, () => sample("y", new Normal(mu, tensor([1, -1, 1]))));
    };
    const message = "site 'y': Normal: argument 'scale' must satisfy positive, but scale[1] = -1";
    expect(() => new Predictive(bad, { numSamples: 4 }).call(key(0))).toThrow(message);
    await expect(on(webgpu!, () => new Predictive(bad, { numSamples: 4 }).run(key(0)))).rejects.toThrow(
      message,
    );
  }, 120_000);

  it("leaves only its outputs on the GPU", async () => {
    const p = new Predictive(model, { numSamples: 32, batchSize: 8, returnSites: ["y"] });
    (await on(webgpu!, () => p.run(key(2), null))).y!.dispose(); // warm caches
    const before = webgpu!.liveBuffers();
    const out = await on(webgpu!, () => p.run(key(3), null));
    expect(webgpu!.liveBuffers() - before).toBe(1);
    out.y!.dispose();
    expect(webgpu!.liveBuffers()).toBe(before);
  }, 120_000);
});
