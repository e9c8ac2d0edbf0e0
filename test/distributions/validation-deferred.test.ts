import {
  exp,
  flushChecks,
  key,
  liveBuffers,
  pendingChecks,
  plate,
  sample,
  scope,
  seed,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import {
  AffineTransform,
  ComposeTransform,
  ExpTransform,
  MultivariateNormal,
  NegativeBinomial2,
  Normal,
  PowerTransform,
  positiveDefinite,
  TransformedDistribution,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

/**
 * Validation without synchronous reads (issue 12, item 1), on the cpu. The WebGPU twin of the
 * model case is test/webgpu/validation-site.test.ts: both expect the same text.
 */
const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });

/** The message both backends must give for Normal(0, -1) at site 'x'. */
const SITE_X_MESSAGE = "site 'x': Normal: argument 'scale' must satisfy positive, but scale = -1";

describe("validation inside a model names the site, at the first readback", () => {
  for (const [label, scale] of [
    ["a number", () => -1],
    ["a scalar tensor", () => tensor(-1)],
  ] as const) {
    it(`Normal(0, -1) with ${label}`, async () => {
      const model = () => {
        const z = sample("z", new Normal(0, 1));
        return sample("x", new Normal(0, scale()), { obs: z });
      };
      // Running the model reads nothing back, so nothing is thrown yet.
      const tr = trace(seed(model, key(0))).getTrace();
      expect(pendingChecks()).toBeGreaterThan(0);
      await expect(tr.get("z")!.value!.data()).rejects.toThrow(SITE_X_MESSAGE);
      expect(pendingChecks()).toBe(0);
    });
  }

  it("names the site inside a plate, with the index of the bad element", () => {
    const model = () =>
      plate("cells", 3, () =>
        sample("counts", new NegativeBinomial2(f64([1, 2, 3]), f64([1, -0.5, 2])), { obs: f64([0, 1, 2]) }),
      );
    const tr = trace(model).getTrace();
    expect(() => tr.get("counts")!.value!.dataSync()).toThrow(
      "site 'counts': NegativeBinomial2: argument 'concentration' must satisfy positive, but concentration[1] = -0.5",
    );
  });

  it("valid models leave no check and no buffer behind", async () => {
    const model = () => sample("x", new Normal(tensor([0, 1]), tensor([1, 2])));
    const before = liveBuffers();
    for (let i = 0; i < 3; i++) {
      const v = scope(
        () =>
          trace(seed(model, key(i)))
            .getTrace()
            .get("x")!.value!,
      );
      await v.data();
      v.dispose();
    }
    expect(pendingChecks()).toBe(0);
    expect(liveBuffers()).toBe(before);
  });
});

describe("validation outside a model", () => {
  it("throws at once for values in memory (cpu), as before", () => {
    expect(() => new Normal(0, -2)).toThrow("Normal: argument 'scale' must satisfy positive, but scale = -2");
    expect(() => new Normal(f64([0, 0]), f64([1, -3]))).toThrow(
      "Normal: argument 'scale' must satisfy positive, but scale[1] = -3",
    );
  });

  it("defers a large pending expression to the readback, where its check rides along", () => {
    // 300 × 300 = 90,000 elements, over the eager limit: computed lazily, checked in the sum's pass.
    const logScale = f64(
      Array.from({ length: 90_000 }, (_, i) => (i === 7 ? Number.NEGATIVE_INFINITY : 0)),
      [300, 300],
    );
    const lp = new Normal(0, exp(logScale)).logProb(f64([0.5])).sum(); // scale[0, 7] = e^−∞ = 0
    expect(pendingChecks()).toBe(1);
    expect(() => lp.item()).toThrow("Normal: argument 'scale' must satisfy positive, but scale[0, 7] = 0");
    expect(pendingChecks()).toBe(0);
  });
});

describe("structured checks and transform signs without readback", () => {
  it("positiveDefinite from Cholesky pivots agrees with the eigenvalues", () => {
    // 2 × 2 symmetric [[a, b], [b, c]] is PD iff a > 0 and ac − b² > 0 (both eigenvalues > 0).
    const cases = [
      [2, 1, 2],
      [1, 2, 1],
      [1, 0, 1e-9],
      [0, 0, 1],
      [-1, 0, -1],
      [4, 1.99, 1],
    ];
    const m = f64(
      cases.flatMap(([a, b, c]) => [a!, b!, b!, c!]),
      [cases.length, 2, 2],
    );
    const expected = cases.map(([a, b, c]) => a! > 0 && a! * c! - b! * b! > 0);
    expect(Array.from(positiveDefinite.check(m).dataSync()).map(Boolean)).toEqual(expected);
    // 3 × 3: the [[2, -1, 0], [-1, 2, -1], [0, -1, 2]] Laplacian is PD (eigenvalues 2 − √2, 2, 2 + √2);
    // with 1 on the diagonal it is not (eigenvalue 1 − √2 < 0).
    const lap = (d: number) => [d, -1, 0, -1, d, -1, 0, -1, d];
    expect(
      Array.from(positiveDefinite.check(f64([...lap(2), ...lap(1)], [2, 3, 3])).dataSync()).map(Boolean),
    ).toEqual([true, false]);
    expect(
      () => new MultivariateNormal(f64([0, 0]), { covarianceMatrix: f64([1, 2, 2, 1], [2, 2]) }),
    ).toThrow(
      /argument 'covarianceMatrix' must satisfy positiveDefinite, but covarianceMatrix = \[1, 2, 2, 1\]/,
    );
  });

  it("a tensor scale's sign is elementwise: the cdf flips where the scale is negative", () => {
    const scale = f64([2, -2]);
    const d = new TransformedDistribution(new Normal(f64([0, 0]), f64([1, 1])), [
      new AffineTransform(1, scale),
    ]);
    const x = f64([2, 2]);
    // y = 1 + s·z: P(y ≤ 2) = Φ(1/2) for s = 2 and P(z ≥ −1/2) = Φ(1/2) for s = −2.
    const phiHalf = 0.6914624612740131; // Φ(0.5), scipy.stats.norm.cdf(0.5)
    const c = d.cdf(x).dataSync();
    expect(c[0]).toBeCloseTo(phiHalf, 12);
    expect(c[1]).toBeCloseTo(phiHalf, 12);
    const q = d.icdf(f64([phiHalf, phiHalf])).dataSync();
    expect(q[0]).toBeCloseTo(2, 10);
    expect(q[1]).toBeCloseTo(2, 10);
    expect(() => new AffineTransform(0, scale).sign).toThrow(
      "AffineTransform: the sign of a tensor scale is elementwise; use signOf()",
    );
    expect(
      Array.from(
        (
          new ComposeTransform([new ExpTransform(), new PowerTransform(f64([2, -1]))]).signOf() as Tensor
        ).dataSync(),
      ),
    ).toEqual([1, -1]);
    expect(new AffineTransform(0, -3).signOf()).toBe(-1);
  });

  it("flushChecks resolves when nothing is pending", async () => {
    await expect(flushChecks()).resolves.toBeUndefined();
  });
});
