// The optimizer update inside SVI's compiled step (svi/compiled-step.ts): with a rule optimizer
// the recorded program covers loss, gradient and update, and the numbers that change every step
// (a scheduled learning rate, Adam's bias corrections, ClippedAdam's decay) are float64 scalar
// inputs computed on the host as an eager update computes them. Each case runs the same SVI
// compiled and with `compileStep: false` (every step eager, the reference) and asserts the loss
// histories, final params and optimizer slots are the same bits: a replay runs the recorded
// kernels on the same float64 numbers an eager update bakes into its constants, so no
// tolerance applies. A schedule that changes the learning rate every step would make two
// recordings differ if those numbers were constants, so "compiled" with every later step
// replayed shows they are inputs.
import { dispose, key, liveBuffers, param, plate, sample, type Tensor, tensor } from "@scribe/core";
import { Normal, positive } from "@scribe/distributions";
import {
  adagrad,
  adam,
  clippedAdam,
  exponentialDecay,
  momentum,
  type Optimizer,
  rmsprop,
  SVI,
  sgd,
  TraceMeanFieldELBO,
  withGlobalNormClipping,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

const STEPS = 12;
const Y = tensor([0.3, -0.5, 1.2, 0.8, 0.1, 0.4, -0.2, 0.9, 1.1, 0.6]);

const model = (y: Tensor) => {
  const mu = sample("mu", new Normal(0, 1));
  plate("obs", 10, () => sample("y", new Normal(mu, 1), { obs: y }));
};
const guide = () => {
  const loc = param("loc", tensor(0));
  const scale = param("scale", tensor(1), { constraint: positive });
  sample("mu", new Normal(loc, scale));
};

async function runOnce(optim: () => Optimizer, compileStep: boolean, stableUpdate: boolean) {
  const before = liveBuffers();
  const svi = new SVI(model, guide, optim(), new TraceMeanFieldELBO(), { compileStep });
  const r = await svi.run(key(3), STEPS, [Y], { logEvery: 5, stableUpdate });
  const state: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(r.params)) state[k] = Array.from(await v.data());
  for (const [k, sl] of Object.entries(r.state.optimState.slots))
    for (const [n, t] of Object.entries(sl)) state[`${k}.${n}`] = Array.from(await t.data());
  const grown = liveBuffers() - before;
  dispose([...Object.values(r.params), ...Object.values(r.state.optimState.params)]);
  for (const sl of Object.values(r.state.optimState.slots)) dispose(Object.values(sl));
  return { losses: Array.from(r.losses), state, grown, status: svi.compiledStep };
}

const RULES: [string, () => Optimizer][] = [
  ["sgd", () => sgd(0.01)],
  ["momentum, decaying learning rate", () => momentum(exponentialDecay(0.01, 4, 0.5))],
  ["adam", () => adam(0.05)],
  ["adam, decaying learning rate", () => adam(exponentialDecay(0.05, 3, 0.3))],
  ["clippedAdam with lrd and a clip that binds", () => clippedAdam(0.05, { lrd: 0.97, clipNorm: 2 })],
  ["adagrad", () => adagrad(0.1)],
  ["rmsprop", () => rmsprop(0.01)],
];

/** The compiled run replayed every step after the two it recorded. */
function expectAllReplayed(status: unknown, withUpdate: boolean) {
  expect(status).toEqual({ state: "compiled", refusal: null, replays: STEPS - 2, withUpdate });
}

/**
 * Runs the SVI eager and compiled; the compiled run replayed every step after the two it
 * recorded (with or without the update in the program) and gave the eager run's losses, params
 * and slots, bit for bit. Both runs are returned for further checks.
 */
async function expectCompiledEqualsEager(optim: () => Optimizer, stableUpdate: boolean, withUpdate: boolean) {
  const eager = await runOnce(optim, false, stableUpdate);
  const compiled = await runOnce(optim, true, stableUpdate);
  expectAllReplayed(compiled.status, withUpdate);
  expect(compiled.losses).toEqual(eager.losses);
  expect(compiled.state).toEqual(eager.state);
  return { eager, compiled };
}

describe("SVI compiled step with the optimizer update", () => {
  for (const [name, optim] of RULES)
    it(`${name}: the update is compiled, same losses, params and slots as eager`, async () => {
      const { eager, compiled } = await expectCompiledEqualsEager(optim, false, true);
      expect(compiled.grown).toBe(eager.grown);
    });

  it("stable updates (the program also gives the gradients for the finiteness check)", async () => {
    const optim = () => clippedAdam(exponentialDecay(0.05, 3, 0.5), { lrd: 0.9 });
    const { eager, compiled } = await expectCompiledEqualsEager(optim, true, true);
    expect(compiled.grown).toBe(eager.grown);
  });

  it("withGlobalNormClipping of a rule optimizer (a clip that binds) is compiled with the update", async () => {
    // Not bit for bit: an eager step stores the gradients as float32 before the global norm
    // reads them, the program fuses the gradient expressions into the norm's float64
    // accumulation; the runs differ by float32 roundings (≈ 1e-7 relative), bounded at 1e-5
    // relative after 12 steps.
    const optim = () => withGlobalNormClipping(adam(0.05), 0.5);
    const eager = await runOnce(optim, false, false);
    const compiled = await runOnce(optim, true, false);
    expectAllReplayed(compiled.status, true);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
    expect(compiled.losses.every((l, i) => close(l, eager.losses[i]!))).toBe(true);
    for (const [k, v] of Object.entries(eager.state))
      expect(
        compiled.state[k]!.every((x, i) => close(x, v[i]!)),
        k,
      ).toBe(true);
    // the clip binds: unclipped adam moves loc elsewhere
    const unclipped = await runOnce(() => adam(0.05), false, false);
    expect(Math.abs(unclipped.state.loc![0]! - eager.state.loc![0]!)).toBeGreaterThan(1e-4);
  });

  it("an optimizer that is not a rule optimizer updates eagerly on the compiled gradients", async () => {
    // a user's optimizer object: adam's methods behind a plain object, which SVI cannot inspect
    const optim = (): Optimizer => {
      const inner = adam(0.05);
      return {
        name: "user adam",
        init: (p) => inner.init(p),
        update: (g, s, o) => inner.update(g, s, o),
        getParams: (s) => inner.getParams(s),
        dispose: (s) => inner.dispose(s),
      };
    };
    await expectCompiledEqualsEager(optim, false, false);
  });
});
