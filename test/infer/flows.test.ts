import { key, random, type Tensor, tensor, vjp } from "@scribe/core";
import {
  FLOW_KINDS,
  type FlowKind,
  type NormalizingFlow,
  type NormalizingFlowOptions,
  normalizingFlow,
  rationalQuadraticSpline,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

// Checks of every flow kind in float64 on the cpu backend: log-densities against the change
// of variables with the Jacobian from reverse-mode autodiff, inverses, and zero-init identity.

const D = 3;
const f64 = (rows: number[][]) => tensor(rows, { dtype: "float64" });
// Points in and beyond the spline tail bound (B = 2 below), so the linear tails are reached too.
const Z = [
  [0.3, -0.7, 1.1],
  [-1.4, 0.2, 0.05],
  [2.6, -0.4, -2.3],
  [0.9, 1.8, -0.6],
];

const OPTS: Record<FlowKind, NormalizingFlowOptions> = {
  affine_coupling: { hiddenDims: [8, 8], layerNorm: true, residual: true },
  spline_coupling: { hiddenDims: [8], numBins: 5, tailBound: 2, layerNorm: true },
  maf: { hiddenDims: [8, 8], residual: true },
  iaf: { hiddenDims: [8, 8], activation: "tanh" },
};

function makeFlow(kind: FlowKind): NormalizingFlow {
  return normalizingFlow(kind, D, { ...OPTS[kind], numLayers: 3, dtype: "float64" });
}

/** Params moved well away from the (identity) initialisation: p + 0.3·N(0, 1). */
function perturbed(flow: NormalizingFlow, seed: number): Record<string, Tensor> {
  const p = flow.init(key(seed));
  const out: Record<string, Tensor> = {};
  Object.entries(p).forEach(([name, t], i) => {
    out[name] = t.add(random.normal(key(1000 + seed * 100 + i), [...t.shape], { dtype: "float64" }).mul(0.3));
  });
  return out;
}

/** log |det A| of a small dense matrix by Gaussian elimination with partial pivoting (JS doubles). */
function logAbsDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  const n = m.length;
  let acc = 0;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    acc += Math.log(Math.abs(d));
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / d;
      for (let k = c; k < n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  return acc;
}

/** The Jacobian ∂F/∂z of the flow's forward map at one point, row by row from vjp. */
function jacobian(flow: NormalizingFlow, params: Record<string, Tensor>, z: number[]): number[][] {
  const forward = (v: Tensor) => flow.transforms(params).reduce((x, t) => t.forward(x), v);
  const [, pullback] = vjp(forward, tensor(z, { dtype: "float64" }));
  return z.map((_, i) => {
    const e = tensor(
      z.map((__, j) => (i === j ? 1 : 0)),
      { dtype: "float64" },
    );
    return [...(pullback(e)[0]!.dataSync() as Float64Array)];
  });
}

const stdNormalLogPdf = (z: number[]) => z.reduce((a, v) => a - 0.5 * v * v - 0.5 * Math.log(2 * Math.PI), 0);

describe("normalizing flows (float64, cpu)", () => {
  for (const kind of FLOW_KINDS) {
    it(`${kind}: logProb = change of variables with the autodiff Jacobian (1e-10); inverse(forward(z)) = z`, () => {
      const flow = makeFlow(kind);
      const params = perturbed(flow, 3);
      const x = flow.apply(params).sample(key(0), []); // exercise sample's shape
      expect(x.shape).toEqual([D]);
      // forward of each point; the density of that very tensor reuses the forward passes'
      // log-determinants (the cached path a guide takes), and the density of a copy from a
      // fresh distribution runs the inverse passes.
      const dist = flow.apply(params);
      const xs = dist.transforms.reduce((v, t) => t.forward(v), f64(Z) as Tensor);
      const lpCached = dist.logProb(xs).toArray() as number[];
      const xsFresh = f64(xs.toArray() as number[][]);
      const lp = flow.apply(params).logProb(xsFresh).toArray() as number[];
      const xa = xs.toArray() as number[][];
      // inverse from fresh transforms, on a copy of the forward output
      const back = flow.transforms(params).reduceRight((v, t) => t.inverse(v), xsFresh as Tensor);
      const zBack = back.toArray() as number[][];
      let worstLp = 0;
      let worstInv = 0;
      let movedFromIdentity = 0;
      Z.forEach((z, n) => {
        const expected = stdNormalLogPdf(z) - logAbsDet(jacobian(flow, params, z));
        worstLp = Math.max(worstLp, Math.abs(lp[n]! - expected), Math.abs(lpCached[n]! - expected));
        z.forEach((v, j) => {
          worstInv = Math.max(worstInv, Math.abs(zBack[n]![j]! - v));
        });
        z.forEach((v, j) => {
          movedFromIdentity = Math.max(movedFromIdentity, Math.abs(xa[n]![j]! - v));
        });
      });
      if (process.env.FLOW_DEBUG) console.log(kind, { worstLp, worstInv, movedFromIdentity });
      expect(worstLp).toBeLessThan(1e-10);
      expect(worstInv).toBeLessThan(1e-10);
      // the perturbed flow moves the points, so the checks above have teeth
      expect(movedFromIdentity).toBeGreaterThan(0.2);
    });

    it(`${kind}: a freshly initialised flow is the identity`, () => {
      const flow = makeFlow(kind);
      const d = flow.apply(flow.init(key(5)));
      const x = d.transforms.reduce((v, t) => t.forward(v), f64(Z) as Tensor);
      const xa = x.toArray() as number[][];
      const lp = flow
        .apply(flow.init(key(5)))
        .logProb(f64(Z))
        .toArray() as number[];
      Z.forEach((z, n) => {
        z.forEach((v, j) => {
          expect(Math.abs(xa[n]![j]! - v)).toBeLessThan(1e-12);
        });
        expect(Math.abs(lp[n]! - stdNormalLogPdf(z))).toBeLessThan(1e-12);
      });
    });
  }

  it("spline: the inverse pass's log-derivative equals the forward one at the same pair", () => {
    const raw = {
      widths: f64([[0.3, -1, 0.5, 0.2]]),
      heights: f64([[-0.4, 0.9, 0.1, -0.3]]),
      derivatives: f64([[0.7, -1.2, 0.4]]),
    };
    const x = tensor([0.37], { dtype: "float64" });
    const fwd = rationalQuadraticSpline(x, raw, 1.5);
    const inv = rationalQuadraticSpline(
      tensor(fwd.out.toArray() as number[], { dtype: "float64" }),
      raw,
      1.5,
      true,
    );
    expect(Math.abs((inv.out.toArray() as number[])[0]! - 0.37)).toBeLessThan(1e-13);
    expect(Math.abs(inv.logDet.item() - fwd.logDet.item())).toBeLessThan(1e-12);
    // forward log-derivative against a central difference (h = 1e-6: error O(h²) ≈ 1e-12 plus rounding)
    const h = 1e-6;
    const at = (v: number) => rationalQuadraticSpline(tensor([v], { dtype: "float64" }), raw, 1.5).out.item();
    const fd = Math.log((at(0.37 + h) - at(0.37 - h)) / (2 * h));
    expect(Math.abs(fd - fwd.logDet.item())).toBeLessThan(1e-7);
  });

  it("names what is wrong: flow dim, layer norm in MADE, unknown kind", () => {
    const flow = makeFlow("affine_coupling");
    const d = flow.apply(flow.init(key(0)));
    expect(() => d.transforms[0]!.forward(tensor([[1, 2]], { dtype: "float64" }))).toThrow(
      /last axis must be the flow's dim 3/,
    );
    expect(() => normalizingFlow("maf", 3, { layerNorm: true })).toThrow(/layerNorm is not available/);
    expect(() => normalizingFlow("bnaf" as FlowKind, 3)).toThrow(/unknown flow kind 'bnaf'/);
  });
});
