// Predictive without synchronous reads (issue 12): `call` stacks the draws on the device chunk by
// chunk and `await run(...)` does the same as a promise; both give the same values for the same
// key, surface a model's invalid argument with the site's name, and keep memory bounded.
import { deterministic, key, liveBuffers, plate, sample, scope, type Tensor, tensor } from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import { DrawChunks, Predictive } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const model = (y: Tensor | null) => {
  const mu = sample("mu", new Normal(1, 2));
  const sd = sample("sd", new LogNormal(0, 0.25));
  deterministic("big", mu.gt(0));
  plate("data", 4, () => sample("y", new Normal(mu, sd), { obs: y }));
};

const values = async (out: Record<string, Tensor>) =>
  Object.fromEntries(
    await Promise.all(Object.entries(out).map(async ([k, t]) => [k, Array.from(await t.data())])),
  );

describe("Predictive.run", () => {
  it("gives call's draws for the same key (prior, chunked, bool sites too)", async () => {
    const p = new Predictive(model, { numSamples: 37, batchSize: 10 });
    const a = p.call(key(5), null);
    const b = await p.run(key(5), null);
    expect(Object.keys(b)).toEqual(["mu", "sd", "big", "y"]);
    expect(b.y!.shape).toEqual([37, 4]);
    expect(b.big!.dtype).toBe("bool");
    expect(await values(b)).toEqual(await values(a));
    // Draw i is the model run under key split(key(5), 37)[i], whatever the chunking.
    const one = await new Predictive(model, { numSamples: 37, batchSize: 37 }).run(key(5), null);
    expect(await values(one)).toEqual(await values(b));
  });

  it("posterior predictive from samples on the run's backend, only the sites not given", async () => {
    const samples = { mu: tensor([0, 10, 20]), sd: tensor([0.01, 0.01, 0.01]) };
    const out = await new Predictive(model, { posteriorSamples: samples, batchSize: 2 }).run(key(1), null);
    expect(Object.keys(out)).toEqual(["big", "y"]);
    const y = Array.from(await out.y!.data());
    y.forEach((v, i) => {
      expect(Math.abs(v - 10 * Math.floor(i / 4))).toBeLessThan(0.1);
    });
    expect(Array.from(await out.big!.data())).toEqual([0, 1, 1]);
  });

  it("an invalid parameter rejects with the site's name (call throws the same message)", async () => {
    const bad = () => {
      const mu = sample("mu", new Normal(0, 1));
      plate("N", 3, () => sample("y", new Normal(mu, tensor([1, -1, 1]))));
    };
    const message = "site 'y': Normal: argument 'scale' must satisfy positive, but scale[1] = -1";
    expect(() => new Predictive(bad, { numSamples: 5 }).call(key(0))).toThrow(message);
    await expect(new Predictive(bad, { numSamples: 5 }).run(key(0))).rejects.toThrow(message);
  });

  it("leaves only its outputs behind", async () => {
    const p = new Predictive(model, { numSamples: 120, batchSize: 40, returnSites: ["y"] });
    await p.run(key(2), null); // warm caches
    const before = liveBuffers();
    const out = await p.run(key(3), null);
    expect(liveBuffers() - before).toBe(1);
    out.y!.dispose();
    expect(liveBuffers()).toBe(before);
  });
});

describe("DrawChunks", () => {
  it("stacks per-draw values across chunks and frees each chunk's model runs", () => {
    const before = liveBuffers();
    const out = scope(() => {
      const c = new DrawChunks(7, "test");
      const draw = (i: number) => ({ x: tensor([i, 2 * i]).mul(3), n: tensor(i, { dtype: "int32" }) });
      c.addChunk(0, 3, draw);
      c.addChunk(3, 7, draw);
      return c.finish();
    });
    expect(liveBuffers() - before).toBe(2);
    expect(out.x!.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [3 * i, 6 * i]));
    expect(out.n!.dtype).toBe("int32");
  });

  it("names the site and draw when draws disagree", () => {
    const shapes = new DrawChunks(4, "Predictive");
    shapes.addChunk(0, 2, () => ({ x: tensor([1, 2]) }));
    expect(() => shapes.addChunk(2, 4, (i) => ({ x: i === 3 ? tensor([1, 2, 3]) : tensor([1, 2]) }))).toThrow(
      "Predictive: site 'x' changes shape between draws: [2] vs [3] at draw 3",
    );
    const sites = new DrawChunks(4, "Predictive");
    sites.addChunk(0, 2, () => ({ x: tensor(1) }));
    expect(() => sites.addChunk(2, 4, () => ({ z: tensor(1) }))).toThrow(
      "Predictive: draw 2 gives sites [z], earlier draws gave [x]",
    );
    const missing = new DrawChunks(3, "Predictive");
    expect(() =>
      missing.addChunk(0, 3, (i): Record<string, Tensor> => (i === 1 ? {} : { x: tensor(1) })),
    ).toThrow("Predictive: site 'x' is missing from some draws");
    expect(() => new DrawChunks(3, "Predictive").finish()).toThrow("Predictive: 0 of 3 draws collected");
  });
});
