/**
 * Numeric edge cases of issue 21 against mpmath references (60 digits) in
 * test/fixtures/numeric-edges/refs.json. Regenerate with
 * `python3 test/fixtures/numeric-edges/generate.py` (python3-mpmath from Debian).
 *
 * Tolerances: float64 cases 1e-13 relative (a few dozen ulp: log/log1p of a few terms);
 * float32 cases 2e-6 relative (the value is rounded to float32, 6e-8, plus a few roundings of
 * float32 parameters inside the expression).
 */
import { readFileSync } from "node:fs";
import { type DType, grad, type Tensor, tensor } from "@scribe/core";
import { CategoricalLogits, Cauchy, Gamma, HalfCauchy, Poisson, Uniform } from "@scribe/distributions";
import { describe, expect, it } from "vitest";

type Case = Record<string, string> & { dtype: DType; ref: string };
interface Refs {
  cauchy: Case[];
  halfCauchy: Case[];
  uniform: Case[];
  poisson: Case[];
  categoricalLogits: { dtype: DType; logits: string[]; ref: string[] }[];
}
const refs: Refs = JSON.parse(
  readFileSync(new URL("../fixtures/numeric-edges/refs.json", import.meta.url), "utf8"),
);

const tol = (dtype: DType) => (dtype === "float64" ? 1e-13 : 2e-6);
const t = (v: string, dtype: DType) => tensor([Number(v)], { dtype });

async function expectClose(actual: Tensor, expected: readonly number[], rtol: number, what: string) {
  const got = Array.from(await actual.data());
  expect(got.length, what).toBe(expected.length);
  got.forEach((g, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e)) {
      expect(g, `${what}[${i}]`).toBe(e);
      return;
    }
    const rel = Math.abs(g - e) / Math.abs(e);
    expect(rel, `${what}[${i}]: got ${g}, mpmath ${e}`).toBeLessThanOrEqual(rtol);
  });
}

describe("numeric edges vs mpmath: location-scale densities that must not overflow", () => {
  it("Cauchy when (x − loc)/scale overflows", async () => {
    for (const c of refs.cauchy) {
      const d = new Cauchy(t(c.loc!, c.dtype), t(c.scale!, c.dtype));
      await expectClose(
        d.logProb(t(c.x!, c.dtype)),
        [Number(c.ref)],
        tol(c.dtype),
        `Cauchy ${JSON.stringify(c)}`,
      );
    }
  });

  it("HalfCauchy when x/scale overflows", async () => {
    for (const c of refs.halfCauchy) {
      const d = new HalfCauchy(t(c.scale!, c.dtype));
      await expectClose(
        d.logProb(t(c.x!, c.dtype)),
        [Number(c.ref)],
        tol(c.dtype),
        `HalfCauchy ${JSON.stringify(c)}`,
      );
    }
  });

  it("Uniform when high − low overflows (log-density and entropy)", async () => {
    for (const c of refs.uniform) {
      const d = new Uniform(t(c.low!, c.dtype), t(c.high!, c.dtype));
      await expectClose(
        d.logProb(t(c.x!, c.dtype)),
        [Number(c.ref)],
        tol(c.dtype),
        `Uniform ${JSON.stringify(c)}`,
      );
      await expectClose(d.entropy(), [-Number(c.ref)], tol(c.dtype), `Uniform entropy ${JSON.stringify(c)}`);
    }
  });

  it("Cauchy's gradient in x matches the closed form −2d/(scale² + d²), also at |d| = scale", async () => {
    // the max/min of the hypot form tie at |d| = scale; the tie must share the cotangent
    for (const [x, loc, scale] of [
      [3, 1, 2],
      [-1, 1, 2],
      [1e200, 0, 1e-100],
    ] as const) {
      const g = grad((v: Tensor) =>
        new Cauchy(tensor([loc], { dtype: "float64" }), tensor([scale], { dtype: "float64" }))
          .logProb(v)
          .sum(),
      )(tensor([x], { dtype: "float64" }));
      const d = x - loc;
      // −2d/(s² + d²) written as −2/(d (1 + (s/d)²)) so the huge case does not overflow
      await expectClose(g, [-2 / (d * (1 + (scale / d) ** 2))], 1e-14, `dCauchy/dx at ${x}`);
    }
  });
});

describe("numeric edges vs mpmath: Poisson at large counts (Stirling-difference form)", () => {
  it("log-pmf keeps full relative accuracy up to rate = k = 1e15", async () => {
    for (const c of refs.poisson) {
      const d = new Poisson(t(c.rate!, c.dtype));
      await expectClose(
        d.logProb(t(c.k!, c.dtype)),
        [Number(c.ref)],
        tol(c.dtype),
        `Poisson ${JSON.stringify(c)}`,
      );
    }
  });

  it("gradient in the rate is k/λ − 1 on both sides of the switch and in both bd0 branches", async () => {
    for (const [k, rate] of [
      [49, 49.5],
      [50, 49.5],
      [1e15, 1e15 + 1e7],
      [1e6, 2e6],
    ] as const) {
      const g = grad((r: Tensor) => new Poisson(r).logProb(tensor([k], { dtype: "float64" })).sum())(
        tensor([rate], { dtype: "float64" }),
      );
      const expected = (k - rate) / rate;
      const got = (await g.data())[0]!;
      // absolute: k/λ − 1 itself cancels when k ≈ λ
      expect(Math.abs(got - expected), `dPoisson/drate at k=${k}, rate=${rate}`).toBeLessThan(1e-12);
    }
  });
});

describe("numeric edges vs mpmath: CategoricalLogits log-softmax", () => {
  it("keeps tiny log-probabilities of the largest logit (and every other entry)", async () => {
    for (const c of refs.categoricalLogits) {
      const d = new CategoricalLogits(tensor(c.logits.map(Number), { dtype: c.dtype }));
      const k = c.logits.length;
      const lp = d.logProb(
        tensor(
          Array.from({ length: k }, (_, i) => i),
          { dtype: "int32" },
        ),
      );
      await expectClose(lp, c.ref.map(Number), tol(c.dtype), `CategoricalLogits ${c.logits}`);
      await expectClose(d.normalizedLogits, c.ref.map(Number), tol(c.dtype), `normalizedLogits ${c.logits}`);
    }
  });

  it("gradient is one-hot minus softmax, ties included", async () => {
    for (const logits of [
      [100, 60, 99],
      [5, 5, -35],
      [0.3, -1.2, 2.0, 2.0],
    ]) {
      for (let k = 0; k < logits.length; k++) {
        const g = grad((l: Tensor) =>
          new CategoricalLogits(l).logProb(tensor([k], { dtype: "int32" })).sum(),
        )(tensor(logits, { dtype: "float64" }));
        const m = Math.max(...logits);
        const z = logits.reduce((s, v) => s + Math.exp(v - m), 0);
        const expected = logits.map((v, i) => (i === k ? 1 : 0) - Math.exp(v - m) / z);
        const got = Array.from(await g.data());
        for (const [i, v] of got.entries()) {
          expect(Math.abs(v - expected[i]!), `d/dlogit ${i}, k=${k}, ${logits}`).toBeLessThan(1e-14);
        }
      }
    }
  });
});

describe("Gamma(a ≤ 1) at x = 0: NumPyro's semantics", () => {
  // NumPyro's Gamma.log_prob is xlogy(a − 1, x) − rate·x − (gammaln(a) − a·log rate), wrapped in
  // @validate_sample: without validation it returns that formula at x = 0 (+∞ for a < 1, log rate
  // for a = 1); with validation it puts −∞ outside the support, which is x > 0 (constraints.positive).
  it("without validation: the formula's value", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor([0], { dtype });
      await expectClose(
        new Gamma(tensor([0.5], { dtype }), tensor([2], { dtype }), false).logProb(x),
        [Infinity],
        0,
        "a=0.5",
      );
      await expectClose(
        new Gamma(tensor([1], { dtype }), tensor([2], { dtype }), false).logProb(x),
        [Math.log(2)],
        tol(dtype),
        "a=1",
      );
      // a > 1: (a − 1)·log 0 = −∞
      await expectClose(
        new Gamma(tensor([2.5], { dtype }), tensor([2], { dtype }), false).logProb(x),
        [-Infinity],
        0,
        "a=2.5",
      );
    }
  });

  it("with validation: −∞ outside the support x > 0, as NumPyro's validate_sample", async () => {
    const x = tensor([0], { dtype: "float64" });
    await expectClose(
      new Gamma(tensor([0.5], { dtype: "float64" }), tensor([2], { dtype: "float64" }), true).logProb(x),
      [-Infinity],
      0,
      "a=0.5",
    );
    await expectClose(
      new Gamma(tensor([1], { dtype: "float64" }), tensor([2], { dtype: "float64" }), true).logProb(x),
      [-Infinity],
      0,
      "a=1",
    );
  });
});
