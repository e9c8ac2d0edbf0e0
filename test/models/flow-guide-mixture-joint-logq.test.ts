import { key, seed, type Tensor, tensor, trace } from "@scribe/core";
import { JOINT_FLOW_LATENT } from "@scribe/models/guides/flow-guide.js";
import { scribeModel } from "@scribe/models/models/presets.js";
import { describe, expect, it } from "vitest";

// The joint flow guide of a mixture (guides/flow-guide.ts, issue 19) at its start: the flow's
// output layers start at zero, so u [K, D] = loc + scale ⊙ z, and the guide's log q of a draw
// (the trace's log densities summed: the auxiliary latent's and each site's Delta carrying
// −log|det T'|) must equal the closed form of independent Normals in unconstrained space
// pushed through each site's transform: for r = exp(u_r) a LogNormal, log N(log r; loc, σ) −
// log r; for p = sigmoid(u_p), log N(logit p; loc, σ) − log p − log(1 − p), summed over
// every component and gene. A Jacobian summed over one axis only, or a slice taken along the
// wrong axis, breaks the equality. Also: the gene parameter's slice of loc starts at the k-means
// component start (componentGeneLoc), p's at its Beta prior's centre.

const [C, G, K] = [4, 3, 2];

async function arr(t: Tensor): Promise<number[]> {
  return Array.from((await t.data()) as Float32Array);
}

describe("joint flow guide of a mixture: log q at the start", () => {
  it("equals the closed form of the Normal start pushed through exp and sigmoid; loc starts at componentGeneLoc", async () => {
    const start = [0.5, 1.5, -0.2, 2.0, -1.0, 0.3]; // [K, G] log-scale component start
    const sigma = 0.3;
    const { guide } = scribeModel("nbdm", {
      nCells: C,
      nGenes: G,
      nComponents: K,
      componentGeneLoc: tensor(start).reshape([K, G]),
      guideFlow: "affine_coupling",
      guideFlowOptions: { numLayers: 2, hiddenDims: [4], initScale: sigma, independent: false },
    });
    const tr = trace(seed(guide as (...a: unknown[]) => void, key(3))).getTrace(null);
    const site = (n: string) =>
      tr.get(n) as unknown as { type: string; value: Tensor; fn: { logProb(x: Tensor): Tensor } };
    const loc = await arr(site("joint_flow_loc").value);
    // u's layout per component: the sites in the model's order, p (one coordinate) then r (G)
    const D = G + 1;
    expect(loc.length).toBe(K * D);
    for (let k = 0; k < K; k++) {
      for (let g = 0; g < G; g++) expect(loc[k * D + 1 + g]!).toBeCloseTo(start[k * G + g]!, 6);
      // nbdm's p ~ Beta(1, 1): centre ½, logit 0
      expect(loc[k * D]!).toBeCloseTo(0, 6);
    }
    expect(await arr(site("joint_flow_scale").value)).toEqual(
      Array(K * D)
        .fill(sigma)
        .map(Math.fround),
    );
    let logq = 0;
    for (const [, s] of tr as unknown as Map<
      string,
      { type: string; value: Tensor; fn: { logProb(x: Tensor): Tensor } }
    >)
      if (s.type === "sample") logq += (await arr(s.fn.logProb(s.value).sum())).reduce((a, b) => a + b, 0);
    expect(tr.has(JOINT_FLOW_LATENT)).toBe(true);
    const r = await arr(site("r").value);
    const p = await arr(site("p").value);
    expect(r.length).toBe(K * G);
    expect(p.length).toBe(K);
    const logN = (x: number, m: number) =>
      -0.5 * ((x - m) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
    let want = 0;
    for (let k = 0; k < K; k++) {
      for (let g = 0; g < G; g++) {
        const v = r[k * G + g]!;
        want += logN(Math.log(v), loc[k * D + 1 + g]!) - Math.log(v);
      }
      const q = p[k]!;
      want += logN(Math.log(q / (1 - q)), loc[k * D]!) - Math.log(q) - Math.log(1 - q);
    }
    // float32 sums of 8 terms of size ≲ 10: 1e-3 absolute
    expect(Math.abs(logq - want)).toBeLessThan(1e-3);
  });
});
