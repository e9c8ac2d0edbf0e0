// Discrete sites enumerated in the guide (NumPyro's config_enumerate on guide sites with
// TraceEnum_ELBO): the loss equals the exact expectation over the guide's categorical
// assignments, written out here in float64 (Σ_n Σ_k q_nk [log π_k + log N(y_n | μ_k, 1)
// − log q_nk]); SVI on the guide's logits converges to the exact posterior responsibilities,
// and its loss is −log p(y) + KL(q ‖ posterior) with the KL by hand; a chain of two enumerated guide sites and
// a model-enumerated site more global than the guide's (refused by name; the supported mixes
// are in enum-model-and-guide.test.ts).
import { configEnumerate, key, param, plate, sample, type Tensor, tensor } from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { adam, SVI, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
const DATA = [-2.3, -1.6, 0.4, 0.9, 2.8, 3.4];
const LOCS = [-2, 0.5, 3];
const PI = [0.3, 0.3, 0.4];
const N = DATA.length;
const K = LOCS.length;

/** Mixture with known components; the assignments are the only latents. */
const model = (y: Tensor) =>
  plate("N", N, () => {
    const z = sample("z", Categorical({ probs: f64(PI) }));
    sample("y", new Normal(f64(LOCS).index(z), 1), { obs: y });
  });

/** Per-point categorical guide with free logits, its assignments enumerated. */
const guide = configEnumerate((_y: Tensor) => {
  const logits = param("q_logits", f64(Array.from({ length: N }, () => new Array<number>(K).fill(0))));
  plate("N", N, () => sample("z", Categorical({ logits })));
});

const lnorm = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);
const softmax = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
/** The exact ELBO of categorical guide probabilities q[n][k]. */
function exactElbo(q: number[][]): number {
  let e = 0;
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const qk = q[n]![k]!;
      if (qk > 0) e += qk * (Math.log(PI[k]!) + lnorm(DATA[n]!, LOCS[k]!) - Math.log(qk));
    }
  return e;
}
const resp = DATA.map((y) => softmax(LOCS.map((m, k) => Math.log(PI[k]!) + lnorm(y, m))));
const logEvidence = DATA.reduce((acc, y) => {
  const t = LOCS.map((m, k) => Math.log(PI[k]!) + lnorm(y, m));
  const mx = Math.max(...t);
  return acc + mx + Math.log(t.reduce((a, v) => a + Math.exp(v - mx), 0));
}, 0);

describe("TraceEnumELBO with discrete sites enumerated in the guide", () => {
  it("the loss is the exact expectation over the guide's assignments (float64, 1e-10)", async () => {
    const elbo = new TraceEnumELBO({ maxPlateNesting: 1 });
    for (const seed of [1, 2]) {
      const logits = DATA.map((_, n) => LOCS.map((_, k) => Math.sin(seed * (n + 1) * (k + 2))));
      const loss = elbo.loss(key(0), { q_logits: f64(logits) }, model, guide, [f64(DATA)]);
      const want = -exactElbo(logits.map(softmax));
      expect(Math.abs(Number((await loss.data())[0]) - want)).toBeLessThan(1e-10);
    }
  });

  it("SVI on the logits reaches the posterior responsibilities; loss = −log p(y) + KL(q ‖ posterior)", {
    timeout: 120_000,
  }, async () => {
    const svi = new SVI(model, guide, adam(0.2), new TraceEnumELBO({ maxPlateNesting: 1 }));
    const { params } = await svi.run(key(1), 200, [f64(DATA)]);
    const logits = Array.from(await params.q_logits!.data(), Number);
    let worst = 0;
    let kl = 0; // KL(q ‖ p(z | y)), by hand
    for (let n = 0; n < N; n++) {
      const q = softmax(logits.slice(n * K, (n + 1) * K));
      for (let k = 0; k < K; k++) {
        worst = Math.max(worst, Math.abs(q[k]! - resp[n]![k]!));
        kl += q[k]! * Math.log(q[k]! / resp[n]![k]!);
      }
    }
    const loss = new TraceEnumELBO({ maxPlateNesting: 1 }).loss(
      key(2),
      { q_logits: params.q_logits! },
      model,
      guide,
      [f64(DATA)],
    );
    const final = Number((await loss.data())[0]);
    console.log(
      `[enum-guide] max |q − responsibility| ${worst.toExponential(2)}; loss ${final.toFixed(6)} = −log p(y) ${(-logEvidence).toFixed(6)} + KL ${kl.toExponential(3)}`,
    );
    expect(worst).toBeLessThan(0.01);
    // −ELBO = −log p(y) + KL(q ‖ p(z | y)) exactly (float64)
    expect(Math.abs(final - (-logEvidence + kl))).toBeLessThan(1e-9);
    expect(kl).toBeLessThan(0.05);
  });

  it("two dependent enumerated guide sites: a global switch and per-point assignments given it", async () => {
    // model: s ~ Bernoulli(0.4) picks a location set; z_n | s ~ Cat(PI); y_n ~ N(locs_s[z_n], 1)
    const flat = f64([...LOCS, ...LOCS.map((m) => m + 1)]);
    const model2 = (y: Tensor) => {
      const s = sample("s", Bernoulli({ probs: tensor(0.4, { dtype: "float64" }) }));
      plate("N", N, () => {
        const z = sample("z", Categorical({ probs: f64(PI) }));
        sample("y", new Normal(flat.index(s.astype("int32").mul(K).add(z)), 1), { obs: y });
      });
    };
    const qs = 0.7;
    const zLogits = [0, 1].map((s) =>
      DATA.map((_, n) => LOCS.map((_, k) => Math.cos((s + 1) * (n + 2) * (k + 1)))),
    );
    const guide2 = configEnumerate((_y: Tensor) => {
      const s = sample("s", Bernoulli({ probs: tensor(qs, { dtype: "float64" }) }));
      const table = f64(zLogits.flat()); // [2N, K]: row s·N + n
      plate("N", N, () => {
        const rows = s
          .astype("int32")
          .mul(N)
          .add(
            tensor(
              Array.from({ length: N }, (_, n) => n),
              { dtype: "int32" },
            ),
          );
        sample("z", Categorical({ logits: table.index(rows) }));
      });
    });
    const loss = new TraceEnumELBO({ maxPlateNesting: 1 }).loss(key(0), {}, model2, guide2, [f64(DATA)]);
    let want = 0;
    for (const s of [0, 1]) {
      const ws = s === 1 ? qs : 1 - qs;
      let inner = Math.log(s === 1 ? 0.4 : 0.6) - Math.log(ws);
      for (let n = 0; n < N; n++) {
        const q = softmax(zLogits[s]![n]!);
        for (let k = 0; k < K; k++)
          inner += q[k]! * (Math.log(PI[k]!) + lnorm(DATA[n]!, LOCS[k]! + s) - Math.log(q[k]!));
      }
      want += ws * inner;
    }
    expect(Math.abs(Number((await loss.data())[0]) + want)).toBeLessThan(1e-10);
  });

  it("refuses a global model-enumerated site over plated guide-enumerated ones, naming the sites", () => {
    const both = configEnumerate((y: Tensor) => {
      const w = sample("w", Bernoulli({ probs: tensor(0.5, { dtype: "float64" }) }));
      plate("N", N, () => {
        const z = sample("z", Categorical({ probs: f64(PI) }));
        sample("y", new Normal(f64(LOCS).index(z).add(w), 1), { obs: y });
      });
    });
    expect(() =>
      new TraceEnumELBO({ maxPlateNesting: 1 }).loss(key(0), { q_logits: f64(resp) }, both, guide, [
        f64(DATA),
      ]),
    ).toThrow(/site\(s\) 'w' are more global than guide-enumerated site 'z' in plate 'N'/);
  });
});
