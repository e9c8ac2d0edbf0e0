// SVI's compiled step (svi/compiled-step.ts, core's jitKeyed): after recording the first
// steps, later steps replay the recorded loss and gradient with the step's key as an input.
// Each case runs the same SVI twice, compiled (the default) and with `compileStep: false`
// (every step eager, the reference), and asserts the loss histories and final params are the
// same bits, and that the compiled run did replay (or, where recording is refused, that it
// fell back and says why). Bit equality is the claim: a replay runs the recorded kernels and
// redraws the same Threefry bits, so no tolerance applies.
import { dispose, key, liveBuffers, param, plate, sample, type Tensor, tensor } from "@scribe/core";
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
  AutoMultivariateNormal,
  AutoNormal,
  adam,
  type ELBOLoss,
  SVI,
  TraceELBO,
  TraceMeanFieldELBO,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

const STEPS = 15;

type Guide = ConstructorParameters<typeof SVI<[Tensor]>>[1];

async function runBoth(
  model: (y: Tensor) => unknown,
  guide: () => Guide,
  loss: () => ELBOLoss,
  y: Tensor,
  opts: { lr?: number; seed?: number; stableUpdate?: boolean } = {},
) {
  const run = async (compileStep: boolean) => {
    const before = liveBuffers();
    const svi = new SVI(model, guide(), adam(opts.lr ?? 0.05), loss(), { compileStep });
    const r = await svi.run(key(opts.seed ?? 0), STEPS, [y], {
      logEvery: 10,
      stableUpdate: opts.stableUpdate,
    });
    const params: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(r.params)) params[k] = Array.from(await v.data());
    // what the run leaves alive (its state and params): a program or a refused recording
    // that kept buffers would show here
    const grown = liveBuffers() - before;
    dispose([...Object.values(r.params), ...Object.values(r.state.optimState.params)]);
    for (const sl of Object.values(r.state.optimState.slots)) dispose(Object.values(sl));
    return { losses: r.losses, params, status: svi.compiledStep, grown };
  };
  const eager = await run(false);
  const compiled = await run(true);
  expect(eager.status.state).toBe("off");
  return { eager, compiled };
}

type RunResult = { losses: Float64Array; params: Record<string, number[]>; grown: number };

function expectSameBits(a: RunResult, b: RunResult) {
  expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
  expect(b.params).toEqual(a.params);
  expect(b.grown).toBe(a.grown);
}

const Y10 = tensor([0.3, -0.5, 1.2, 0.8, 0.1, 0.4, -0.2, 0.9, 1.1, 0.6]);

const normalModel = (y: Tensor) => {
  const mu = sample("mu", new Normal(0, 1));
  plate("obs", 10, () => sample("y", new Normal(mu, 1), { obs: y }));
};
const normalGuide = () => () => {
  const loc = param("loc", tensor(0));
  const scale = param("scale", tensor(1), { constraint: positive });
  sample("mu", new Normal(loc, scale));
};

describe("SVI compiled step", () => {
  it("normal-normal (TraceMeanFieldELBO): same loss history and params as eager", async () => {
    const { eager, compiled } = await runBoth(normalModel, normalGuide, () => new TraceMeanFieldELBO(), Y10);
    expect(compiled.status.state).toBe("compiled");
    // two steps recorded, the rest replayed
    expect(compiled.status.replays).toBe(STEPS - 2);
    expectSameBits(eager, compiled);
  });

  it("a plated latent with a plated guide and stable updates (TraceELBO)", async () => {
    const model = (y: Tensor) => {
      const s = sample("s", new LogNormal(0, 1));
      const z = plate("groups", 5, () => sample("z", new Normal(0, s)));
      plate("obs", 2, { dim: -2 }, () => sample("y", new Normal(z, 1), { obs: y }));
    };
    const guide = () => () => {
      const s0 = param("s0", tensor(0));
      sample("s", new LogNormal(s0, 0.5));
      const loc = param("zloc", tensor([0, 0, 0, 0, 0]));
      const sc = param("zscale", tensor([1, 1, 1, 1, 1]), { constraint: positive });
      plate("groups", 5, () => sample("z", new Normal(loc, sc)));
    };
    const y = tensor([
      [0.5, 1.5, -0.3, 2.0, 0.1],
      [0.7, 1.1, -0.6, 2.4, 0.3],
    ]);
    const { eager, compiled } = await runBoth(model, guide, () => new TraceELBO(), y, { stableUpdate: true });
    expect(compiled.status.state).toBe("compiled");
    expectSameBits(eager, compiled);
  });

  it("AutoNormal on a negative-binomial model (Beta and LogNormal latents)", async () => {
    const counts = tensor(Array.from({ length: 40 * 5 }, (_, i) => (i * 7919) % 13)).reshape([40, 5]);
    const model = (obs: Tensor) => {
      const p = sample("p", new Beta(1, 1));
      const r = plate("genes", 5, () => sample("r", new LogNormal(0, 1)));
      plate("cells", 40, { dim: -2 }, () => sample("counts", new NegativeBinomialProbs(r, p), { obs }));
    };
    const { eager, compiled } = await runBoth(
      model,
      () => new AutoNormal(model),
      () => new TraceELBO(),
      counts,
      {
        lr: 0.02,
      },
    );
    expect(compiled.status.state).toBe("compiled");
    expectSameBits(eager, compiled);
  });

  it("AutoMultivariateNormal, two particles (matmul and scatter-add in the step)", async () => {
    // a replay must zero the buffer scatterAdd accumulates into, as a fresh allocation is
    const X = tensor([
      [1, 0.5, -0.3],
      [0.2, 1.1, 0.4],
      [-0.7, 0.3, 1.2],
      [1.5, -0.4, 0.1],
    ]);
    const model = (y: Tensor) => {
      const w = plate("coef", 3, () => sample("w", new Normal(0, 2)));
      plate("data", 4, () => sample("y", new Normal(X.matmul(w), 0.5), { obs: y }));
    };
    const y = tensor([0.4, 1.2, -0.3, 2.1]);
    const { eager, compiled } = await runBoth(
      model,
      () => new AutoMultivariateNormal(model),
      () => new TraceELBO({ numParticles: 2 }),
      y,
    );
    expect(compiled.status.state).toBe("compiled");
    expectSameBits(eager, compiled);
  });

  it("four particles, Gamma guide (implicit reparameterization draws)", async () => {
    const y = tensor([3, 5, 4, 6, 2, 4, 5, 3, 4, 7]);
    const model = (obs: Tensor) => {
      const lam = sample("lam", new Gamma(2, 1));
      plate("obs", 10, () => sample("y", new Poisson(lam), { obs }));
    };
    const guide = () => () => {
      const c = param("c", tensor(10), { constraint: positive });
      const r = param("r", tensor(2), { constraint: positive });
      sample("lam", new Gamma(c, r));
    };
    const { eager, compiled } = await runBoth(
      model,
      guide,
      () => new TraceMeanFieldELBO({ numParticles: 4 }),
      y,
      {
        seed: 1,
      },
    );
    expect(compiled.status.state).toBe("compiled");
    expectSameBits(eager, compiled);
  });

  it("vectorized particles: the first step differs (it learns the plate nesting), later steps agree", async () => {
    const { eager, compiled } = await runBoth(
      normalModel,
      normalGuide,
      () => new TraceELBO({ numParticles: 3, vectorizeParticles: true }),
      Y10,
    );
    expect(compiled.status.state).toBe("compiled");
    // three recordings: the first traces model and guide once more than the others
    expect(compiled.status.replays).toBe(STEPS - 3);
    expectSameBits(eager, compiled);
  });

  it("a model whose work changes every step is refused and runs eagerly, same results", async () => {
    // host state that changes per step (a replay would keep the recorded step's value);
    // each run starts it from 0, so the eager and the compiled run see the same sequence
    let calls = 0;
    const drifting = (y: Tensor) => {
      calls++;
      const mu = sample("mu", new Normal(0, 1 + (calls % 7)));
      plate("obs", 10, () => sample("y", new Normal(mu, 1), { obs: y }));
    };
    const restart = () => {
      calls = 0;
      return normalGuide();
    };
    const { eager, compiled } = await runBoth(drifting, restart, () => new TraceMeanFieldELBO(), Y10);
    expect(compiled.status.state).toBe("eager");
    expect(compiled.status.refusal).toMatch(/differs between calls/);
    expect(compiled.status.replays).toBe(0);
    expectSameBits(eager, compiled);
  });

  it("a step that fails a value check throws eager's error, in a recorded step and in a replayed one", async () => {
    // the guide's scale has no positivity constraint: a large learning rate drives it negative
    // and Normal's argument check fails (step 2 with lr 2 from 1: a recorded step; later with
    // lr 1 from 0.5: a replayed one, rerun eagerly to throw)
    const errorOf = async (compileStep: boolean, lr: number, scale0: number) => {
      const guide = () => {
        const loc = param("loc", tensor(0));
        sample("mu", new Normal(loc, param("scale", tensor(scale0))));
      };
      const svi = new SVI(normalModel, guide, adam(lr), new TraceMeanFieldELBO(), { compileStep });
      const message = await svi.run(key(0), 40, [Y10], { logEvery: 5 }).then(
        () => "no error",
        (e: Error) => e.message,
      );
      return { message, replays: svi.compiledStep.replays };
    };
    for (const [lr, scale0, replayed] of [
      [2, 1, false],
      [1, 0.5, true],
    ] as const) {
      const eager = await errorOf(false, lr, scale0);
      const compiled = await errorOf(true, lr, scale0);
      expect(eager.message).toMatch(/scale' must satisfy positive/);
      expect(compiled.message).toBe(eager.message);
      expect(compiled.replays > 0).toBe(replayed);
    }
  });

  it("a model that reads a value back is refused", async () => {
    const reads = (y: Tensor) => {
      const mu = sample("mu", new Normal(0, 1));
      const shift = mu.item() > 0 ? 1 : 0; // value-dependent control flow
      plate("obs", 10, () => sample("y", new Normal(mu.add(shift), 1), { obs: y }));
    };
    const { eager, compiled } = await runBoth(reads, normalGuide, () => new TraceMeanFieldELBO(), Y10);
    expect(compiled.status.state).toBe("eager");
    expect(compiled.status.refusal).toMatch(/read/);
    expectSameBits(eager, compiled);
  });
});
