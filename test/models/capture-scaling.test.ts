/**
 * Capture scaling (SCRIBE `priors={"capture_scaling": family}`, see docs/SOURCES.md): the η
 * prior's location log M₀ becomes a latent mu_eta (scalar), or per dataset mu_eta_d = pop + s·raw_d
 * (non-centred). Checked on the model's own trace with chosen latent values.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, seed, substitute, type Tensor, tensor, trace } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, latentSiteSpecs, ScribeResults, scribeModel } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const C = 8;
const G = 3;
const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const COUNTS = Array.from({ length: C }, (_, c) => [c, 2 * c + 1, (c * 7) % 5]);
const totals = COUNTS.map((r) =>
  Math.max(
    1,
    r.reduce((a, b) => a + b, 0),
  ),
);

/** The η prior's location per cell in a trace of `model` with `values` substituted. */
function etaLoc(
  model: (c: Tensor | null) => void,
  values: Record<string, Tensor>,
): { loc: number[]; tr: ReturnType<ReturnType<typeof trace>["getTrace"]> } {
  const tr = trace(seed(substitute(model, values), key(0))).getTrace(tensor(COUNTS));
  const fn = (tr.get("eta_capture") as unknown as { fn: { loc: Tensor } }).fn;
  return { loc: arr(fn.loc), tr };
}

describe("captureScaling", () => {
  it("one dataset: mu_eta ~ N(log M₀, 1) replaces log M₀ in the η prior location", () => {
    const { model, config } = scribeModel("nbvcp", {
      nCells: C,
      nGenes: G,
      priors: { organism: "human", capture_scaling: "gaussian" },
    });
    const site = latentSiteSpecs(config).find((s) => s.name === "mu_eta")!;
    expect(site.family).toEqual({ kind: "normal", loc: Math.log(200_000), scale: 1 });
    const { loc } = etaLoc(model, { mu_eta: tensor(10) });
    for (let c = 0; c < C; c++) expect(loc[c]!).toBeCloseTo(10 - Math.log(totals[c]!), 4);
    // without capture scaling the location is log M₀ − log L_c
    const plain = scribeModel("nbvcp", { nCells: C, nGenes: G, priors: { organism: "human" } });
    const l0 = etaLoc(plain.model, {}).loc;
    for (let c = 0; c < C; c++) expect(l0[c]!).toBeCloseTo(Math.log(200_000) - Math.log(totals[c]!), 4);
  });

  it("datasets: mu_eta_d = pop + s·raw_d (gaussian) and the horseshoe's effective scale; each cell uses its dataset's", () => {
    const ds = [0, 1, 0, 1, 1, 0, 0, 1];
    const base = { nCells: C, nGenes: G, unconstrained: true, datasetIndices: ds };
    const g = scribeModel("nbvcp", { ...base, priors: { organism: "mouse", capture_scaling: "gaussian" } });
    const { loc, tr } = etaLoc(g.model, {
      mu_eta_pop: tensor(12),
      mu_eta_scale: tensor(0.5),
      mu_eta_raw: tensor([1, -2]),
    });
    const muEta = [12.5, 11];
    expect(arr((tr.get("mu_eta") as unknown as { value: Tensor }).value)).toEqual(muEta);
    for (let c = 0; c < C; c++) expect(loc[c]!).toBeCloseTo(muEta[ds[c]!]! - Math.log(totals[c]!), 4);
    const h = scribeModel("nbvcp", { ...base, priors: { organism: "mouse", capture_scaling: "horseshoe" } });
    const tau = 0.5;
    const lam = [2, 0.1];
    const cSq = 4;
    const raw = [1, -1];
    const { tr: trH } = etaLoc(h.model, {
      mu_eta_pop: tensor(12),
      tau_mu_eta: tensor(tau),
      lambda_mu_eta: tensor(lam),
      c_sq_mu_eta: tensor(cSq),
      mu_eta_raw: tensor(raw),
    });
    const want = lam.map(
      (l, d) => 12 + ((tau * Math.sqrt(cSq) * l) / Math.sqrt(cSq + tau * tau * l * l)) * raw[d]!,
    );
    const got = arr((trH.get("mu_eta") as unknown as { value: Tensor }).value);
    for (let d = 0; d < 2; d++) expect(got[d]!).toBeCloseTo(want[d]!, 4);
    expect(() =>
      scribeModel("nbvcp", { nCells: C, nGenes: G, priors: { capture_scaling: "gaussian" } }),
    ).toThrow(/priors.organism or priors.capture_efficiency/);
  });
});

describe("scribe fit --capture-scaling", () => {
  it("writes results carrying mu_eta, equal to the API fit's", async () => {
    const n = 60;
    const counts = new NegativeBinomialProbs(
      tensor([2, 5, 10]).expand([n, G]),
      tensor(0.4).expand([n, G]),
      false,
    ).sample(key(2));
    const X = Float32Array.from(counts.dataSync() as ArrayLike<number>);
    const dir = mkdtempSync(join(tmpdir(), "scribe-capscale-cli-"));
    const data = join(dir, "sim");
    write10x(data, createAnnData({ X: { format: "dense", data: X, shape: [n, G] } }));
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbvcp", "--organism", "human", "--capture-scaling", "gaussian"];
    args.push(
      "--n-steps",
      "30",
      "--learning-rate",
      "0.05",
      "--seed",
      "0",
      "--n-samples",
      "2",
      "--out",
      out,
      "-q",
    );
    expect(await runCli(args, io), stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    const muEta = arr(res.getMap().mu_eta!)[0]!;
    const api = await fit(tensor(Array.from(X)).reshape([n, G]), {
      model: "nbvcp",
      priors: { organism: "human", capture_scaling: "gaussian" },
      nSteps: 30,
      learningRate: 0.05,
      seed: 0,
    });
    const want = arr(api.results.getMap().mu_eta!)[0]!;
    console.log(
      `capture scaling: MAP mu_eta CLI ${muEta.toFixed(5)}, API ${want.toFixed(5)} (prior centre ${Math.log(200_000).toFixed(3)})`,
    );
    expect(Math.abs(muEta - want)).toBeLessThan(1e-5);
    expect(Math.abs(muEta - Math.log(200_000))).toBeLessThan(3);
  }, 300_000);
});
