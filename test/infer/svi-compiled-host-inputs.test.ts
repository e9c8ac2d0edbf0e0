// Host inputs of SVI's compiled step (core's jit/host-inputs.ts; a plate draws its subsample indices through keyedHostDraw):
// a subsampled plate's indices, drawn on the host from the step's key, and a number the model
// reads from host state every step (a KL-style weight through `hostScalar`) are inputs of the
// recorded program, filled on the host before each replay. Each case runs the same SVI compiled
// and with `compileStep: false` (every step eager: the plate's own draw, a plain upload of the
// weight) and asserts the losses, params and slots are the same bits, and that the compiled
// run replayed every step after the two it recorded. Without the host inputs the two
// recordings differ (their uploads hold other values) and the step would run eagerly; bit
// equality is the claim, so no tolerance applies.
import {
  dispose,
  hostScalar,
  jit,
  key,
  liveBuffers,
  param,
  plate,
  sample,
  scale,
  subsample,
  type Tensor,
  tensor,
} from "@scribe/core";
import { Normal, positive } from "@scribe/distributions";
import { adam, SVI, type SVIState, TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const STEPS = 12;
const N = 20;
const Y = tensor(Array.from({ length: N }, (_, i) => Math.sin(i) + 0.1 * i));

// local latents z_i in a subsampled plate; the guide's per-point params are sliced by the indices
const model = (y: Tensor) => {
  const mu = sample("mu", new Normal(0, 2));
  plate("data", N, { subsampleSize: 6 }, () => {
    const z = sample("z", new Normal(mu, 1));
    sample("y", new Normal(z, 0.5), { obs: subsample(y, 0) });
  });
};
const guide = () => {
  const loc = param("loc", tensor(0));
  const sc = param("scale", tensor(1), { constraint: positive });
  sample("mu", new Normal(loc, sc));
  plate("data", N, { subsampleSize: 6 }, () => {
    const zLoc = param("z_loc", tensor(new Array(N).fill(0)), { eventDim: 0 });
    const zScale = param("z_scale", tensor(new Array(N).fill(1)), { constraint: positive, eventDim: 0 });
    sample("z", new Normal(zLoc, zScale));
  });
};

async function valuesOf(state: SVIState, svi: SVI<[Tensor]>) {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(svi.getParams(state))) out[k] = Array.from(await v.data());
  for (const [k, sl] of Object.entries(state.optimState.slots))
    for (const [n, t] of Object.entries(sl)) out[`${k}.${n}`] = Array.from(await t.data());
  return out;
}

function disposeState(state: SVIState) {
  dispose(Object.values(state.optimState.params));
  for (const sl of Object.values(state.optimState.slots)) dispose(Object.values(sl));
}

interface Run {
  losses: number[];
  values: Record<string, number[]>;
  status: SVI<[Tensor]>["compiledStep"];
}

/** The compiled run replayed every step after its `recordings` (update included) and gave the eager run's bits. */
function expectReplayedAsEager(compiled: Run, eager: Run, recordings: number) {
  expect(compiled.status).toEqual({
    state: "compiled",
    refusal: null,
    replays: STEPS - recordings,
    withUpdate: true,
  });
  expect(compiled.losses).toEqual(eager.losses);
  expect(compiled.values).toEqual(eager.values);
}

describe("SVI compiled step: host inputs", () => {
  it("a subsampled plate (indices redrawn from each step's key): same losses, params and slots as eager", async () => {
    const runOnce = async (compileStep: boolean) => {
      const before = liveBuffers();
      const svi = new SVI(model, guide, adam(0.05), new TraceELBO(), { compileStep });
      const r = await svi.run(key(4), STEPS, [Y], { logEvery: 5, stableUpdate: true });
      const values = await valuesOf(r.state, svi);
      dispose(Object.values(r.params));
      disposeState(r.state);
      return {
        losses: Array.from(r.losses),
        values,
        status: svi.compiledStep,
        grown: liveBuffers() - before,
      };
    };
    const eager = await runOnce(false);
    const compiled = await runOnce(true);
    // three recordings: the first step's work differs from the next two (the first call fuses
    // the guide's fresh params otherwise), so jitKeyed records a third before it replays
    expectReplayedAsEager(compiled, eager, 3);
    expect(compiled.grown).toBe(eager.grown);
    // the minibatches differ from step to step: only the sampled rows' guide params moved, so
    // after 12 steps of 6 of 20 points some rows may be untouched, but not all rows are alike
    const zLoc = compiled.values.z_loc!;
    expect(new Set(zLoc).size).toBeGreaterThan(6);
  });

  it("a per-step host number (hostScalar) scaling the latent: same results as eager, read at every replay", async () => {
    // β changes every step; the steps are driven by hand, setting β before each
    let beta = 0;
    const weighted = (y: Tensor) => {
      const mu = scale(
        () => sample("mu", new Normal(0, 1)),
        hostScalar(() => beta),
      )();
      plate("obs", N, () => sample("y", new Normal(mu, 1), { obs: y }));
    };
    const weightedGuide = () => {
      const loc = param("loc", tensor(0));
      const sc = param("scale", tensor(1), { constraint: positive });
      scale(
        () => sample("mu", new Normal(loc, sc)),
        hostScalar(() => beta),
      )();
    };
    const warmup = (t: number) => Math.min(1, (t + 1) / 8);
    const runOnce = async (compileStep: boolean, schedule: (t: number) => number = warmup) => {
      const svi = new SVI(weighted, weightedGuide, adam(0.05), new TraceMeanFieldELBO(), { compileStep });
      let state = svi.init(key(2), [Y]);
      const losses: number[] = [];
      for (let t = 0; t < STEPS; t++) {
        beta = schedule(t);
        const r = svi.update(state, [Y]);
        state = r.state;
        losses.push(Number((await r.loss.data())[0]));
        r.loss.dispose();
      }
      const values = await valuesOf(state, svi);
      const status = svi.compiledStep;
      svi.releaseCompiledStep();
      disposeState(state);
      return { losses, values, status };
    };
    const eager = await runOnce(false);
    const compiled = await runOnce(true);
    expectReplayedAsEager(compiled, eager, 2);
    // β mattered: the same steps with β = 1 throughout give other losses while β < 1 (from
    // step 1: at step 0 the guide equals the prior, so the weighted term is 0 either way)
    const unweighted = await runOnce(false, () => 1);
    for (let t = 1; t < 7; t++) expect(unweighted.losses[t], `step ${t}`).not.toBe(eager.losses[t]);
  });

  it("plain jit (no host code per call) refuses a host input and runs eagerly", () => {
    let w = 2;
    const f = jit((x: Tensor) => x.mul(hostScalar(() => w)));
    expect(Array.from(f(tensor([1, 2])).dataSync())).toEqual([2, 4]);
    w = 3;
    expect(Array.from(f(tensor([1, 2])).dataSync())).toEqual([3, 6]);
    expect(f.replays).toBe(0);
    f.dispose();
  });
});
