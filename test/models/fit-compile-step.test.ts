/**
 * fit()'s `compileStep`: SVI's recorded step (infer's compiled-step.ts) is on by default and
 * gives the same fit bit for bit as eager steps; `compileStep: false` runs every step eagerly.
 * The reference is the eager fit of the same key (an independent execution path: effect
 * handlers, tape and planning on every step).
 */
import { tensor } from "@scribe/core";
import { fit } from "@scribe/models";
import { makeRng } from "@scribe/models/seeded-rng.js";
import { describe, expect, it } from "vitest";

function simulatedCounts(cells: number, genes: number): number[][] {
  const rng = makeRng(7);
  return Array.from({ length: cells }, () =>
    Array.from({ length: genes }, (_, g) => Math.floor(rng() * (3 + 2 * g))),
  );
}

describe("fit({ compileStep })", () => {
  it("compiled (default) and eager fits agree bit for bit; the outcome says which ran", async () => {
    const counts = tensor(simulatedCounts(40, 5));
    const opts = { model: "nbdm", nSteps: 40, learningRate: 0.05, seed: 3 } as const;
    const compiled = await fit(counts, opts);
    const eager = await fit(counts, { ...opts, compileStep: false });
    expect(compiled.compiledStep?.state).toBe("compiled");
    expect(compiled.compiledStep?.replays).toBeGreaterThan(30);
    expect(eager.compiledStep?.state).toBe("off");
    expect(Array.from(compiled.results.lossHistory)).toEqual(Array.from(eager.results.lossHistory));
    const a = compiled.results.getMap();
    const b = eager.results.getMap();
    for (const k of Object.keys(b))
      expect(Array.from(await a[k]!.data())).toEqual(Array.from(await b[k]!.data()));
  });
});
