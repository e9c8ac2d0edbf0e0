import {
  add,
  exp,
  isfinite,
  key,
  mean,
  mul,
  square,
  sub,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@scribe/core";
import { enableValidation, validationEnabled } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { gradCheck } from "../helpers/numeric.js";
import { build, CASES, type ContinuousCase } from "./continuous-cases.js";

const SAMPLE_SHAPES = [[], [2], [2, 3]];

function allFinite(x: Tensor): boolean {
  return Array.from(isfinite(x).dataSync()).every((v) => v === 1);
}

/** Kolmogorov–Smirnov p-value (asymptotic with Stephens' correction). */
function ksPValue(sortedCdf: number[]): { d: number; p: number } {
  const n = sortedCdf.length;
  let d = 0;
  sortedCdf.forEach((f, i) => {
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  const lam = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k < 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lam * lam);
  return { d, p: Math.min(1, Math.max(0, p)) };
}

/** Per-component sample mean, variance and the standard errors of both (rows = draws). */
function sampleMoments(x: ArrayLike<number>, n: number) {
  const k = x.length / n;
  const out = [] as { mean: number; variance: number; seMean: number; seVar: number }[];
  for (let j = 0; j < k; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * k + j]!;
    m /= n;
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      const d = x[i * k + j]! - m;
      m2 += d * d;
      m4 += d ** 4;
    }
    m2 /= n - 1;
    m4 /= n;
    out.push({
      mean: m,
      variance: m2,
      seMean: Math.sqrt(m2 / n),
      seVar: Math.sqrt(Math.max(m4 - m2 * m2, 0) / n),
    });
  }
  return out;
}

const pValues: string[] = [];

/** Run with argument validation off (finite differences may step off a constraint, e.g. a zero above a Cholesky diagonal). */
function withoutValidation<T>(fn: () => T): T {
  const prev = validationEnabled();
  enableValidation(false);
  try {
    return fn();
  } finally {
    enableValidation(prev);
  }
}

/**
 * Compare autodiff of Σ rsample with the implicit-function gradient Σᵢ −(∂F(xᵢ; θ)/∂θ)/p(xᵢ; θ),
 * ∂F/∂θ by central differences of the cdf at the (fixed) draws xᵢ.
 */
function implicitGradCheck(
  c: ContinuousCase,
  specs: { values: Float64Array; shape: number[] }[],
  names: string[],
  diff: boolean[],
) {
  const mk = (vals: Float64Array[]) =>
    c.make(
      Object.fromEntries(
        names.map((k, i) => [k, tensor(new Float64Array(vals[i]!), { shape: specs[i]!.shape })]),
      ),
    );
  const base = specs.map((s) => s.values);
  const x0 = mk(base).rsample(key(5), [3]);
  const x = tensor(new Float64Array(x0.dataSync()), { shape: x0.shape });
  const [, grads] = valueAndGrad((xs: Tensor[]) =>
    sum(c.make(Object.fromEntries(names.map((k, i) => [k, xs[i]!]))).rsample(key(5), [3])),
  )(base.map((v, i) => tensor(new Float64Array(v), { shape: specs[i]!.shape })));
  const pdf = exp(mk(base).logProb(x));
  let worst = 0;
  let where = "";
  specs.forEach((s, j) => {
    if (!diff[j]) return;
    const g = (grads as Tensor[])[j]!.dataSync();
    for (let e = 0; e < s.values.length; e++) {
      const h = 1e-5 * Math.max(1, Math.abs(s.values[e]!));
      const at = (dv: number) => {
        const vals = base.map((v) => new Float64Array(v));
        vals[j]![e]! += dv;
        return mk(vals).cdf(x);
      };
      const dF = mul(sub(at(h), at(-h)), 1 / (2 * h));
      const expected = -sum(dF.div(pdf)).item();
      const err = Math.abs(g[e]! - expected) / Math.max(1, Math.abs(expected));
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `${names[j]}[${e}]: autodiff ${g[e]} vs implicit ${expected}`;
      }
    }
  });
  return { worst, where };
}

describe.each(CASES)("$name", (c: ContinuousCase) => {
  const params = build(c.batched);
  const d = c.make(params);

  it("sample / logProb shapes for sampleShape [], [2], [2, 3] with batched params", () => {
    SAMPLE_SHAPES.forEach((s, i) => {
      const x = d.sample(key(i + 1), s);
      expect(x.shape).toEqual([...s, ...d.batchShape, ...d.eventShape]);
      expect(x.dtype).toBe("float64");
      expect(allFinite(x)).toBe(true);
      const lp = d.logProb(x);
      expect(lp.shape).toEqual([...s, ...d.batchShape]);
      expect(allFinite(lp), `${c.name} logProb of its own draws`).toBe(true);
    });
  });

  it("sample mean / variance match the analytic moments within 5 SE", () => {
    const ds = c.make(build(c.scalar));
    const n = 20000;
    const x = ds.sample(key(7), [n]).dataSync();
    const mom = sampleMoments(x, n);
    const mean = ds.mean.dataSync();
    const variance = ds.variance.dataSync();
    mom.forEach((m, j) => {
      if (c.heavy !== "mean")
        expect(Math.abs(m.mean - mean[j]!), `${c.name} mean[${j}]`).toBeLessThan(5 * m.seMean);
      if (!c.heavy)
        expect(Math.abs(m.variance - variance[j]!), `${c.name} variance[${j}]`).toBeLessThan(5 * m.seVar);
    });
  });

  it("Kolmogorov–Smirnov goodness of fit against the cdf (fixed seed)", () => {
    const ds = c.make(build(c.scalar));
    if (ds.eventShape.length > 0) return;
    const n = 2000;
    const x = ds.sample(key(11), [n]);
    const cdf = Array.from(ds.cdf(x).dataSync()).sort((a, b) => a - b);
    const { d: dstat, p } = ksPValue(cdf);
    pValues.push(`${c.name}: D=${dstat.toFixed(4)} p=${p.toFixed(3)}`);
    expect(p, `${c.name} KS D=${dstat}`).toBeGreaterThan(1e-3);
  });

  it("logProb gradients match central finite differences in every parameter", () => {
    const value = d.sample(key(3), [2]);
    const names = Object.keys(c.batched);
    const specs = names.map((k) => ({
      values: Float64Array.from(c.batched[k]!.values),
      shape: c.batched[k]!.shape,
    }));
    const diff = names.map((k) => !(c.noGrad ?? []).includes(k));
    const f = (xs: Tensor[]) => {
      const p: Record<string, Tensor> = {};
      names.forEach((k, i) => {
        p[k] = xs[i]!;
      });
      return sum(c.make(p).logProb(value));
    };
    const { worst, where } = withoutValidation(() => gradCheck(f, specs, diff));
    expect(worst, where).toBeLessThan(1e-6);
  });

  it("rsample gradients: finite differences of a fixed-key draw, or the implicit-function gradient", () => {
    if (!d.reparametrized) return;
    const names = Object.keys(c.batched);
    const specs = names.map((k) => ({
      values: Float64Array.from(c.batched[k]!.values),
      shape: c.batched[k]!.shape,
    }));
    const diff = names.map((k) => !(c.noGrad ?? []).includes(k));
    const rec = (xs: Tensor[]) => Object.fromEntries(names.map((k, i) => [k, xs[i]!]));
    const f = (xs: Tensor[]) => sum(c.make(rec(xs)).rsample(key(5), [3]));
    if (!c.implicit) {
      const { worst, where } = withoutValidation(() => gradCheck(f, specs, diff, 1e-6));
      expect(worst, where).toBeLessThan(1e-6);
    } else if (c.implicit === "cdf") {
      const { worst, where } = implicitGradCheck(c, specs, names, diff);
      expect(worst, where).toBeLessThan(1e-5);
    } else {
      // E[Σ x + x²] by 20000 pathwise draws vs the autodiff gradient of the closed-form moments.
      const sp = build(c.scalar);
      const pn = Object.keys(sp);
      const rec2 = (xs: Tensor[]) => Object.fromEntries(pn.map((k, i) => [k, xs[i]!]));
      const est = valueAndGrad((xs: Tensor[]) => {
        const x = c.make(rec2(xs)).rsample(key(9), [20000]);
        return sum(mean(add(x, square(x)), 0));
      })(pn.map((k) => sp[k]!))[1] as Tensor[];
      const exact = valueAndGrad((xs: Tensor[]) => {
        const dd = c.make(rec2(xs));
        return sum(add(add(dd.mean, dd.variance), square(dd.mean)));
      })(pn.map((k) => sp[k]!))[1] as Tensor[];
      pn.forEach((k, j) => {
        const a = est[j]!.dataSync();
        const b = exact[j]!.dataSync();
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(a[i]! - b[i]!), `${k}[${i}]: pathwise ${a[i]} vs exact ${b[i]}`).toBeLessThan(
            0.01 + 0.03 * Math.abs(b[i]!),
          );
      });
    }
  });

  it("icdf inverts cdf; entropy matches −E[log p] by Monte Carlo", () => {
    const ds = c.make(build(c.scalar));
    const x = ds.sample(key(13), [4000]);
    if (ds.eventShape.length === 0) {
      let back: Tensor | null = null;
      try {
        back = ds.icdf(ds.cdf(x));
      } catch (e) {
        expect((e as Error).message).toMatch(/has no icdf/);
      }
      if (back) {
        const a = x.dataSync();
        const b = back.dataSync();
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(a[i]!)));
      }
    }
    let h: number | null = null;
    try {
      h = ds.entropy().item();
    } catch (e) {
      expect((e as Error).message).toMatch(/entropy/);
    }
    if (h !== null) {
      const lp = Array.from(ds.logProb(x).dataSync());
      const n = lp.length;
      const m = lp.reduce((s, v) => s + v, 0) / n;
      const sd = Math.sqrt(lp.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
      expect(Math.abs(-m - h), `${c.name} entropy`).toBeLessThan(5 * (sd / Math.sqrt(n)) + 1e-12);
    }
  });
});

describe("KS summary", () => {
  it("prints p-values", () => {
    console.log(pValues.join("\n"));
  });
});
