import {
  type Backend,
  cpuBackend,
  key,
  plate,
  random,
  sample,
  type Tensor,
  tensor,
  withBackend,
} from "@scribe/core";
import { Beta, Dirichlet, Normal } from "@scribe/distributions";
import { AutoLaplaceApproximation, adam, collectDraws, SVI, TraceELBO } from "@scribe/infer";
import { encodeTensor, encodeTensorAsync, factorMode, jacobianMode, TransformedNormal } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";

/**
 * Issue 12: the APIs that used to read synchronously (MAP modes, tensor encoding, the Laplace
 * Hessian, collectDraws) now compute on the tensors' backend without a readback, or read with
 * one `await`. Each runs on the cpu and, where an adapter exists, on WebGPU, against an
 * independent reference: the float64 scalar jacobianMode, closed-form Beta/Dirichlet modes,
 * the exact Hessian of a Gaussian model, the cpu's bytes.
 */
const MU = [-2, -0.3, 0, 0.4, 1.5, 3];
const SD = [0.2, 0.5, 1, 1.5, 2.5, 0.8];

async function vals(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

function backends(): [string, Backend][] {
  return webgpu
    ? [
        ["cpu", cpuBackend()],
        ["webgpu", webgpu],
      ]
    : [["cpu", cpuBackend()]];
}

describe("readback-free MAP, encoding, Laplace and collectDraws", () => {
  for (const [name, be] of backends()) {
    it(`${name}: sigmoid/softplus Jacobian-corrected modes match the float64 scalar search`, {
      timeout: 120_000,
    }, async () => {
      for (const t of ["sigmoid", "softplus"] as const) {
        const mode = withBackend(be, () => factorMode(new TransformedNormal(tensor(MU), tensor(SD), t)));
        const got = await vals(mode);
        MU.forEach((m, i) => {
          const x = jacobianMode(m, SD[i]!, t);
          const want = t === "sigmoid" ? 1 / (1 + Math.exp(-x)) : Math.log1p(Math.exp(x));
          // float32 Newton on the device: the mode to ~1e-5 relative
          expect(Math.abs(got[i]! - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        });
      }
    });

    it(`${name}: Beta and Dirichlet modes in closed form`, { timeout: 120_000 }, async () => {
      const a = [3, 0.5, 2, 0.7];
      const b = [2, 4, 0.5, 0.6];
      const beta = await vals(withBackend(be, () => factorMode(new Beta(tensor(a), tensor(b)))));
      expect(beta[0]).toBeCloseTo(2 / 3, 5); // (a−1)/(a+b−2)
      // a boundary mode (one concentration ≤ 1) is the mean a/(a+b) under useMean (the default)
      expect(beta[1]).toBeCloseTo(0.5 / 4.5, 5);
      expect(beta[2]).toBeCloseTo(2 / 2.5, 5);
      expect(beta[3]).toBeCloseTo(0.7 / 1.3, 5); // both ≤ 1: the mean
      const exact = await vals(
        withBackend(be, () => factorMode(new Beta(tensor(a), tensor(b)), { useMean: false })),
      );
      expect(exact[0]).toBeCloseTo(2 / 3, 5);
      expect(exact[1]).toBe(0);
      expect(exact[2]).toBe(1);
      expect(Number.isNaN(exact[3])).toBe(true); // both ≤ 1: no mode
      const dir = await vals(withBackend(be, () => factorMode(new Dirichlet(tensor([2, 3, 5])))));
      [1 / 7, 2 / 7, 4 / 7].forEach((w, i) => void expect(dir[i]).toBeCloseTo(w, 5));
    });

    it(`${name}: encodeTensorAsync writes the cpu's bytes`, { timeout: 120_000 }, async () => {
      const v = [1.5, -2.25, 3e-8, 7];
      const e = await encodeTensorAsync(withBackend(be, () => tensor(v)));
      expect(e).toEqual(encodeTensor(tensor(v)));
    });

    it(`${name}: the Laplace Hessian and covariance of a Gaussian model are exact`, {
      timeout: 120_000,
    }, async () => {
      // a ~ N(0, 1), 3 obs N(a, 1): H = 4; b ~ N(0, 2), 1 obs N(b, 0.5): H = 1/4 + 4 = 4.25
      const model = () => {
        const a = sample("a", new Normal(0, 1));
        const b = sample("b", new Normal(0, 2));
        plate("n", 3, () => sample("ya", new Normal(a, 1), { obs: tensor([0.5, 1, 2]) }));
        sample("yb", new Normal(b, 0.5), { obs: tensor(1) });
      };
      const g = new AutoLaplaceApproximation(model);
      const svi = new SVI(model, g, adam(0.01), new TraceELBO());
      const params = withBackend(be, () => svi.getParams(svi.init(key(0), [])));
      const h = await g.hessianAsync(params, []);
      const want = [4, 0, 0, 4.25];
      // float64 central differences on the cpu; float32 with a 1e-2 step on WebGPU
      want.forEach((w, i) => void expect(Math.abs(h[i]! - w)).toBeLessThan(1e-3));
      const L = await vals(withBackend(be, () => g.getPosterior(params, []).scaleTril));
      expect(L[0]).toBeCloseTo(1 / 2, 4);
      expect(L[3]).toBeCloseTo(1 / Math.sqrt(4.25), 4);
    });

    it(`${name}: collectDraws stacks 7 draws in chunks of 3 as the draws give them`, {
      timeout: 120_000,
    }, async () => {
      const out = withBackend(be, () =>
        collectDraws(7, 3, (i) => ({ y: random.normal(key(i), [2]), i: tensor([i]) })),
      );
      expect(out.y!.shape).toEqual([7, 2]);
      expect(out.y!.backend).toBe(be);
      expect(await vals(out.i!)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const ref = Array.from({ length: 7 }, (_, i) =>
        Array.from(random.normal(key(i), [2]).dataSync(), Number),
      ).flat();
      const got = await vals(out.y!);
      ref.forEach((r, j) => void expect(Math.abs(got[j]! - r)).toBeLessThan(1e-5)); // same Threefry bits
    });
  }
});
