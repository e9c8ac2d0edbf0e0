import { key, param, plate, sample, type Tensor, tensor } from "@scribe/core";
import { setPlanCache } from "@scribe/core/backend/cpu/codegen.js";
import { Beta, Gamma, LogNormal, NegativeBinomialProbs, Poisson, positive } from "@scribe/distributions";
import { AutoNormal, adam, SVI, TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The cpu backend reuses a fused pass's plan for every later pass of the same structure
 * (packages/core/src/expr/plan-signature.ts). Reuse must change nothing: each check runs the
 * same computation with reuse on and off in this process and asserts bit-identical results.
 */

afterEach(() => {
  setPlanCache(true);
});

/** Run `f` with plan reuse on, then off; both results as plain arrays. */
async function bothWays<T>(f: () => Promise<T> | T): Promise<[T, T]> {
  setPlanCache(true);
  const on = await f();
  setPlanCache(false);
  const off = await f();
  setPlanCache(true);
  return [on, off];
}

describe("plan reuse by pass structure", () => {
  it("same ops, different sharing of leaves or constants: each pass gets its own plan", async () => {
    const [on, off] = await bothWays(() => {
      const a = tensor([1, 2, 3, 4]);
      const b = tensor([5, 6, 7, 8]);
      const c = tensor([[1], [2]]);
      const m = tensor([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]);
      // Same op sequence with different leaf identities, views and constant values: a hit
      // on a wrong structure would read the wrong arrays or the wrong constant. Each row is
      // read at once, so each runs as its own pass (pending sums would otherwise share one).
      const read = (t: Tensor) => Array.from(t.dataSync());
      return [
        read(a.mul(b).sum()),
        read(a.mul(a).sum()),
        read(b.mul(b).sum()),
        read(a.mul(b).add(a).sum()),
        read(a.mul(b).add(b).sum()),
        read(a.mul(2).add(3).sum()),
        read(a.mul(5).add(-1).sum()),
        read(
          a
            .reshape([2, 2])
            .transpose()
            .mul(a.reshape([2, 2]))
            .sum(),
        ),
        read(a.reshape([2, 2]).mul(c).sum(0)),
        read(a.reshape([2, 2]).mul(c).sum(1)),
        read(b.reshape([2, 2]).mul(c).sum(1)),
        read(a.reshape([2, 2]).mul(c)),
        // One structure (a view times a constant) over different views of one buffer.
        read(m.mul(2)),
        read(m.transpose().mul(2)),
        read(m.slice([1, 0]).mul(2)),
        read(m.slice([0, 1]).mul(2)),
        read(m.transpose().mul(2).sum(0)),
        read(m.mul(2).sum(0)),
      ];
    });
    expect(on).toEqual(off);
    // Independent values: Σ a·b = 70, Σ a² = 30, Σ b² = 174, Σ (a·b + a) = 80, Σ (a·b + b) = 96,
    // Σ (2a + 3) = 32, Σ (5a − 1) = 46.
    expect(on.slice(0, 7).map((r) => r[0])).toEqual([70, 30, 174, 80, 96, 32, 46]);
    // [[1,2],[3,4]]ᵀ ∘ [[1,2],[3,4]] = [[1,6],[6,16]], sum 29.
    expect(on[7]).toEqual([29]);
    // [[1,2],[3,4]] ∘ [[1],[2]] = [[1,2],[6,8]]: column sums [7, 10], row sums [3, 14].
    expect(on[8]).toEqual([7, 10]);
    expect(on[9]).toEqual([3, 14]);
    expect(on[10]).toEqual([11, 30]);
    expect(on[11]).toEqual([1, 2, 6, 8]);
    expect(on[12]).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(on[13]).toEqual([2, 8, 14, 4, 10, 16, 6, 12, 18]);
    expect(on[14]).toEqual([8, 10, 12, 14, 16, 18]);
    expect(on[15]).toEqual([4, 6, 10, 12, 16, 18]);
    expect(on[16]).toEqual([12, 30, 48]);
    expect(on[17]).toEqual([24, 30, 36]);
  });

  it("a seeded Gamma–Poisson SVI run gives bit-identical losses and parameters", async () => {
    const Y = [3, 5, 4, 6, 2, 4, 5, 3, 4, 7];
    const model = (y: Tensor) => {
      const lam = sample("lam", new Gamma(2, 1));
      plate("obs", Y.length, () => sample("y", new Poisson(lam), { obs: y }));
    };
    const guide = () => {
      const c = param("c", tensor(10), { constraint: positive });
      const r = param("r", tensor(2), { constraint: positive });
      sample("lam", new Gamma(c, r));
    };
    const [on, off] = await bothWays(async () => {
      const svi = new SVI(model, guide, adam(0.05), new TraceMeanFieldELBO({ numParticles: 4 }));
      // 20 steps: a step's pass structures recur from the second step on, so a wrong reuse
      // shows within the first few (the run was 60 steps; 20 keep the check, at a third the cost)
      const { params, losses } = await svi.run(key(1), 20, [tensor(Y)]);
      return {
        c: Array.from(params.c!.dataSync()),
        r: Array.from(params.r!.dataSync()),
        losses: Array.from(losses),
      };
    });
    expect(on.c).toEqual(off.c);
    expect(on.r).toEqual(off.r);
    expect(on.losses).toEqual(off.losses);
    // The run moved the parameters (the comparison is not between two untouched inits).
    expect(on.c[0]).not.toBe(10);
  });

  it("a seeded NBDM-style SVI run with AutoNormal gives bit-identical losses and parameters", async () => {
    const cells = 30;
    const genes = 6;
    const counts = tensor(Array.from({ length: cells * genes }, (_, i) => (i * 7919) % 13)).reshape([
      cells,
      genes,
    ]);
    const model = (obs: Tensor) => {
      const p = sample("p", new Beta(2, 2));
      const r = plate("genes", genes, () => sample("r", new LogNormal(0, 1)));
      plate("cells", cells, { dim: -2 }, () => sample("counts", new NegativeBinomialProbs(r, p), { obs }));
    };
    const [on, off] = await bothWays(async () => {
      const svi = new SVI(model, new AutoNormal(model), adam(0.02), new TraceELBO());
      const { params, losses } = await svi.run(key(3), 20, [counts]);
      const names = Object.keys(params).sort();
      return {
        names,
        values: names.map((n) => Array.from(params[n]!.dataSync())),
        losses: Array.from(losses),
      };
    });
    expect(on.names).toEqual(off.names);
    expect(on.values).toEqual(off.values);
    expect(on.losses).toEqual(off.losses);
    expect(on.losses.every(Number.isFinite)).toBe(true);
  });
});
