import { key, sub, type Tensor, tensor } from "@scribe/core";
import {
  Beta,
  Cauchy,
  Dirichlet,
  type Distribution,
  Gamma,
  kl,
  LogNormal,
  LowRankMultivariateNormal,
  MultivariateNormal,
  Normal,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });

/** Monte Carlo KL(p‖q) = E_p[log p − log q] per batch element, with its standard error. */
function mcKL(p: Distribution, q: Distribution, n: number, seed: number): { est: number[]; se: number[] } {
  const x = p.sample(key(seed), [n]);
  const d = sub(p.logProb(x), q.logProb(x)).dataSync();
  const b = d.length / n;
  const est: number[] = [];
  const se: number[] = [];
  for (let j = 0; j < b; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += d[i * b + j]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (d[i * b + j]! - m) ** 2;
    est.push(m);
    se.push(Math.sqrt(v / (n - 1) / n));
  }
  return { est, se };
}

const mvnP = () => new MultivariateNormal(f64([1, -1]), { scaleTril: f64([1.2, 0, 0.5, 0.8], [2, 2]) });
const mvnQ = () => new MultivariateNormal(f64([0.5, 0]), { covarianceMatrix: f64([2, 0.3, 0.3, 1], [2, 2]) });
const lrP = () => new LowRankMultivariateNormal(f64([1, -1]), f64([1, 0.5], [2, 1]), f64([0.5, 1]));
const lrQ = () => new LowRankMultivariateNormal(f64([0, 0]), f64([0.3, -0.4], [2, 1]), f64([1, 2]));

const PAIRS: [string, () => Distribution, () => Distribution][] = [
  [
    "Normal‖Normal",
    () => new Normal(f64([0, 1]), f64([1, 0.5])),
    () => new Normal(f64([0.5, -1]), f64([2, 1.5])),
  ],
  [
    "LogNormal‖LogNormal",
    () => new LogNormal(f64([0, 1]), f64([1, 0.5])),
    () => new LogNormal(f64([0.5]), f64([0.8])),
  ],
  ["Gamma‖Gamma", () => new Gamma(f64([2, 0.7]), f64([3, 1])), () => new Gamma(f64([1.5, 1]), f64([2, 0.5]))],
  ["Beta‖Beta", () => new Beta(f64([2, 0.8]), f64([3, 1.5])), () => new Beta(f64([1, 2]), f64([1, 4]))],
  ["Dirichlet‖Dirichlet", () => new Dirichlet(f64([1, 2, 3])), () => new Dirichlet(f64([2, 2, 0.5]))],
  ["MVN‖MVN", mvnP, mvnQ],
  ["LowRankMVN‖LowRankMVN", lrP, lrQ],
  ["LowRankMVN‖MVN", lrP, mvnQ],
  ["MVN‖LowRankMVN", mvnP, lrQ],
  [
    "Independent(Normal)‖Independent(Normal)",
    () => new Normal(f64([0, 1]), f64([1, 0.5])).toEvent(1),
    () => new Normal(f64([0.5, -1]), f64([2, 1.5])).toEvent(1),
  ],
  [
    "Expanded(Gamma)‖Gamma",
    () => new Gamma(f64([2], []), f64([3], [])).expand([3]),
    () => new Gamma(f64([1.5, 1, 2]), f64([2, 0.5, 1])),
  ],
];

describe("KL closed forms vs Monte Carlo (100k draws, 5 SE)", () => {
  for (const [name, p, q] of PAIRS) {
    it(name, () => {
      const pd = p();
      const qd = q();
      const exact = kl(pd, qd);
      expect(exact.shape).toEqual(
        pd.batchShape.length >= qd.batchShape.length ? pd.batchShape : qd.batchShape,
      );
      const { est, se } = mcKL(pd, qd, 100_000, 17);
      const e = exact.dataSync();
      est.forEach((m, j) => {
        const z = Math.abs(m - e[j]!) / se[j]!;
        expect(z, `${name}[${j}]: closed ${e[j]} vs MC ${m} ± ${se[j]}`).toBeLessThan(5);
      });
    });
  }

  it("KL(p‖p) = 0 and unregistered pairs throw naming both classes", () => {
    const n = new Normal(f64([0.3]), f64([1.7]));
    expect(Math.abs(kl(n, n).item())).toBeLessThan(1e-15);
    const m = mvnP();
    expect(Math.abs(kl(m, m).item())).toBeLessThan(1e-12);
    expect(() => kl(new Cauchy(0, 1), new Normal(0, 1))).toThrow(/KL\(Cauchy ‖ Normal\)/);
    expect(() => kl(new Normal(f64([0, 1]), 1).toEvent(1), new Normal(f64([0, 1]), 1))).toThrow(
      /Independent/,
    );
  });

  it("closed forms are differentiable (gradient of KL in the parameters is finite)", async () => {
    const { valueAndGrad } = await import("@scribe/core");
    const [, g] = valueAndGrad((xs: Tensor[]) => kl(new Gamma(xs[0]!, xs[1]!), new Gamma(2, 1)).sum())([
      f64([1.5]),
      f64([0.7]),
    ]);
    for (const t of g as Tensor[]) expect(Number.isFinite(t.item())).toBe(true);
  });
});
