// `scan` without enumeration: the steps run one after another, each site is recorded once
// with a leading time axis, outer `substitute` values are sliced per step, and NUTS samples
// a Gaussian random walk whose posterior (a Gaussian with tridiagonal precision) is solved
// here by hand.
import { key, sample, scan, seed, type Tensor, tensor, trace } from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import { latentLayout, logDensity, MCMC, modelPotentialEnergy, NUTS } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const lnorm = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

/** x_t ~ N(x_{t−1}, 1) from x_0 = 0; y_t ~ N(x_t, 0.5) observed. */
const walk = (ys: Tensor | null, length: number) =>
  scan(
    (prev: Tensor, y: Tensor | undefined) => {
      const x = sample("x", new Normal(prev, 1));
      sample("y", new Normal(x, 0.5), { obs: y ?? null });
      return [x, x.mul(2)] as const;
    },
    tensor(0),
    ys,
    { length },
  );

describe("scan, run step by step", () => {
  it("records each site once with a time axis, and stacks the outputs", () => {
    const ys = tensor([0.3, 1.1, 0.7, 1.9, 2.4]);
    const { value, trace: tr } = trace(seed(() => walk(ys, 5), 0)).run();
    const x = tr.get("x")!.value!;
    expect(x.shape).toEqual([5]);
    expect(tr.get("y")!.value!.shape).toEqual([5]);
    const [last, doubled] = value;
    const xs = Array.from(x.dataSync());
    expect(last.item()).toBeCloseTo(xs[4]!, 6);
    expect(Array.from(doubled!.dataSync())).toEqual(xs.map((v) => Math.fround(2 * v)));
    // Same seed, same draws; the draws differ between steps.
    expect(
      Array.from(
        trace(seed(() => walk(ys, 5), 0))
          .getTrace()
          .get("x")!
          .value!.dataSync(),
      ),
    ).toEqual(xs);
    expect(new Set(xs).size).toBe(5);
  });

  it("a substituted series is sliced per step; the log-density is the sum written out by hand", () => {
    const ys = [0.3, 1.1, 0.7, 1.9];
    const xs = [0.5, 0.9, 1.2, 2.0];
    const { logJoint, trace: tr } = logDensity(() => walk(tensor(ys), 4), [], { x: tensor(xs) });
    let expected = 0;
    xs.forEach((x, t) => {
      expected += lnorm(x, t === 0 ? 0 : xs[t - 1]!, 1) + lnorm(ys[t]!, x, 0.5);
    });
    expect(logJoint.item()).toBeCloseTo(expected, 4); // float32 sums of 8 terms
    expect(Array.from(tr.get("x")!.value!.dataSync())).toEqual(xs.map(Math.fround));
  });

  it("NUTS on a scanned random walk matches the exact Gaussian posterior", { timeout: 120_000 }, async () => {
    const ys = [0.3, 1.1, 0.7, 1.9];
    const T = ys.length;
    const model = (y: Tensor) => {
      walk(y, T);
    };
    const mcmc = new MCMC(new NUTS({ model }), { numWarmup: 300, numSamples: 800, progressBar: false });
    await mcmc.run(key(2), tensor(ys));
    const draws = await mcmc.getSamples().x!.data(); // [800, T]
    // Precision Q = D'D + 4 I (D the first-difference operator from x_0 = 0), b = 4 y.
    const q = Array.from({ length: T }, (_, i) =>
      Array.from({ length: T }, (_, j) =>
        i === j ? (i < T - 1 ? 2 : 1) + 4 : Math.abs(i - j) === 1 ? -1 : 0,
      ),
    );
    const b = ys.map((v) => 4 * v);
    // Gaussian elimination (Q is symmetric positive definite).
    const a = q.map((r, i) => [...r, b[i]!]);
    for (let i = 0; i < T; i++)
      for (let k = i + 1; k < T; k++) {
        const f = a[k]![i]! / a[i]![i]!;
        for (let j = i; j <= T; j++) a[k]![j]! -= f * a[i]![j]!;
      }
    const mean = new Array<number>(T).fill(0);
    for (let i = T - 1; i >= 0; i--) {
      let s = a[i]![T]!;
      for (let j = i + 1; j < T; j++) s -= a[i]![j]! * mean[j]!;
      mean[i] = s / a[i]![i]!;
    }
    // Posterior sds are ≈ 0.4; 800 draws with ESS ≥ 200 give an MC error ≤ 0.03: 0.12 is 4 of them.
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let i = 0; i < 800; i++) m += draws[i * T + t]! / 800;
      expect(Math.abs(m - mean[t]!)).toBeLessThan(0.12);
    }
  });

  it("the HMC potential of a constrained scanned site adds each step's log-Jacobian once", () => {
    // s_t ~ LogNormal(log s_{t−1}, 0.5) from s_0 = 1: with s = exp(u), log p(s) + log|ds/du|
    // = Σ_t log N(u_t | u_{t−1}, 0.5) (the −log s_t of the density cancels the Jacobian u_t).
    const T = 6;
    const model = () =>
      scan(
        (prev: Tensor, _x: undefined) => {
          const s = sample("s", new LogNormal(prev.log(), 0.5));
          return [s, null] as const;
        },
        tensor(1),
        null,
        { length: T },
      );
    const layout = latentLayout(model, []);
    expect(layout.map((l) => [l.name, l.shape])).toEqual([["s", [T]]]);
    const u = [0.3, -0.2, 0.5, 0.9, 0.1, -0.4];
    const energy = modelPotentialEnergy(model, [], layout, [tensor(u)]).item();
    const expected = -u.reduce((a, x, t) => a + lnorm(x, t === 0 ? 0 : u[t - 1]!, 0.5), 0);
    expect(energy).toBeCloseTo(expected, 4); // float32
  });
});
