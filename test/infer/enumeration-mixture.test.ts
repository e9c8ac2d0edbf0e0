// A Gaussian mixture with enumerated assignments (NumPyro's "Gaussian Mixture Model"
// tutorial, with unit scales and equal weights so the answer has a closed-form check):
// TraceEnumELBO's loss equals the marginal log-density written out by hand, SVI on it
// reaches the MAP that EM (run here in float64) finds, and inferDiscrete's assignments
// agree with the posterior responsibilities computed by hand.
import { key, param, plate, sample, type Tensor, tensor } from "@scribe/core";
import { Categorical, Delta, Normal } from "@scribe/distributions";
import { adam, inferDiscrete, SVI, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

// 24 points: 12 around −2, 12 around 2.5 (fixed offsets, so the test needs no generator).
const offsets = [-1.3, -0.9, -0.6, -0.4, -0.2, 0, 0.1, 0.3, 0.5, 0.8, 1.1, 1.4];
const data = [...offsets.map((o) => -2 + o), ...offsets.map((o) => 2.5 - o)];
const y = tensor(data);
const K = 2;
const PRIOR_SD = 10;

const model = (obs: Tensor) => {
  const locs = plate("K", K, () => sample("locs", new Normal(0, PRIOR_SD)));
  plate("N", obs.shape[0]!, () => {
    const z = sample("z", Categorical({ probs: tensor([0.5, 0.5]) }), { infer: { enumerate: "parallel" } });
    sample("y", new Normal(locs.index(z), 1), { obs });
  });
};
const guide = () => {
  const loc = param("locsQ", tensor([-1, 1]));
  plate("K", K, () => sample("locs", new Delta(loc)));
};

const lnorm = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
/** log p(locs) + Σ_i log Σ_k ½ N(y_i | locs_k, 1), in float64. */
function marginalLogJoint(locs: number[]): number {
  let lp = locs.reduce((a, m) => a + lnorm(m, 0, PRIOR_SD), 0);
  for (const v of data) lp += Math.log(locs.reduce((a, m) => a + 0.5 * Math.exp(lnorm(v, m, 1)), 0));
  return lp;
}
/** Posterior responsibilities r_ik given locs. */
function responsibilities(locs: number[]): number[][] {
  return data.map((v) => {
    const w = locs.map((m) => Math.exp(lnorm(v, m, 1)));
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  });
}
/** EM for the MAP of locs (Normal(0, 10²) prior): μ_k = Σ r_ik y_i / (Σ r_ik + 1/10²). */
function emMap(start: number[]): number[] {
  let locs = start.slice();
  for (let it = 0; it < 500; it++) {
    const r = responsibilities(locs);
    locs = locs.map((_, k) => {
      let num = 0;
      let den = 1 / PRIOR_SD ** 2;
      r.forEach((ri, i) => {
        num += ri[k]! * data[i]!;
        den += ri[k]!;
      });
      return num / den;
    });
  }
  return locs;
}

describe("TraceEnumELBO on a Gaussian mixture with enumerated assignments", () => {
  it("its loss is minus the marginal log-density written out by hand", () => {
    const elbo = new TraceEnumELBO({ maxPlateNesting: 1 });
    for (const locs of [
      [-1, 1],
      [-2.1, 2.4],
      [0.3, 0.2],
    ]) {
      const loss = elbo.loss(key(0), { locsQ: tensor(locs) }, model, guide, [y]).item();
      // float32 sums of 24 terms of size ~2: relative 1e-5
      expect(loss).toBeCloseTo(-marginalLogJoint(locs), 3);
    }
  });

  it("SVI recovers the components (EM's MAP) and inferDiscrete agrees with the responsibilities", {
    timeout: 120_000,
  }, async () => {
    const svi = new SVI(model, guide, adam(0.1), new TraceEnumELBO({ maxPlateNesting: 1 }));
    const { params } = await svi.run(key(1), 250, [y]);
    const fitted = Array.from(await params.locsQ!.data());
    const em = emMap([-1, 1]);
    expect(em[0]).toBeCloseTo(-2, 0);
    expect(em[1]).toBeCloseTo(2.5, 0);
    // Adam at lr 0.05 settles within ~1e-2 of the optimum.
    expect(Math.abs(fitted[0]! - em[0]!)).toBeLessThan(0.02);
    expect(Math.abs(fitted[1]! - em[1]!)).toBeLessThan(0.02);

    // MAP assignments = argmax of the hand responsibilities at the EM locations.
    const r = responsibilities(em);
    const map = inferDiscrete(model, [y], { params: { locs: tensor(em) }, temperature: 0 });
    expect(Array.from(await map.z!.data())).toEqual(r.map((ri) => (ri[1]! > ri[0]! ? 1 : 0)));

    // Posterior draws: at locations that make many points ambiguous, with the data repeated
    // 200 times (the z_i are independent given locs, so one call gives 200 draws per point),
    // the frequency of z_i = 1 matches r_i1 within 4.5 binomial standard errors.
    const near = [-0.4, 0.6];
    const rn = responsibilities(near);
    const draws = 200;
    const repeated = tensor(Array.from({ length: draws }, () => data).flat());
    const z = inferDiscrete(model, [repeated], { params: { locs: tensor(near) }, temperature: 1, rngKey: 3 });
    const counts = new Array<number>(data.length).fill(0);
    (await z.z!.data()).forEach((v, j) => {
      counts[j % data.length]! += v;
    });
    counts.forEach((c, i) => {
      const p = rn[i]![1]!;
      const se = Math.sqrt((p * (1 - p)) / draws) + 1e-3;
      expect(Math.abs(c / draws - p)).toBeLessThan(4.5 * se);
    });
  });
});
