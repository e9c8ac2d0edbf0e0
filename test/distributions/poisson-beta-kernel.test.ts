// The fused PoissonBeta kernel (poissonBetaLogProb: the `poissonBeta` op of
// @scribe/distributions' kernels, the five-piece Gauss–Legendre rule per element) on its own:
// values against mpmath (test/fixtures/refvec/poisson_beta_grid.mpmath.json, the tolerances of
// test/distributions/poisson-beta-refvec.test.ts), partials against central finite differences
// and against the Kummer series' analytic derivatives, the partials computed in the forward
// pass against a fresh evaluation, and the float32 WebGPU form against the cpu backend.
import { readFileSync } from "node:fs";
import { applyOp, cpuBackend, sum, type Tensor, tensor, valueAndGrad, withBackend } from "@scribe/core";
import { poissonBetaLogProb, poissonBetaOp, poissonBetaPartials } from "@scribe/distributions";
import { afterAll, describe, expect, it } from "vitest";
import { kummerLogPmf } from "../distributions/poisson-beta-kummer.js";
import { seededRandom } from "../helpers/numeric.js";
import { values, webgpu } from "../webgpu/gpu-env.js";

const ERR = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));
const MP: { grid: number[][]; wide: number[][] } = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/poisson_beta_grid.mpmath.json", import.meta.url), "utf8"),
);
const col = (rows: number[][], j: number, dtype: "float32" | "float64" = "float64") => {
  const t = tensor(new Float64Array(rows.map((r) => r[j]!)));
  return dtype === "float32" ? t.astype("float32") : t;
};
function worstOf(rows: number[][], got: ArrayLike<number>): { err: number; at: number[] } {
  let w = { err: 0, at: [] as number[] };
  rows.forEach((r, i) => {
    const e = ERR(got[i]!, r[4]!);
    if (!(e <= w.err)) w = { err: Number.isNaN(e) ? Infinity : e, at: r.slice(0, 4) };
  });
  return w;
}
/** Log-pmfs of rows [α, β, λ, u, …]. */
const logPmfs = (rows: number[][], numNodes: number, dtype: "float32" | "float64" = "float64") =>
  poissonBetaLogProb(
    col(rows, 3, dtype),
    col(rows, 0, dtype),
    col(rows, 1, dtype),
    col(rows, 2, dtype),
    numNodes,
  ).dataSync();

const report: Record<string, unknown> = {};
afterAll(() => console.log("poissonBeta kernel:", JSON.stringify(report)));

describe("poissonBetaLogProb values vs mpmath", () => {
  it("grid (192 nodes, float64): ≤ 5e-13; 384 nodes ≤ 5e-13; wide set ≤ 5e-11", () => {
    const w = worstOf(MP.grid, logPmfs(MP.grid, 192));
    report.grid = w;
    expect(w.err, JSON.stringify(w.at)).toBeLessThanOrEqual(5e-13);
    expect(worstOf(MP.grid, logPmfs(MP.grid, 384)).err).toBeLessThanOrEqual(5e-13);
    const wide = worstOf(MP.wide, logPmfs(MP.wide, 192));
    report.wide = wide;
    expect(wide.err, JSON.stringify(wide.at)).toBeLessThanOrEqual(5e-11);
  });

  it("float32 tensors (120 nodes, evaluated in double on the cpu backend): ≤ 2e-5", () => {
    const w = worstOf(MP.grid, logPmfs(MP.grid, 120, "float32"));
    report.gridFloat32 = w;
    expect(w.err, JSON.stringify(w.at)).toBeLessThanOrEqual(2e-5);
  });

  it("broadcasts, and negative counts use the integral at 0 (finite, for masking)", () => {
    const f64 = (v: number[], shape: number[]) => tensor(new Float64Array(v), { shape });
    const lp = poissonBetaLogProb(f64([0, 1, 5], [3, 1]), f64([2, 0.5], [2]), 20, f64([5, 50], [2]), 192);
    expect(lp.shape).toEqual([3, 2]);
    const d = lp.dataSync();
    expect(ERR(d[2]!, kummerLogPmf(2, 20, 5, 1).lp)).toBeLessThan(1e-12);
    expect(ERR(d[5]!, kummerLogPmf(0.5, 20, 50, 5).lp)).toBeLessThan(1e-12);
    expect(Number.isFinite(poissonBetaLogProb(f64([-0.5], [1]), 2, 3, 4, 192).item())).toBe(true);
    const [, g] = valueAndGrad((p: Tensor[]) =>
      sum(poissonBetaLogProb(f64([-1, 3], [2]), p[0]!, p[1]!, p[2]!, 192)),
    )([f64([2], [1]), f64([3], [1]), f64([4], [1])]);
    for (const t of g as Tensor[]) expect(Number.isFinite(t.item())).toBe(true);
  });

  it("rejects a node count below 6 or not an integer", () => {
    expect(() => poissonBetaLogProb(tensor([1]), 1, 1, 1, 5)).toThrow(/numNodes/);
    expect(() => poissonBetaLogProb(tensor([1]), 1, 1, 1, 7.5)).toThrow(/numNodes/);
  });
});

describe("poissonBetaLogProb partials (float64)", () => {
  it("match central finite differences of the scalar rule (192 nodes, U-shaped to peaked)", () => {
    const rand = seededRandom(2024);
    const at = (u: number, a: number, b: number, l: number) => {
      const o = poissonBetaPartials(u, a, b, l, 192);
      return [o.logPmf, o.gradAlpha, o.gradBeta, o.gradRate];
    };
    let worst = 0;
    let where = "";
    for (let t = 0; t < 400; t++) {
      const a = 0.05 * 1000 ** rand();
      const b = 0.05 * 1000 ** rand();
      const l = 0.1 * 5000 ** rand();
      const u = Math.floor(rand() < 0.3 ? 0 : ((2 * l * a) / (a + b)) * rand());
      const g = at(u, a, b, l);
      const p = [a, b, l];
      for (let j = 0; j < 3; j++) {
        const h = 1e-6 * p[j]!;
        const hi = [...p];
        const lo = [...p];
        hi[j]! += h;
        lo[j]! -= h;
        const fd = (at(u, hi[0]!, hi[1]!, hi[2]!)[0]! - at(u, lo[0]!, lo[1]!, lo[2]!)[0]!) / (2 * h);
        // compared on the scale of the parameter's log-derivative p·∂/∂p
        const e = (Math.abs(fd - g[j + 1]!) * p[j]!) / Math.max(1, Math.abs(fd * p[j]!));
        if (e > worst) {
          worst = e;
          where = `d${j} at u=${u} α=${a} β=${b} λ=${l}: ${g[j + 1]} vs ${fd}`;
        }
      }
    }
    report.fdWorst = worst;
    // float64 central differences with h = 1e-6·p: ~1e-9 truncation / rounding
    expect(worst, where).toBeLessThan(1e-6);
  });

  it("match the Kummer series' analytic derivatives (≤ 2e-11), through valueAndGrad", () => {
    const AB = [0.05, 0.1, 0.3, 0.9, 1, 1.17, 2.5, 7, 20, 50];
    const rows: number[][] = [];
    for (const a of AB)
      for (const b of AB)
        for (const lam of [0.02, 0.7, 12, 150, 1000]) {
          const m = Math.round((lam * a) / (a + b));
          for (const u of new Set([0, 2, 17, 250, m])) rows.push([a, b, lam, u]);
        }
    const ref = rows.map(([a, b, lam, u]) => kummerLogPmf(a!, b!, lam!, u!));
    const u = col(rows, 3);
    const [, g] = valueAndGrad((p: Tensor[]) => sum(poissonBetaLogProb(u, p[0]!, p[1]!, p[2]!, 192)))([
      col(rows, 0),
      col(rows, 1),
      col(rows, 2),
    ]);
    const [ga, gb, gl] = (g as Tensor[]).map((t) => t.dataSync());
    const worst = { alpha: 0, beta: 0, lam: 0 };
    rows.forEach(([, , lam, uu], i) => {
      const k = ref[i]!;
      worst.alpha = Math.max(worst.alpha, ERR(ga![i]!, k.dAlpha));
      worst.beta = Math.max(worst.beta, ERR(gb![i]!, k.dBeta));
      worst.lam = Math.max(worst.lam, (Math.abs(gl![i]! - k.dLam) * lam!) / Math.max(1, lam!, uu!));
    });
    report.kummerGrad = worst;
    for (const [name, e] of Object.entries(worst)) expect(e, name).toBeLessThanOrEqual(2e-11);
  });

  it("the partials computed with the forward pass equal the op's gradient outputs", () => {
    const rows = MP.grid.filter((_, i) => i % 7 === 0);
    const u = col(rows, 3);
    const ps = [col(rows, 0), col(rows, 1), col(rows, 2)];
    const [v, g] = valueAndGrad((p: Tensor[]) => sum(poissonBetaLogProb(u, p[0]!, p[1]!, p[2]!, 96)))(ps);
    const direct = applyOp(poissonBetaOp, [u, ps[0]!, ps[1]!, ps[2]!, 96], "test", true)
      .slice(1)
      .map((t) => t.dataSync());
    (g as Tensor[]).forEach((t, j) => {
      expect(Array.from(t.dataSync())).toEqual(Array.from(direct[j]!));
    });
    let s = 0;
    for (const x of poissonBetaLogProb(u, ps[0]!, ps[1]!, ps[2]!, 96).dataSync()) s += x;
    expect((v as Tensor).item()).toBeCloseTo(s, 8);
  });
});

describe.skipIf(!webgpu)("poissonBetaLogProb: webgpu (float32) vs cpu", () => {
  it("values and partials on the mpmath grid, 120 nodes", async () => {
    const rows = MP.grid;
    const run = async (b: typeof webgpu) => {
      const ins = [3, 0, 1, 2].map((j) =>
        withBackend(b!, () => tensor(new Float32Array(rows.map((r) => r[j]!)))),
      );
      const [v, g] = withBackend(b!, () =>
        valueAndGrad((p: Tensor[]) => sum(poissonBetaLogProb(ins[0]!, p[0]!, p[1]!, p[2]!, 120)))(
          ins.slice(1),
        ),
      );
      const lp = await values(
        withBackend(b!, () => poissonBetaLogProb(ins[0]!, ins[1]!, ins[2]!, ins[3]!, 120)),
      );
      return {
        lp,
        grads: await Promise.all((g as Tensor[]).map(values)),
        total: (await values(v as Tensor))[0]!,
      };
    };
    const gpu = await run(webgpu);
    const cpu = await run(cpuBackend() as typeof webgpu);
    // values: |Δ| / max(1, |lp|); mpmath for reference
    let worstV = 0;
    let worstMp = 0;
    rows.forEach((r, i) => {
      worstV = Math.max(worstV, ERR(gpu.lp[i]!, cpu.lp[i]!));
      worstMp = Math.max(worstMp, ERR(gpu.lp[i]!, r[4]!));
    });
    // partials: on the scale of p·∂/∂p against max(1, u) (the size of the terms they sum)
    const worstG = [0, 0, 0];
    rows.forEach((r, i) => {
      for (let j = 0; j < 3; j++) {
        const scale = Math.max(1, r[3]!, Math.abs(cpu.grads[j]![i]! * r[j]!));
        worstG[j] = Math.max(worstG[j]!, (Math.abs(gpu.grads[j]![i]! - cpu.grads[j]![i]!) * r[j]!) / scale);
      }
    });
    report.webgpu = { value: worstV, valueVsMpmath: worstMp, partials: worstG };
    // float32 rounding of terms of size u log λ (u, λ ≤ 1e3): see poisson-beta-beta.test.ts
    expect(worstV).toBeLessThan(3e-4);
    expect(worstMp).toBeLessThan(3e-4);
    for (const e of worstG) expect(e).toBeLessThan(1e-3);
    expect(ERR(gpu.total, cpu.total)).toBeLessThan(1e-5);
  });
});
