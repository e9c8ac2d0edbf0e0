// Issue 22, item 6: TransformedDistribution draws through each transform's draw map
// (Transform.drawForward: core's portable exp/log/log1p/expm1/sigmoid/softplus/tanh, and pow
// by products or portable exp/log), so one key gives the same bits in every JavaScript engine.
// The stored stream (test/fixtures/draw-stream.json, "transformed …" cases) pins the bits and
// test/deno/draw-stream.ts compares Deno with it; here, under Node: the draw maps are the same
// maps as forward/inverse (to a few ulp), have the same gradients, and do not call Math's
// engine-dependent functions at all (checked by perturbing them).
import { grad, key, type Tensor, tensor } from "@scribe/core";
import {
  AffineTransform,
  Beta,
  ComposeTransform,
  CorrCholeskyTransform,
  ExpTransform,
  LowerCholeskyTransform,
  Normal,
  OrderedTransform,
  PowerTransform,
  SigmoidTransform,
  SoftplusTransform,
  StickBreakingTransform,
  type Transform,
  TransformedDistribution,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });

/** A seeded linear congruential generator for test points (independent of the library). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

interface Case {
  name: string;
  transform: Transform;
  /** Points of the domain, shape [n, ...event]. */
  x: Tensor;
  /** The `floor` of {@link ulps} for the forward map: 1 where its values cross 0 or are bounded by 1. */
  floor?: number;
}

const rnd = lcg(2026);
const reals = (n: number, width: number) => Array.from({ length: n }, () => (rnd() - 0.5) * width);

const cases = (): Case[] => [
  { name: "exp", transform: new ExpTransform(), x: f64(reals(200, 40)) },
  { name: "sigmoid", transform: new SigmoidTransform(), x: f64(reals(200, 60)) },
  { name: "softplus", transform: new SoftplusTransform(), x: f64(reals(200, 60)) },
  {
    name: "power 1.7",
    transform: new PowerTransform(1.7),
    x: f64(reals(200, 10).map((v) => Math.abs(v) + 0.01)),
  },
  {
    name: "power -3",
    transform: new PowerTransform(-3),
    x: f64(reals(200, 10).map((v) => Math.abs(v) + 0.01)),
  },
  {
    name: "power 0.5",
    transform: new PowerTransform(0.5),
    x: f64(reals(200, 10).map((v) => Math.abs(v) + 0.01)),
  },
  {
    name: "power tensor",
    transform: new PowerTransform(f64([0.3, 2.5])),
    x: f64(
      reals(200, 10).map((v) => Math.abs(v) + 0.01),
      [100, 2],
    ),
  },
  { name: "stick-breaking", transform: new StickBreakingTransform(), x: f64(reals(120, 6), [40, 3]) },
  { name: "lower-cholesky", transform: new LowerCholeskyTransform(), x: f64(reals(120, 4), [20, 6]) },
  // entries in [−1, 1]; sqrt(1 − tanh²) amplifies tanh's last-bit differences near ±1
  { name: "corr-cholesky", transform: new CorrCholeskyTransform(), x: f64(reals(120, 4), [40, 3]), floor: 1 },
  { name: "ordered", transform: new OrderedTransform(), x: f64(reals(120, 6), [30, 4]) },
  {
    name: "compose exp, affine",
    transform: new ComposeTransform([new ExpTransform(), new AffineTransform(1, 2)]),
    x: f64(reals(200, 20)),
  },
  // inverses: the draw map is the base's draw inverse
  {
    name: "sigmoid inverse",
    transform: new SigmoidTransform().inv,
    x: f64(reals(200, 1).map((v) => v + 0.5)),
    floor: 1,
  },
  {
    name: "softplus inverse",
    transform: new SoftplusTransform().inv,
    x: f64(reals(200, 8).map((v) => Math.abs(v) + 1e-3)),
    floor: 1,
  },
];

/**
 * |a − b| in units of eps·(|b| + floor): relative, except near a zero crossing of a map that
 * cancels terms of size `floor` there (logit at ½, softplus⁻¹ at log 2, any inverse map onto
 * the reals), where the rounding error is that of the terms.
 */
function ulps(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / ((Math.abs(b[i]!) + floor) * Number.EPSILON));
  }
  return worst;
}

describe("Transform.drawForward / drawInverse", () => {
  it("compute the same maps as forward / inverse (float64, within 4 ulp)", async () => {
    // Both evaluate one formula, with portable math or the engine's; each elementary function
    // is within 2 ulp of Math's (test/core/draw-stream.test.ts) and a map chains a few, so a
    // few ulp (measured worst: 2.7, stick-breaking). Power's exp(p·log x) path adds
    // |p·log x|·2⁻⁵³ (measured 2.3 ulp here). The inverse maps land on the reals: floor 1.
    for (const c of cases()) {
      const engine = await c.transform.forward(c.x).data();
      const draw = await c.transform.drawForward(c.x).data();
      expect([c.name, "forward", ulps(draw, engine, c.floor ?? 0) <= 4]).toEqual([c.name, "forward", true]);
      const y = c.transform.forward(c.x);
      const back = await c.transform.drawInverse(y).data();
      const backEngine = await c.transform.inverse(y).data();
      expect([c.name, "inverse", ulps(back, backEngine, 1) <= 4]).toEqual([c.name, "inverse", true]);
    }
  });

  it("rsample's gradient through the draw map equals the gradient through forward (1e-12 relative)", async () => {
    // d/dloc Σ f(loc + z): the draw path (rsample) against forward applied to the same base draws
    const z = new Normal(f64([0]), f64([1])).sample(key(5), [50]);
    for (const t of [
      new ExpTransform(),
      new SigmoidTransform(),
      new SoftplusTransform(),
      new PowerTransform(1.7),
    ]) {
      const base = t instanceof PowerTransform ? 2 : 0.3;
      const viaDraw = grad((p: { loc: Tensor }) =>
        new TransformedDistribution(new Normal(p.loc, f64([0.4])), t).rsample(key(5), [50]).sum(),
      )({ loc: f64([base]) }).loc;
      const viaForward = grad((p: { loc: Tensor }) => t.forward(z.mul(0.4).add(p.loc)).sum())({
        loc: f64([base]),
      }).loc;
      const [a, b] = [(await viaDraw.data())[0]!, (await viaForward.data())[0]!];
      expect([t.toString(), Math.abs(a - b) <= 1e-12 * Math.abs(b)]).toEqual([t.toString(), true]);
    }
  });
});

describe("TransformedDistribution draws", () => {
  /** Math's engine-approximated functions, each made 2⁻⁵⁰ relative larger, while `f` runs. */
  function withPerturbedMath<T>(f: () => T): T {
    const names = ["exp", "log", "log1p", "expm1", "tanh", "pow"] as const;
    const saved = names.map((n) => Math[n]);
    names.forEach((n, i) => {
      const orig = saved[i] as (...a: number[]) => number;
      (Math as unknown as Record<string, (...a: number[]) => number>)[n] = (...a: number[]) =>
        orig(...a) * (1 + 2 ** -50);
    });
    try {
      return f();
    } finally {
      names.forEach((n, i) => {
        (Math as unknown as Record<string, unknown>)[n] = saved[i];
      });
    }
  }

  const draws = (): Record<string, number[]> => {
    const vec = (n: number, s: number) => new Normal(f64(new Array<number>(n).fill(0)), f64([s])).toEvent(1);
    const dists: [string, TransformedDistribution][] = [
      ["exp", new TransformedDistribution(new Normal(f64([0.3]), f64([1.7])), new ExpTransform())],
      ["sigmoid", new TransformedDistribution(new Normal(f64([0.5]), f64([2])), new SigmoidTransform())],
      ["softplus", new TransformedDistribution(new Normal(f64([-1]), f64([3])), new SoftplusTransform())],
      ["power", new TransformedDistribution(new Normal(f64([2]), f64([0.1])), new PowerTransform(1.7))],
      ["logit", new TransformedDistribution(new Beta(f64([2]), f64([3])), new SigmoidTransform().inv)],
      ["stick-breaking", new TransformedDistribution(vec(3, 1.5), new StickBreakingTransform())],
      ["lower-cholesky", new TransformedDistribution(vec(6, 1), new LowerCholeskyTransform())],
      ["corr-cholesky", new TransformedDistribution(vec(3, 1.2), new CorrCholeskyTransform())],
      ["ordered", new TransformedDistribution(vec(4, 2), new OrderedTransform())],
    ];
    // 64 draws each: small enough that the cpu backend stays on this thread (its worker
    // threads have their own, unperturbed Math)
    return Object.fromEntries(dists.map(([n, d]) => [n, Array.from(d.sample(key(9), [64]).dataSync())]));
  };

  it("do not call Math's engine-dependent functions: perturbing them leaves every draw's bits unchanged", () => {
    const plain = draws();
    const perturbed = withPerturbedMath(draws);
    for (const name of Object.keys(plain))
      expect([name, perturbed[name]!.every((v, i) => Object.is(v, plain[name]![i]))]).toEqual([name, true]);
    // the perturbation is seen by the engine's maps, so the check above can fail
    const x = f64(reals(64, 8));
    const engine = Array.from(new SigmoidTransform().forward(x).dataSync());
    const enginePerturbedRun = withPerturbedMath(() =>
      Array.from(new SigmoidTransform().forward(x).dataSync()),
    );
    expect(enginePerturbedRun.some((v, i) => v !== engine[i])).toBe(true);
  });
});
