import { key, random, seed, splitKey, type Tensor, tensor, trace } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { type FitOptions, fit, scribeModel } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { pearson, spearman } from "../../bench/stats.js";

/** Long statistical runs; the default suite keeps a seeded fast subset. */
const SLOW = process.env.SCRIBE_SLOW === "1";

// Recovery tests for the guides that fit-recovery.test.ts does not cover: the low-rank gene
// factor (`guideRank`), the amortized capture MLP (`amortizeCapture`) and the gene-level
// horseshoe / NEG hierarchies on p (SCRIBE gene-level hierarchies). Small data (150 cells × 10 genes), fixed seeds.
const N = 150;
const G = 10;
const rTrue = Array.from({ length: G }, (_, g) => 1 + (g * 4) / (G - 1)); // 1 … 5

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

/** NB(r_g, p_g) counts [N, G], optionally with per-cell capture ν_c ~ U(0.3, 0.9). */
function simulate(opts: {
  p: number | number[];
  r?: number[];
  n?: number;
  capture?: boolean;
  seed: number;
}): { counts: Tensor; nu?: number[] } {
  const n = opts.n ?? N;
  const r = opts.r ?? rTrue;
  const g = r.length;
  const [k1, k2] = splitKey(key(opts.seed), 2);
  let p: Tensor = (typeof opts.p === "number" ? tensor(opts.p) : tensor(opts.p)).expand([n, g]);
  let nu: number[] | undefined;
  if (opts.capture) {
    const nuT = random.uniform(k1!, [n], 0.3, 0.9);
    nu = arr(nuT);
    const c = nuT.reshape([n, 1]);
    // p̂ = p ν / (1 − p (1 − ν))  (SCRIBE variable-capture models)
    p = p.mul(c).div(p.mul(c.neg().add(1)).neg().add(1));
  }
  const counts = new NegativeBinomialProbs(tensor(r).expand([n, g]), p, false).sample(k2!);
  return { counts, ...(nu ? { nu } : {}) };
}

/** Per-sample values [S, ...] → S rows of the flattened trailing axes. */
function rows(t: Tensor): number[][] {
  const S = t.shape[0]!;
  const v = arr(t);
  const m = v.length / S;
  return Array.from({ length: S }, (_, s) => v.slice(s * m, (s + 1) * m));
}

function mean(a: number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}

const colMeans = (counts: Tensor) => arr(counts.mean(0));
const logit = (p: number) => Math.log(p / (1 - p));

/** Max relative error of the posterior-mean gene means E[mu_g] against `ref`. */
function geneMeanErr(mu: Tensor, ref: number[]): number {
  const m = arr(mu.mean(0));
  return Math.max(...m.map((x, g) => Math.abs(x - ref[g]!) / ref[g]!));
}

/** log det of a symmetric positive-definite matrix (Cholesky). */
function logDet(A: number[][]): number {
  const n = A.length;
  const L = A.map((r) => r.map(() => 0));
  let ld = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        L[i]![i] = Math.sqrt(s);
        ld += Math.log(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  return ld;
}

const base: FitOptions = { learningRate: 0.05, seed: 0 };

describe("low-rank guide (guideRank)", () => {
  it(`nbdm, guideRank 2: ${SLOW ? "gene means recovered; " : ""}guide draws follow W Wᵀ + D; r and p independent in the guide`, async () => {
    const { counts } = simulate({ p: 0.6, seed: 11 });
    const obs = colMeans(counts);
    // Recovery (1) needs 2000 steps: at 1000, q(p) is still concentrating (Beta(37, 20), sd 0.06;
    // at 3000 Beta(208, 139), sd 0.027), which biases the posterior-mean gene means by up to ~12 %
    // (800 steps at lr 0.1: 0.32). So (1) and the mean-field comparison fit run with SCRIBE_SLOW;
    // the default suite fits 400 steps and checks what holds for any fitted parameters: the
    // shapes, and that the guide's draws follow its own W Wᵀ + D with r and p independent (2, 3).
    // Low-rank recovery of gene means is checked in the default suite by lowrank-mixture.test.ts.
    const steps = SLOW ? 2000 : 400;
    const opts = { ...base, model: "nbdm" as const, nSteps: steps };
    const lr = await fit(counts, { ...opts, guideRank: 2 });
    const mf = SLOW ? await fit(counts, opts) : null;
    const P = lr.results.params;
    expect(P.log_r_loc!.shape).toEqual([G]);
    expect(P.log_r_W!.shape).toEqual([G, 2]);
    expect(P.log_r_raw_diag!.shape).toEqual([G]);
    expect(P.r_loc).toBeUndefined(); // the gene factor is low-rank, not mean-field

    const S = 4000;
    const sl = lr.results.getPosteriorSamples({ nSamples: S, seed: 1 });
    const sm = mf?.results.getPosteriorSamples({ nSamples: S, seed: 1 });
    // (1) gene means: posterior mean of mu_g = r_g p / (1 − p) against the sample means (the NB
    // MLE of the mean), and the MAP.
    const errL = geneMeanErr(sl.mu!, obs);
    const errM = sm ? geneMeanErr(sm.mu!, obs) : Number.NaN;
    const mapL = lr.results.getMap();
    const mapErr = Math.max(...arr(mapL.mu!).map((x, g) => Math.abs(x - obs[g]!) / obs[g]!));
    const tail = (h: Float64Array | number[]) => mean(Array.from(h).slice(-200));
    console.log(
      `low-rank: max rel err of E[mu_g] ${errL.toFixed(3)} (mean-field ${errM.toFixed(3)}), MAP ${mapErr.toFixed(3)}, p̂ ${mean(arr(sl.p!)).toFixed(3)} (truth 0.6); ` +
        `loss (last 200) low-rank ${tail(lr.results.lossHistory).toFixed(1)}, mean-field ${mf ? tail(mf.results.lossHistory).toFixed(1) : "(SCRIBE_SLOW)"}`,
    );
    // 15 % (the mean-field nbvcp recovery test allows 20 %). Measured: E[mu] 0.088 (mean-field
    // 0.060), MAP 0.061; also 0.076 / 0.085 on data seeds 21 / 31. What is left after 2000
    // steps is the r–p ridge not fully converged (p̂ 0.62–0.65 vs 0.6).
    if (SLOW) {
      expect(errL).toBeLessThan(0.15);
      expect(mapErr).toBeLessThan(0.15);
    }

    // (2) r and p in the guide. The likelihood pins mu_g = r_g p/(1 − p), so the exact posterior
    // has log r_g and logit p strongly anti-correlated. Both guides factorize q(r) q(p) (SCRIBE
    // guides: the low-rank factor covers the gene parameter only), so their draws show ~0
    // correlation — the low-rank guide does not represent this correlation by construction.
    // S = 4000 draws: sd of a null correlation ≈ 0.016, bound 0.1 ≈ 6 sd.
    const corrRP = (s: Record<string, Tensor>) => {
      const lp = arr(s.p!).map(logit);
      const lr_ = rows(s.r!).map((row) => row.map(Math.log));
      return Array.from({ length: G }, (_, g) =>
        pearson(
          lr_.map((row) => row[g]!),
          lp,
        ),
      );
    };
    const cL = corrRP(sl);
    const cM = sm ? corrRP(sm) : [];
    console.log(
      `corr(log r_g, logit p): low-rank ${cL.map((c) => c.toFixed(3)).join(" ")}; mean-field ${cM.map((c) => c.toFixed(3)).join(" ")}`,
    );
    for (const c of [...cL, ...cM]) expect(Math.abs(c)).toBeLessThan(0.1);
    // Consequence of the missing r–p correlation: q(mu_g) inherits all of q(p)'s spread.
    const sdLogMu = (s: Record<string, Tensor>) => {
      const lm = s.mu!.log();
      return mean(arr(lm.sub(lm.mean(0)).square().mean(0).sqrt()));
    };
    console.log(
      `mean sd of log mu_g in the guide: low-rank ${sdLogMu(sl).toFixed(3)}, mean-field ${sm ? sdLogMu(sm).toFixed(3) : "(SCRIBE_SLOW)"} (data pin it to ≈ ${mean(obs.map((m) => Math.sqrt(1 / (m * 0.4 * N)))).toFixed(3)})`,
    );

    // (3) cross-gene covariance of log r: the draws follow Σ = W Wᵀ + diag(softplus(raw) + 1e−4).
    const W = arr(P.log_r_W!);
    const D = arr(P.log_r_raw_diag!).map((x) => Math.log1p(Math.exp(x)) + 1e-4);
    const Sig = Array.from({ length: G }, (_, i) =>
      Array.from(
        { length: G },
        (_, j) => W[2 * i]! * W[2 * j]! + W[2 * i + 1]! * W[2 * j + 1]! + (i === j ? D[i]! : 0),
      ),
    );
    const lrs = rows(sl.r!).map((row) => row.map(Math.log));
    const mu0 = Array.from({ length: G }, (_, g) => mean(lrs.map((x) => x[g]!)));
    let covErr = 0;
    let maxOff = 0;
    for (let i = 0; i < G; i++)
      for (let j = 0; j <= i; j++) {
        const c = mean(lrs.map((x) => (x[i]! - mu0[i]!) * (x[j]! - mu0[j]!)));
        const nrm = Math.sqrt(Sig[i]![i]! * Sig[j]![j]!);
        covErr = Math.max(covErr, Math.abs(c - Sig[i]![j]!) / nrm);
        if (i !== j) maxOff = Math.max(maxOff, Math.abs(Sig[i]![j]! / nrm));
      }
    // Entropy lost to the off-diagonal part, relative to a diagonal Gaussian with the same
    // marginals: q(r) enters the ELBO's expected log-likelihood only through its per-gene
    // marginals (genes are conditionally independent given p, and q(p) is separate), so the
    // ELBO optimum has a diagonal Σ (W Wᵀ diagonal, e.g. W = 0); the fitted off-diagonal correlation is driven by the
    // single-particle gradient noise from q(p), which is common to all genes.
    const deficit = 0.5 * (Sig.reduce((a, r, i) => a + Math.log(r[i]!), 0) - logDet(Sig));
    console.log(
      `low-rank Σ of log r: max |offdiag corr| ${maxOff.toFixed(3)}, entropy deficit vs diagonal ${deficit.toFixed(2)} nats; max |sample cov − Σ| / (σ_i σ_j) = ${covErr.toFixed(3)}`,
    );
    // sd of one sample covariance normalized by σ_i σ_j is √((1 + ρ²)/S) ≤ 0.022; the max over
    // the 55 entries of the (strongly correlated) Σ runs to ≈ 3.5 sd (a direct check of the
    // LowRankMultivariateNormal sampler at S = 20 000 gave 0.025 ≈ 0.08 at S = 2000); bound 0.1.
    expect(covErr).toBeLessThan(0.1);
  });
});

describe.runIf(SLOW)("amortized capture guide (SCRIBE_SLOW)", () => {
  it("nbvcp: posterior-mean capture tracks the truth; gene means recovered", async () => {
    const { counts, nu } = simulate({ p: 0.6, capture: true, seed: 12 });
    // 2000 steps: at 1000 the MLP is not always converged (data seed 22: pearson 0.31 at fit
    // seed 0 but 0.72 at fit seed 1; both ≈ 0.73 at 2000 steps, loss 3363 → 3207)
    const { results } = await fit(counts, {
      ...base,
      model: "nbvcp",
      amortizeCapture: true,
      captureHiddenDims: [32, 16],
      nSteps: 2000,
    });
    const P = results.params;
    expect(P.capture_amortizer_W0!.shape).toEqual([1, 32]);
    expect(P.capture_amortizer_W1!.shape).toEqual([32, 16]);
    expect(P.capture_amortizer_W2!.shape).toEqual([16, 2]);
    expect(P.p_capture_alpha).toBeUndefined(); // no per-cell variational parameters
    const s = results.getPosteriorSamples({ nSamples: 500, seed: 1, counts });
    expect(s.p_capture!.shape).toEqual([500, N]);
    const nuHat = arr(s.p_capture!.mean(0));
    const totals = arr(counts.sum(-1));
    // E[u_cg] = r_g p̂_c / (1 − p̂_c), p̂_c = p ν_c / (1 − p (1 − ν_c)), averaged over cells and
    // draws (capture and p are identified only up to a scale, so compare predicted means).
    const pc = rows(s.p_capture!);
    const rr = rows(s.r!);
    const pp = arr(s.p!);
    const pred = Array.from({ length: G }, (_, g) =>
      mean(
        pc.map((row, k) =>
          mean(
            row.map((n) => {
              const ph = (pp[k]! * n) / (1 - pp[k]! * (1 - n));
              return (rr[k]![g]! * ph) / (1 - ph);
            }),
          ),
        ),
      ),
    );
    const obs = colMeans(counts);
    const err = Math.max(...pred.map((x, g) => Math.abs(x - obs[g]!) / obs[g]!));
    // the same after removing the common scale (geometric mean of pred / obs over genes)
    const scale = Math.exp(mean(pred.map((x, g) => Math.log(x / obs[g]!))));
    const shapeErr = Math.max(...pred.map((x, g) => Math.abs(x / scale - obs[g]!) / obs[g]!));
    const rho = pearson(nuHat, nu!);
    const sp = spearman(nuHat, nu!);
    const ceiling = spearman(totals, nu!);
    const mono = spearman(nuHat, totals);
    console.log(
      `amortized: pearson(ν̂, ν) ${rho.toFixed(3)}, spearman ${sp.toFixed(3)} (ceiling spearman(total, ν) ${ceiling.toFixed(3)}), spearman(ν̂, total) ${mono.toFixed(3)}, ` +
        `ν̂ range ${Math.min(...nuHat).toFixed(3)}–${Math.max(...nuHat).toFixed(3)} (truth 0.3–0.9); max rel err of gene means ${err.toFixed(3)} (common scale ${scale.toFixed(3)}; without it ${shapeErr.toFixed(3)})`,
    );
    // bound 0.5 as in the mean-field nbvcp recovery test; the guide sees only log1p(total), so
    // its ν̂ can at best be a monotone function of the total (rank correlation ceiling above)
    expect(rho).toBeGreaterThan(0.5);
    expect(mono).toBeGreaterThan(0.95);
    expect(sp).toBeGreaterThan(ceiling - 0.05);
    // 20 %, as the mean-field nbvcp recovery test. The error is a common scale that wobbles
    // with the last iterate at lr 0.05 (same data, MAP: amortized 0.07 / 0.16 / 0.12 at 1000 /
    // 2000 / 3000 steps; the mean-field capture guide 0.16 / 0.13 / 0.14), so the relative gene
    // means are checked separately: 12 % (measured 0.085; per-gene last-iterate jitter is of
    // the order of the posterior sd of log r_g, ≈ 0.07 for the lowest-count gene).
    expect(err).toBeLessThan(0.2);
    expect(shapeErr).toBeLessThan(0.12);
  });
});

describe.runIf(SLOW)("horseshoe / NEG hierarchy on p (nbdm, unconstrained; SCRIBE_SLOW)", () => {
  // 8 genes share p = 0.5, gene 2 has 0.85, gene 7 has 0.15; r = 3 for all; 300 cells
  // (per-gene p is weakly identified, so shrinkage is visible).
  const C = 300;
  const pShared = 0.5;
  const pg = Array.from({ length: G }, (_, g) => (g === 2 ? 0.85 : g === 7 ? 0.15 : pShared));
  const sharedIdx = pg.map((p, g) => (p === pShared ? g : -1)).filter((g) => g >= 0);
  const { counts } = simulate({ p: pg, r: new Array<number>(G).fill(3), seed: 13, n: C });
  // The non-hierarchical baseline: each gene fitted on its own (nbdm, flat p prior), once for both families.
  let flat: Promise<number[]> | null = null;
  const flatFits = () =>
    (flat ??= (async () => {
      const out: number[] = [];
      for (let g = 0; g < G; g++) {
        const f = await fit(counts.slice([0, g], [C, g + 1]), {
          ...base,
          model: "nbdm",
          unconstrained: true,
          nSteps: 500,
        });
        out.push(mean(arr(f.results.getPosteriorSamples({ nSamples: 200, seed: 1 }).p!)));
      }
      return out;
    })());
  const rms = (xs: number[], c: number) => Math.sqrt(mean(xs.map((x) => (x - c) ** 2)));

  for (const family of ["horseshoe", "neg"] as const) {
    it(`${family}: sites and shapes per SCRIBE gene-level hierarchies; shared genes shrunk more than per-gene fits; outliers kept`, async () => {
      const opts = { nCells: C, nGenes: G, unconstrained: true, priors: { probability: family } } as const;
      const { model, guide } = scribeModel("nbdm", opts);
      const tr = trace(seed(model, key(0))).getTrace(counts);
      const sites = Object.fromEntries(
        [...tr.entries()]
          .filter(([, v]) => v.type === "sample" || v.type === "deterministic")
          .map(([k, v]) => [k, `${v.type}[${v.value!.shape}]`]),
      );
      const hyper =
        family === "horseshoe"
          ? { tau_p: "sample[]", lambda_p: `sample[${G}]`, c_sq_p: "sample[]" }
          : { zeta_p: `sample[${G}]`, psi_p: `sample[${G}]` };
      expect(sites).toEqual({
        logit_p_loc: "sample[]",
        ...hyper,
        p_raw: `sample[${G}]`, // non-centred z_g
        r: `sample[${G}]`,
        p: `deterministic[${G}]`, // p_g = sigmoid(loc + eff_g z_g), per gene
        mu: `deterministic[${G}]`,
        phi: `deterministic[${G}]`,
        counts: `sample[${C},${G}]`,
      });
      // the guide has a factor for every latent sample site of the model and no other sample site
      const gt = trace(seed(guide, key(0))).getTrace(counts);
      const gSites = [...gt.entries()]
        .filter(([, v]) => v.type === "sample")
        .map(([k]) => k)
        .sort();
      expect(gSites).toEqual(
        Object.keys(sites)
          .filter((k) => sites[k]!.startsWith("sample") && k !== "counts")
          .sort(),
      );

      const { results } = await fit(counts, { ...base, model: "nbdm", ...opts, nSteps: 1500 });
      const s = results.getPosteriorSamples({ nSamples: 500, seed: 1 });
      const pHat = arr(s.p!.mean(0));
      const pop = mean(arr(s.logit_p_loc!));
      const pFlat = await flatFits();
      const shH = sharedIdx.map((g) => logit(pHat[g]!));
      const shF = sharedIdx.map((g) => logit(pFlat[g]!));
      const spreadH = rms(shH, pop);
      const spreadF = rms(shF, mean(shF));
      const keep = [2, 7].map(
        (g) => Math.abs(logit(pHat[g]!) - pop) / Math.abs(logit(pFlat[g]!) - mean(shF)),
      );
      console.log(
        `${family}: p̂ ${pHat.map((x) => x.toFixed(3)).join(" ")}, population sigmoid(loc) ${(1 / (1 + Math.exp(-pop))).toFixed(3)}\n` +
          `per-gene: p̂ ${pFlat.map((x) => x.toFixed(3)).join(" ")}\n` +
          `RMS spread of logit p̂ over the 8 shared genes: ${family} ${spreadH.toFixed(4)} (around the population loc), per-gene ${spreadF.toFixed(4)}; ` +
          `outliers keep ${keep.map((k) => (100 * k).toFixed(0)).join(" % / ")} % of their per-gene deviation`,
      );
      // Shrinkage: the per-gene fits scatter by sampling noise (RMS 0.06 in logit for this seed,
      // 0.10 / 0.15 for data seeds 23 / 33); the hierarchy should pull the shared genes together.
      // Measured spread ratio hierarchical / per-gene on data seeds 13 / 23 / 33: horseshoe
      // 0.17 / 0.19 / 0.45 (τ is learned, so it can shrink hard); NEG at SCRIBE's defaults
      // (u = a = τ = 1, no learned global scale) 0.42 / 0.43 / 0.96 — much milder. For contrast
      // the "gaussian" hierarchy gives 1.67 / 1.02 / 1.19: its one scale must cover the outliers.
      expect(spreadH).toBeLessThan((family === "horseshoe" ? 0.5 : 0.7) * spreadF);
      // ...while the heavy-tailed local scales let the two real outliers escape most shrinkage
      // (measured 78–99 % over the three data seeds); bound 60 %.
      for (const k of keep) expect(k).toBeGreaterThan(0.6);
      // and the population value sits at the shared genes: truth 0.5, measured 0.54–0.555 on all
      // three data seeds (the per-gene fits land at ≈ 0.55 too: the r–p ridge with r's prior
      // median softplus(0) = 0.69 pulls p up); within 0.1 on the p scale
      expect(Math.abs(1 / (1 + Math.exp(-pop)) - pShared)).toBeLessThan(0.1);
    });
  }
});
