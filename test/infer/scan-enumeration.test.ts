import { sample, scan, type Tensor, tensor } from "@scribe/core";
import { Categorical, Normal } from "@scribe/distributions";
import { enumLogDensity } from "@scribe/infer";
import { describe, expect, it } from "vitest";

describe("scratch", () => {
  it("hmm", () => {
    const K = 3;
    const trans = [
      [0.8, 0.15, 0.05],
      [0.1, 0.7, 0.2],
      [0.25, 0.25, 0.5],
    ];
    const init = [0.5, 0.3, 0.2];
    const locs = [-1, 0.5, 2];
    const ys = [0.1, -0.9, 1.7, 2.2, 0.4, 0.3, -1.2];
    const T = ys.length;
    const model = (y: Tensor) => {
      const tr = tensor(trans, { dtype: "float64" });
      const lc = tensor(locs, { dtype: "float64" });
      const z0 = sample("z_init", Categorical({ probs: tensor(init, { dtype: "float64" }) }), {
        infer: { enumerate: "parallel" },
      });
      scan(
        (z: Tensor, yt: Tensor) => {
          const zn = sample("z", Categorical({ probs: tr.index(z) }), { infer: { enumerate: "parallel" } });
          sample("y", new Normal(lc.index(zn), 1), { obs: yt });
          return [zn, null] as const;
        },
        z0,
        y,
      );
    };
    const { logJoint } = enumLogDensity(model, [tensor(ys, { dtype: "float64" })], {});
    // forward algorithm in float64
    const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);
    let alpha = init.slice();
    for (let t = 0; t < T; t++) {
      const next = new Array(K).fill(0);
      for (let j = 0; j < K; j++) {
        let s = 0;
        for (let i = 0; i < K; i++) s += alpha[i]! * trans[i]![j]!;
        next[j] = s * npdf(ys[t]!, locs[j]!);
      }
      alpha = next;
    }
    const ll = Math.log(alpha.reduce((a, b) => a + b, 0));
    expect(logJoint.item()).toBeCloseTo(ll, 10);
  });
});
