/**
 * The biology-informed capture prior's location (models/eta-prior-loc.ts, SCRIBE capture prior): the
 * host form (Laplace totals) and the tensor form (SVI/VAE models, guides) against values
 * worked out by hand, on totals that hit the floor (0, 0.4), sit on it (1) and lie above it;
 * and the callers (the Laplace totals' η prior, the nbvcp model's `eta_capture` site, the η
 * guide's start) take the same locations.
 */
import { key, seed, softplus, type Tensor, tensor, trace } from "@scribe/core";
import { scribeModel } from "@scribe/models";
import { etaInitLoc } from "@scribe/models/guides/guide.js";
import { etaPriorOfTotal } from "@scribe/models/laplace/totals.js";
import {
  ETA_PRIOR_LOC_WITHOUT_COUNTS,
  etaPriorLocOfTotal,
  etaPriorLocs,
} from "@scribe/models/models/eta-prior-loc.js";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const logM0 = Math.log(2e5);
// one gene per cell: the row total is the count itself
const totals = [0, 0.4, 1, 37, 1000, 2e5];
// by hand: log(2e5 / max(L, 1)); L = 1000 → log 200, L = M₀ → 0
const want = [logM0, logM0, logM0, Math.log(2e5 / 37), Math.log(200), 0];
const counts = tensor(totals.map((t) => [t]));

describe("eta prior loc: log M₀ − log max(L, 1)", () => {
  it("host form equals the hand values (float64, 1e-12: one log and a subtraction)", () => {
    totals.forEach((t, i) => {
      expect(etaPriorLocOfTotal(logM0, t)).toBeCloseTo(want[i]!, 12);
      expect(etaPriorOfTotal({ logM0, sigmaM: 0.3 }, t)).toEqual({
        loc: etaPriorLocOfTotal(logM0, t),
        scale: 0.3,
      });
    });
  });

  it("tensor form equals the hand values for a number, a scalar tensor and a per-cell centre (float32: 1e-5 relative)", () => {
    const tol = (x: number) => 1e-5 * Math.max(1, Math.abs(x));
    const perCell = totals.map((_, i) => logM0 + i);
    for (const [centre, shift] of [
      [logM0, () => 0],
      [tensor(logM0), () => 0],
      [tensor(perCell), (i: number) => i],
    ] as const) {
      const got = arr(etaPriorLocs(centre, counts, totals.length));
      got.forEach((v, i) => {
        expect(Math.abs(v - (want[i]! + shift(i)))).toBeLessThan(tol(want[i]! + shift(i)));
      });
    }
    expect(arr(etaPriorLocs(logM0, null, 3))).toEqual([1, 1, 1].map(() => ETA_PRIOR_LOC_WITHOUT_COUNTS));
  });

  it("callers take it: nbvcp's eta_capture site (with and without counts) and the η guide's start", () => {
    const { model, config } = scribeModel("nbvcp", {
      nCells: totals.length,
      nGenes: 1,
      priors: { organism: "human" },
    });
    const site = (c: Tensor | null) =>
      arr(
        (
          trace(seed(model, key(0)))
            .getTrace(c)
            .get("eta_capture") as unknown as { fn: { loc: Tensor } }
        ).fn.loc,
      );
    site(counts).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i]!, 4);
    });
    expect(site(null)).toEqual(totals.map(() => ETA_PRIOR_LOC_WITHOUT_COUNTS));
    // the guide starts at softplus⁻¹(max(loc, 0.05)): softplus of it gives the loc back (L = M₀ → 0.05)
    const start = arr(softplus(etaInitLoc(config, counts)!));
    start.forEach((v, i) => {
      expect(v).toBeCloseTo(Math.max(want[i]!, 0.05), 4);
    });
  });
});
