import { type Tensor, tensor } from "@scribe/core";
import {
  AffineTransform,
  bijectTo,
  ComposeTransform,
  type Constraint,
  corrCholesky,
  ExpTransform,
  greaterThan,
  greaterThanEq,
  independent,
  interval,
  lessThan,
  lowerCholesky,
  nonnegative,
  orderedVector,
  PowerTransform,
  positive,
  positiveDefinite,
  real,
  realVector,
  SigmoidTransform,
  SoftplusTransform,
  simplex,
  type Transform,
  unitInterval,
} from "@scribe/distributions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });

/** log |det A| by Gaussian elimination with partial pivoting. */
function logAbsDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  const n = m.length;
  let s = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    s += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / piv;
      for (let k = c; k < n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return s;
}

/** Output coordinates that are free (the Jacobian is square in them). */
type Project = (y: ArrayLike<number>) => number[];
const lowerIdx = (n: number, strict: boolean): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < (strict ? i : i + 1); j++) out.push(i * n + j);
  return out;
};

interface TCase {
  name: string;
  c: Constraint;
  /** One unconstrained input event. */
  x: number[];
  project: Project;
}

const all: Project = (y) => Array.from(y);
const CASES: TCase[] = [
  { name: "real", c: real, x: [0.3], project: all },
  { name: "realVector", c: realVector, x: [0.3, -1.2], project: all },
  { name: "positive", c: positive, x: [0.4], project: all },
  { name: "nonnegative", c: nonnegative, x: [-0.4], project: all },
  { name: "greaterThan(2)", c: greaterThan(2), x: [0.7], project: all },
  { name: "greaterThanEq(-1)", c: greaterThanEq(-1), x: [0.7], project: all },
  { name: "lessThan(3)", c: lessThan(3), x: [0.7], project: all },
  { name: "unitInterval", c: unitInterval, x: [-0.6], project: all },
  { name: "interval(-2, 5)", c: interval(-2, 5), x: [1.1], project: all },
  { name: "interval(tensor)", c: interval(f64([-2], []), f64([5], [])), x: [1.1], project: all },
  { name: "independent(positive, 1)", c: independent(positive, 1), x: [0.1, -0.5, 2], project: all },
  { name: "simplex", c: simplex, x: [0.5, -1, 2], project: (y) => Array.from(y).slice(0, -1) },
  { name: "orderedVector", c: orderedVector, x: [0.5, -1, 2, 0.1], project: all },
  {
    name: "lowerCholesky",
    c: lowerCholesky,
    x: [0.5, -1, 2, 0.1, 0.3, -0.2],
    project: (y) => lowerIdx(3, false).map((i) => y[i]!),
  },
  {
    name: "corrCholesky",
    c: corrCholesky,
    x: [0.5, -1, 0.7],
    project: (y) => lowerIdx(3, true).map((i) => y[i]!),
  },
  {
    name: "positiveDefinite",
    c: positiveDefinite,
    x: [0.5, -1, 2, 0.1, 0.3, -0.2],
    project: (y) => lowerIdx(3, false).map((i) => y[i]!),
  },
];

function numericLogDet(t: Transform, x: number[], project: Project, h = 1e-6): number {
  const cols: number[][] = [];
  for (let j = 0; j < x.length; j++) {
    const xp = [...x];
    const xm = [...x];
    xp[j]! += h;
    xm[j]! -= h;
    const yp = project(t.forward(f64(xp)).dataSync());
    const ym = project(t.forward(f64(xm)).dataSync());
    cols.push(yp.map((v, i) => (v - ym[i]!) / (2 * h)));
  }
  const n = cols.length;
  const jac = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => cols[c]![r]!));
  return logAbsDet(jac);
}

describe("bijectTo: round trip, codomain, log|det J| vs a numerical Jacobian", () => {
  let worst = 0;
  for (const tc of CASES) {
    it(tc.name, () => {
      const t = bijectTo(tc.c);
      const scalar = tc.c.eventDim === 0;
      const xs = scalar ? tc.x : tc.x;
      const x = f64(xs);
      const y = t.forward(x);
      expect(y.shape).toEqual(t.forwardShape(x.shape));
      expect(t.inverseShape(y.shape)).toEqual(x.shape);
      expect(
        Array.from(tc.c.check(y).dataSync()).every((v) => v === 1),
        `${tc.name}: forward lands in the constraint`,
      ).toBe(true);
      const back = t.inverse(y).dataSync();
      xs.forEach((v, i) => void expect(Math.abs(back[i]! - v)).toBeLessThan(1e-10));
      const ladj = t.logAbsDetJacobian(x, y);
      const inv = t.inv.logAbsDetJacobian(y, x);
      const got = ladj.dataSync();
      const ginv = inv.dataSync();
      if (scalar) {
        // elementwise derivatives
        tc.x.forEach((v, i) => {
          const num = numericLogDet(t, [v], (yy) => [yy[0]!]);
          expect(Math.abs(got[i]! - num)).toBeLessThan(1e-7);
          worst = Math.max(worst, Math.abs(got[i]! - num));
          expect(ginv[i]).toBeCloseTo(-got[i]!, 12);
        });
      } else {
        expect(ladj.shape).toEqual([]);
        const num = numericLogDet(t, tc.x, tc.project);
        worst = Math.max(worst, Math.abs(got[0]! - num));
        expect(Math.abs(got[0]! - num), `${tc.name}: ${got[0]} vs numeric ${num}`).toBeLessThan(1e-6);
        expect(ginv[0]).toBeCloseTo(-got[0]!, 10);
      }
    });
  }
  it("summary", () => console.log(`worst |ladj − numerical| = ${worst.toExponential(2)}`));

  it("batched inputs: ladj is batch-shaped", () => {
    const t = bijectTo(simplex);
    const x = f64([0.1, 0.2, -0.3, 0.4, 1, -2], [2, 3]);
    expect(t.forward(x).shape).toEqual([2, 4]);
    expect(t.logAbsDetJacobian(x, t.forward(x)).shape).toEqual([2]);
    const lc = bijectTo(lowerCholesky);
    const v = f64(
      Array.from({ length: 12 }, (_, i) => 0.1 * i - 0.5),
      [2, 6],
    );
    expect(lc.forward(v).shape).toEqual([2, 3, 3]);
    expect(lc.logAbsDetJacobian(v, lc.forward(v)).shape).toEqual([2]);
  });

  it("missing registry entry names the constraint", () => {
    const weird: Constraint = {
      name: "sphere",
      eventDim: 1,
      isDiscrete: false,
      check: (x: Tensor) => x,
      feasibleLike: (x: Tensor) => x,
    };
    expect(() => bijectTo(weird)).toThrow(/no transform is registered for constraint .*sphere/);
  });
});

describe("scalar transforms", () => {
  const list: [string, Transform][] = [
    ["Exp", new ExpTransform()],
    ["Softplus", new SoftplusTransform()],
    ["Sigmoid", new SigmoidTransform()],
    ["Affine(1, -2)", new AffineTransform(1, -2)],
    ["Power(2.5) ∘ Exp", new ComposeTransform([new ExpTransform(), new PowerTransform(2.5)])],
  ];
  for (const [name, t] of list) {
    it(`${name}: round trip and log|dy/dx| over random inputs (fast-check)`, () => {
      fc.assert(
        fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (v) => {
          const x = f64([v]);
          const y = t.forward(x);
          expect(Math.abs(t.inverse(y).item() - v)).toBeLessThan(1e-9 * Math.max(1, Math.abs(v)));
          const num = numericLogDet(t, [v], (yy) => [yy[0]!], 1e-6 * Math.max(1, Math.abs(v)));
          expect(Math.abs(t.logAbsDetJacobian(x, y).item() - num)).toBeLessThan(1e-5);
        }),
        { numRuns: 40, seed: 42 },
      );
    });
  }
  it("sign and inv", () => {
    expect(new AffineTransform(0, -3).sign).toBe(-1);
    expect(new ExpTransform().inv.inv).toBeInstanceOf(ExpTransform);
    expect(new AffineTransform(2, -1, positive).codomain.toString()).toBe("lessThan(upperBound=2)");
  });
});
