/**
 * Mean anchoring (SCRIBE `expression_anchor`, see docs/SOURCES.md): the prior of mu is centred
 * per gene at log((ū_g + 1e−3)/ν̄) with σ = 0.3, ν̄ = mean_c(L_c/M₀) for VCP models, 1 otherwise.
 * The centres are recomputed here in float64 from the counts; the prior is checked through the
 * model's own `mu` site (medians of 4000 prior draws).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, seed, type Tensor, tensor, trace } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, latentSiteSpecs, makeConfig, nbdm, ScribeResults, scribeModel } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const C = 40;
const G = 5;
const MEANS = [0.2, 1, 4, 15, 60];

function simulate(seedNo: number): { counts: Tensor; host: number[][] } {
  const mu = tensor(MEANS).expand([C, G]);
  const p = tensor(0.5).expand([C, G]);
  const counts = new NegativeBinomialProbs(mu.mul(p.neg().add(1)).div(p), p, false).sample(key(seedNo));
  const flat = Array.from(counts.dataSync() as ArrayLike<number>, Number);
  return { counts, host: Array.from({ length: C }, (_, c) => flat.slice(c * G, (c + 1) * G)) };
}

/** log((ū_g + 1e−3)/ν̄) in float64. */
function centres(host: number[][], logM0: number | null): number[] {
  const nuBar =
    logM0 === null
      ? 1
      : host.reduce(
          (a, row) =>
            a +
            Math.max(
              1,
              row.reduce((x, y) => x + y, 0),
            ) /
              Math.exp(logM0),
          0,
        ) / C;
  return Array.from({ length: G }, (_, g) =>
    Math.log((host.reduce((a, row) => a + row[g]!, 0) / C + 1e-3) / nuBar),
  );
}

/** Median over draws of log mu_g from the model's `mu` site (prior, no counts). */
function priorLogMedian(model: (c: Tensor | null) => void): number[] {
  const tr = trace(seed(model, key(1))).getTrace(null);
  const site = tr.get("mu") as unknown as { fn: { sample: (k: unknown, s: number[]) => Tensor } };
  const draws = site.fn.sample(key(2), [4000]);
  const v = Array.from(draws.log().dataSync() as ArrayLike<number>, Number);
  return Array.from({ length: G }, (_, g) => {
    const col = Array.from({ length: 4000 }, (_, s) => v[s * G + g]!).sort((a, b) => a - b);
    return (col[1999]! + col[2000]!) / 2;
  });
}

describe("expressionAnchor", () => {
  it("fit computes the centres log(ū_g + 1e-3) (nbdm, no capture); the model's mu prior has those medians", async () => {
    const { counts, host } = simulate(4);
    const want = centres(host, null);
    const { results } = await fit(counts, {
      model: "nbdm",
      parameterization: "mean_odds",
      expressionAnchor: true,
      nSteps: 5,
      seed: 0,
    });
    const got = results.meta.expressionAnchorLoc as number[];
    for (let g = 0; g < G; g++) expect(Math.abs(got[g]! - want[g]!)).toBeLessThan(1e-6);
    // mean anchoring forces unconstrained mode
    expect(results.config.unconstrained).toBe(true);
    for (const transform of ["softplus", "exp"] as const) {
      const { model } = nbdm({
        nCells: C,
        nGenes: G,
        parameterization: "mean_odds",
        positiveTransform: transform,
        expressionAnchor: true,
        expressionAnchorLoc: got,
      });
      const med = priorLogMedian(model);
      console.log(
        `anchor (${transform}): prior median log mu ${med.map((x) => x.toFixed(3))} vs centres ${want.map((x) => x.toFixed(3))}`,
      );
      // median of 4000 draws of N(c, 0.3) (mapped monotonically): sd ≈ 1.25·0.3/√4000 = 0.006
      for (let g = 0; g < G; g++) expect(Math.abs(med[g]! - want[g]!)).toBeLessThan(0.03);
    }
    const cfg = makeConfig("nbdm", {
      nCells: C,
      nGenes: G,
      parameterization: "mean_odds",
      expressionAnchor: true,
      expressionAnchorLoc: got,
    });
    const mu = latentSiteSpecs(cfg).find((s) => s.name === "mu")!;
    expect(mu.family.kind === "tnormal" && mu.family.scale).toBe(0.3);
  }, 180_000);

  it("VCP: ν̄ = mean_c(L_c/M₀) from the capture anchor divides the mean (nbvcp, organism human)", async () => {
    const { counts, host } = simulate(5);
    const logM0 = Math.log(200_000);
    const want = centres(host, logM0);
    const { results } = await fit(counts, {
      model: "nbvcp",
      parameterization: "mean_prob",
      expressionAnchor: true,
      priors: { organism: "human" },
      nSteps: 5,
      seed: 0,
    });
    const got = results.meta.expressionAnchorLoc as number[];
    // the totals are ≈ 80 against M₀ = 2e5: the centres sit ≈ 7.8 nats above log ū
    for (let g = 0; g < G; g++) expect(Math.abs(got[g]! - want[g]!)).toBeLessThan(1e-5);
    expect(got[0]! - Math.log(host.reduce((a, r) => a + r[0]!, 0) / C + 1e-3)).toBeGreaterThan(7);
  }, 180_000);

  it("with a mixture expression hierarchy the population location log_mu_loc gets N(centre, σ)", () => {
    const loc = [0.5, 1, 2, 3, 4];
    const { model, config } = scribeModel("nbdm", {
      nCells: C,
      nGenes: G,
      parameterization: "mean_prob",
      nComponents: 2,
      priors: { mean_expression: "gaussian" },
      expressionAnchor: true,
      expressionAnchorSigma: 0.2,
      expressionAnchorLoc: loc,
    });
    const spec = latentSiteSpecs(config).find((s) => s.name === "log_mu_loc")!;
    expect(spec.family.kind).toBe("normal");
    const tr = trace(seed(model, key(3))).getTrace(null);
    const fn = (tr.get("log_mu_loc") as unknown as { fn: { loc: Tensor; scale: Tensor } }).fn;
    const l = Array.from(fn.loc.dataSync() as ArrayLike<number>, Number);
    const sc = Array.from(fn.scale.dataSync() as ArrayLike<number>, Number);
    // softplus transform: the location is softplus⁻¹(e^c) = log(expm1(e^c))
    for (let g = 0; g < G; g++) {
      expect(Math.abs(l[g]! - Math.log(Math.expm1(Math.exp(loc[g]!))))).toBeLessThan(
        1e-4 * Math.max(1, Math.abs(l[g]!)),
      );
      expect(sc[g]!).toBeCloseTo(0.2, 6);
    }
  });

  it("canonical: r is centred at the mu centre − the prior centre of logit p, so log mu = log r + logit p has its median at the centre", () => {
    const loc = [0.5, 1, 2, 3, 4];
    const mP = 0.7; // logit p ~ N(0.7, 0.5)
    const draws = (model: (c: Tensor | null) => void, name: string) => {
      const tr = trace(seed(model, key(1))).getTrace(null);
      const site = tr.get(name) as unknown as { fn: { sample: (k: unknown, s: number[]) => Tensor } };
      return Array.from(
        site.fn.sample(key(name === "r" ? 2 : 3), [4000]).dataSync() as ArrayLike<number>,
        Number,
      );
    };
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[1999]! + s[2000]!) / 2;
    };
    for (const transform of ["exp", "softplus"] as const) {
      const { model } = nbdm({
        nCells: C,
        nGenes: G,
        positiveTransform: { r: transform },
        priors: { p: [mP, 0.5] },
        expressionAnchor: true,
        expressionAnchorLoc: loc,
      });
      const r = draws(model, "r");
      const p = draws(model, "p");
      for (let g = 0; g < G; g++) {
        const logR = Array.from({ length: 4000 }, (_, s) => Math.log(r[s * G + g]!));
        // r's prior is T(N(T⁻¹(e^{c − m_p}), σ)): its median is exactly e^{c − m_p}
        // (median of 4000 draws of N(·, 0.3): sd ≈ 1.25·0.3/√4000 ≈ 0.006)
        expect(Math.abs(median(logR) - (loc[g]! - mP))).toBeLessThan(0.03);
        if (transform !== "exp") continue;
        // exp transform: log mu = log r + logit p is N(c, √(0.3² + 0.5²)), median c
        // (sd of the median ≈ 1.25·0.58/√4000 ≈ 0.012)
        // p is one scalar per draw (canonical, no p hierarchy)
        expect(p.length).toBe(4000);
        const logMu = logR.map((x, s) => x + Math.log(p[s]! / (1 - p[s]!)));
        expect(Math.abs(median(logMu) - loc[g]!)).toBeLessThan(0.05);
      }
    }
    // a p hierarchy centres logit p at 0: r then takes the mu centres as they are (exp transform)
    const cfg = makeConfig("nbdm", {
      nCells: C,
      nGenes: G,
      nComponents: 2,
      positiveTransform: { r: "exp" },
      priors: { probability: "gaussian", p: [mP, 0.5] },
      expressionAnchor: true,
      expressionAnchorLoc: loc,
    });
    const r = latentSiteSpecs(cfg).find((x) => x.name === "r")!;
    expect(r.family.kind === "tnormal" && r.family.geneLoc).toEqual(loc);
  });

  it("with datasets: the per-gene population location of mu (or a factor design's log-scale base) is N(centre, σ)", () => {
    const loc = [0.5, 1, 2, 3, 4];
    const opts = {
      nCells: 4,
      nGenes: G,
      parameterization: "mean_odds" as const,
      expressionAnchor: true,
      expressionAnchorLoc: loc,
      datasetIndices: [0, 1, 2, 3],
    };
    const family = (cfg: ReturnType<typeof makeConfig>) =>
      latentSiteSpecs(cfg).find((x) => x.name === "log_mu_loc")!.family;
    // dataset hierarchy: mu_d = softplus(N(loc_g, s)), loc_g ~ N(softplus⁻¹(e^c), σ)
    const h = family(makeConfig("nbdm", opts));
    expect(h).toMatchObject({ kind: "normal", scale: 0.3 });
    const gl = h.kind === "normal" ? h.geneLoc! : [];
    loc.forEach((c, g) => {
      expect(gl[g]!).toBeCloseTo(Math.log(Math.expm1(Math.exp(c))), 4);
    });
    // factor design (exp link): the base is log mu at the reference combination
    const f = family(
      makeConfig("nbdm", {
        ...opts,
        datasetFactors: {
          names: ["a", "b"],
          levels: [
            ["a0", "a1"],
            ["b0", "b1"],
          ],
        },
      }),
    );
    expect(f).toMatchObject({ kind: "normal", scale: 0.3, geneLoc: loc });
  });

  it("refuses what it cannot anchor, by name", async () => {
    const { counts } = simulate(6);
    // the canonical parameterization is anchored (through r), not refused
    const { results } = await fit(counts, { model: "nbdm", expressionAnchor: true, nSteps: 2 });
    expect((results.meta.expressionAnchorLoc as number[]).length).toBe(G);
    await expect(
      fit(counts, { model: "nbvcp", parameterization: "mean_odds", expressionAnchor: true, nSteps: 1 }),
    ).rejects.toThrow(/capture anchor.*priors.organism/);
    expect(() =>
      makeConfig("nbdm", {
        nCells: C,
        nGenes: G,
        parameterization: "mean_odds",
        expressionAnchor: true,
        unconstrained: false,
      }),
    ).toThrow(/unconstrained: true/);
  });
});

describe("scribe fit --expression-anchor", () => {
  it("writes results whose anchored centres are the data's log mean expression", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-anchor-cli-"));
    const { counts, host } = simulate(9);
    const data = join(dir, "sim");
    const X = Float32Array.from(counts.dataSync() as ArrayLike<number>);
    write10x(data, createAnnData({ X: { format: "dense", data: X, shape: [C, G] } }));
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbdm", "--parameterization", "mean_odds", "--expression-anchor"];
    args.push("--n-steps", "3", "--n-samples", "2", "--out", out, "-q");
    expect(await runCli(args, io), stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    expect(res.options.expressionAnchor).toBe(true);
    expect(res.config.unconstrained).toBe(true);
    const want = centres(host, null);
    const got = res.meta.expressionAnchorLoc as number[];
    for (let g = 0; g < G; g++) expect(Math.abs(got[g]! - want[g]!)).toBeLessThan(1e-6);
  }, 180_000);
});
