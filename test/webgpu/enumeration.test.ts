// Enumeration on WebGPU against the cpu (issue 22): the Gaussian mixture's TraceEnumELBO
// loss and gradient, and an HMM's marginal likelihood through an enumerated `scan`, agree
// within float32 rounding. Nothing here reads back inside the model or the contraction.
import {
  type Backend,
  cpuBackend,
  key,
  param,
  plate,
  sample,
  scan,
  type Tensor,
  tensor,
  valueAndGrad,
  withBackend,
} from "@scribe/core";
import { Categorical, Delta, Normal } from "@scribe/distributions";
import { enumLogDensity, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { compare, values, webgpu } from "./gpu-env.js";

const DATA = [-3.1, -2.4, -2.2, -1.9, -1.5, 0.2, 1.7, 2.1, 2.5, 2.6, 3.3, 3.9];

const model = (obs: Tensor) => {
  const locs = plate("K", 2, () => sample("locs", new Normal(0, 10)));
  plate("N", obs.shape[0]!, () => {
    const z = sample("z", Categorical({ probs: tensor([0.3, 0.7]) }), { infer: { enumerate: "parallel" } });
    sample("y", new Normal(locs.index(z), 1), { obs });
  });
};
const guide = () => {
  const loc = param("locsQ", tensor([-1, 1]));
  plate("K", 2, () => sample("locs", new Delta(loc)));
};

async function mixtureLossAndGrad(backend: Backend): Promise<{ loss: Float64Array; grad: Float64Array }> {
  const [loss, grads] = withBackend(backend, () => {
    const elbo = new TraceEnumELBO({ maxPlateNesting: 1 });
    const y = tensor(DATA);
    return valueAndGrad((p: { locsQ: Tensor }) => elbo.loss(key(0), p, model, guide, [y]))({
      locsQ: tensor([-1.5, 2]),
    });
  });
  return { loss: await values(loss), grad: await values(grads.locsQ) };
}

async function hmmLogLik(backend: Backend): Promise<Float64Array> {
  const logJoint = withBackend(backend, () => {
    const trans = tensor([
      [0.8, 0.15, 0.05],
      [0.1, 0.7, 0.2],
      [0.25, 0.25, 0.5],
    ]);
    const locs = tensor([-1, 0.5, 2]);
    const hmm = (ys: Tensor) => {
      const z0 = sample("z_init", Categorical({ probs: tensor([0.5, 0.3, 0.2]) }), {
        infer: { enumerate: "parallel" },
      });
      scan(
        (z: Tensor, y: Tensor) => {
          const next = sample("z", Categorical({ probs: trans.index(z) }), {
            infer: { enumerate: "parallel" },
          });
          sample("y", new Normal(locs.index(next), 1), { obs: y });
          return [next, null] as const;
        },
        z0,
        ys,
      );
    };
    return enumLogDensity(hmm, [tensor(DATA)], {}, { maxPlateNesting: 0 }).logJoint;
  });
  return values(logJoint);
}

describe.skipIf(!webgpu)("enumeration on WebGPU vs cpu", () => {
  // float32 on both sides; WGSL's exp/log are a few ulp from correctly rounded, and the
  // loss (≈ 30) sums a dozen logsumexp terms: 1e-5 relative is ~100 ulp of slack, while a
  // dropped factor or a wrong enumeration dim changes the loss at O(1).
  it("the mixture's TraceEnumELBO loss and gradient agree", async () => {
    const gpu = await mixtureLossAndGrad(webgpu!);
    const cpu = await mixtureLossAndGrad(cpuBackend());
    expect(compare(gpu.loss, cpu.loss).rel).toBeLessThan(1e-5);
    expect(compare(gpu.grad, cpu.grad).rel).toBeLessThan(1e-4);
  }, 120_000);

  it("an HMM's marginal likelihood through an enumerated scan agrees", async () => {
    const gpu = await hmmLogLik(webgpu!);
    const cpu = await hmmLogLik(cpuBackend());
    expect(compare(gpu, cpu).rel).toBeLessThan(1e-5);
  }, 120_000);
});
