// An HMM with enumerated hidden states through `scan` (NumPyro's `scan` + `TraceEnum_ELBO`
// HMM example): the marginal log-likelihood equals the forward algorithm, computed here
// independently in float64, to 1e-10; a 1000-step chain gives value and gradient (checked
// against finite differences of the forward algorithm) with the body traced twice.
import { exp, key, param, plate, sample, scan, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { Categorical, Delta, Normal } from "@scribe/distributions";
import { enumLogDensity, MCMC, NUTS, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const TRANS = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
const INIT = [0.5, 0.3, 0.2];
const LOCS = [-1, 0.5, 2];

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });

/** The HMM: z_0 ~ Cat(init); z_t ~ Cat(trans[z_{t−1}]), y_t ~ N(locs[z_t], 1), t = 1..T. */
function hmm(trans: Tensor, locs: Tensor, counter?: { calls: number }) {
  return (ys: Tensor) => {
    const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
    scan(
      (z: Tensor, y: Tensor) => {
        if (counter) counter.calls++;
        const next = sample("z", Categorical({ probs: trans.index(z) }), {
          infer: { enumerate: "parallel" },
        });
        sample("y", new Normal(locs.index(next), 1), { obs: y });
        return [next, null] as const;
      },
      z0,
      ys,
    );
  };
}

const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);
/** log p(y) by the scaled forward algorithm (float64). */
function forward(ys: number[], trans = TRANS, locs = LOCS): number {
  let alpha = INIT.slice();
  let ll = 0;
  for (const y of ys) {
    const next = locs.map((m, j) => alpha.reduce((s, a, i) => s + a * trans[i]![j]!, 0) * npdf(y, m));
    const c = next.reduce((a, b) => a + b, 0);
    ll += Math.log(c);
    alpha = next.map((v) => v / c);
  }
  return ll;
}

/** A fixed pseudo-random observation sequence (a linear congruential generator). */
function observations(n: number, seed: number): number[] {
  let s = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s / 2147483648) * 5 - 1.5);
  }
  return out;
}

describe("scan with enumerated hidden states (HMM)", () => {
  it("marginal log-likelihood equals the forward algorithm to 1e-10 (float64)", () => {
    for (const T of [1, 2, 3, 8, 17]) {
      const ys = observations(T, T);
      const { logJoint } = enumLogDensity(hmm(f64(TRANS), f64(LOCS)), [f64(ys)], {});
      expect(Math.abs(logJoint.item() - forward(ys))).toBeLessThan(1e-10);
    }
  });

  it("inside a plate of independent sequences, sums the per-sequence forward algorithms", () => {
    const T = 9;
    const seqs = [observations(T, 1), observations(T, 2), observations(T, 3)];
    const trans = f64(TRANS);
    const locs = f64(LOCS);
    // ys: [T, 3], the sequences along the plate dim (−1).
    const ys = f64(Array.from({ length: T }, (_, t) => seqs.map((s) => s[t]!)));
    const model = (y: Tensor) =>
      plate("seqs", 3, () => {
        const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
        scan(
          (z: Tensor, yt: Tensor) => {
            const next = sample("z", Categorical({ probs: trans.index(z) }), {
              infer: { enumerate: "parallel" },
            });
            sample("y", new Normal(locs.index(next), 1), { obs: yt });
            return [next, null] as const;
          },
          z0,
          y,
        );
      });
    const { logJoint } = enumLogDensity(model, [ys], {}, { maxPlateNesting: 1 });
    const expected = seqs.reduce((a, s) => a + forward(s), 0);
    expect(Math.abs(logJoint.item() - expected)).toBeLessThan(1e-10);
  });

  it("T = 1000: value and gradient in one pass, the body traced twice", { timeout: 120_000 }, () => {
    const T = 1000;
    const ys = observations(T, 42);
    const counter = { calls: 0 };
    const logLik = (p: { logTrans: Tensor; locs: Tensor }) => {
      const trans = exp(p.logTrans).div(exp(p.logTrans).sum(-1, true));
      return enumLogDensity(hmm(trans, p.locs, counter), [f64(ys)], {}, { maxPlateNesting: 0 }).logJoint;
    };
    const logTrans = TRANS.map((r) => r.map(Math.log));
    const [value, grads] = valueAndGrad(logLik)({ logTrans: f64(logTrans), locs: f64(LOCS) });
    // The body runs twice: step 0, then steps 1..T−1 at once.
    expect(counter.calls).toBe(2);
    expect(Math.abs(value.item() - forward(ys)) / T).toBeLessThan(1e-12);
    // Central finite differences of the float64 forward algorithm (h = 1e-6: error ~1e-8).
    const h = 1e-6;
    const g = grads.locs.dataSync();
    LOCS.forEach((_, k) => {
      const up = LOCS.map((m, i) => (i === k ? m + h : m));
      const dn = LOCS.map((m, i) => (i === k ? m - h : m));
      const fd = (forward(ys, TRANS, up) - forward(ys, TRANS, dn)) / (2 * h);
      expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    });
    const gt = grads.logTrans.dataSync();
    const fdTrans = (i: number, j: number) => {
      const perturbed = (d: number) =>
        logTrans.map((r, a) => {
          const row = r.map((v, b) => (a === i && b === j ? v + d : v));
          const z = row.reduce((s, v) => s + Math.exp(v), 0);
          return row.map((v) => Math.exp(v) / z);
        });
      return (forward(ys, perturbed(h)) - forward(ys, perturbed(-h))) / (2 * h);
    };
    for (const [i, j] of [
      [0, 0],
      [1, 2],
      [2, 1],
    ] as const)
      expect(Math.abs(gt[i * K + j]! - fdTrans(i, j))).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(fdTrans(i, j))),
      );
  });

  it("under NUTS the hidden states are summed out of the potential: a shift's posterior mean matches quadrature", {
    timeout: 120_000,
  }, async () => {
    // y_t ~ N(locs[z_t] + shift, 1), shift ~ N(0, 1): p(shift | y) ∝ N(shift | 0, 1) · exp(forward(y − shift)).
    const T = 30;
    const ys = observations(T, 9).map((v) => v + 0.7);
    const model = (y: Tensor) => {
      const shift = sample("shift", new Normal(0, 1));
      const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
      scan(
        (z: Tensor, yt: Tensor) => {
          const next = sample("z", Categorical({ probs: f64(TRANS).index(z) }), {
            infer: { enumerate: "parallel" },
          });
          sample("y", new Normal(f64(LOCS).index(next).add(shift), 1), { obs: yt });
          return [next, null] as const;
        },
        z0,
        y,
      );
    };
    const mcmc = new MCMC(new NUTS({ model }), { numWarmup: 300, numSamples: 600, progressBar: false });
    await mcmc.run(key(4), f64(ys));
    const draws = Array.from(await mcmc.getSamples().shift!.data());
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    // Quadrature on a fine grid (step 1e-3 over ±4, where the posterior lives).
    let z = 0;
    let m1 = 0;
    let m2 = 0;
    for (let s = -4; s <= 4; s += 1e-3) {
      const w = Math.exp(-0.5 * s * s + forward(ys.map((v) => v - s)));
      z += w;
      m1 += w * s;
      m2 += w * s * s;
    }
    const exact = m1 / z;
    const sd = Math.sqrt(m2 / z - exact * exact);
    // 600 draws, ESS ≥ 150 assumed: 4.5 Monte Carlo standard errors.
    expect(Math.abs(mean - exact)).toBeLessThan(4.5 * (sd / Math.sqrt(150)));
  });

  it("TraceEnumELBO through the scan: the loss is −(log prior + forward) at a point-mass guide", () => {
    const ys = observations(12, 3);
    const model = (y: Tensor) => {
      const shift = sample("shift", new Normal(0, 1));
      const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
      scan(
        (z: Tensor, yt: Tensor) => {
          const next = sample("z", Categorical({ probs: f64(TRANS).index(z) }), {
            infer: { enumerate: "parallel" },
          });
          sample("y", new Normal(f64(LOCS).index(next).add(shift), 1), { obs: yt });
          return [next, null] as const;
        },
        z0,
        y,
      );
    };
    const guide = () => sample("shift", new Delta(param("shiftQ", f64([0]).reshape([]))));
    const elbo = new TraceEnumELBO({ maxPlateNesting: 0 });
    for (const s of [-0.5, 0.2, 1.1]) {
      const loss = elbo.loss(key(0), { shiftQ: f64([s]).reshape([]) }, model, guide, [f64(ys)]).item();
      const expected = -(-0.5 * s * s - 0.5 * Math.log(2 * Math.PI) + forward(ys.map((v) => v - s)));
      expect(Math.abs(loss - expected)).toBeLessThan(1e-10);
    }
  });

  it("refuses a carry computed in the body (vectorizing it over time would freeze it)", () => {
    const model = (y: Tensor) => {
      const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
      scan(
        (c: [Tensor, Tensor], yt: Tensor) => {
          const next = sample("z", Categorical({ probs: f64(TRANS).index(c[0]) }), {
            infer: { enumerate: "parallel" },
          });
          sample("y", new Normal(f64(LOCS).index(next).add(c[1]), 1), { obs: yt });
          return [[next, yt] as [Tensor, Tensor], null] as const; // an autoregressive carry of the last observation
        },
        [z0, f64([0]).reshape([])] as [Tensor, Tensor],
        y,
      );
    };
    expect(() => enumLogDensity(model, [f64(observations(5, 1))], {}, { maxPlateNesting: 0 })).toThrow(
      /scan under enumeration: the carry may hold only enumerated states/,
    );
  });

  it.runIf(process.env.SCRIBE_SLOW === "1")(
    "T = 20000 (slow): the likelihood still equals the forward algorithm",
    { timeout: 300_000 },
    () => {
      const ys = observations(20_000, 11);
      const { logJoint } = enumLogDensity(hmm(f64(TRANS), f64(LOCS)), [f64(ys)], {}, { maxPlateNesting: 0 });
      expect(Math.abs(logJoint.item() - forward(ys)) / ys.length).toBeLessThan(1e-12);
    },
  );
});
