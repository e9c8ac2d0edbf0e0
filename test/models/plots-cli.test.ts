import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axisTitles, drawnMarks, num } from "./plots-svg.js";

const PBMC = "examples/data/pbmc3k_sctransform";
const dir = mkdtempSync(join(tmpdir(), "scribe-viz-"));
const fitDir = join(dir, "fit");
// few steps: the plots are checked against the fit's own output (each step costs ~0.14 s of CPU
// on these 914 genes)
const N_STEPS = 10;
let fitOutput: Record<string, unknown> = {};
let fitPlots: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stderrIsTTY: false,
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}

beforeAll(async () => {
  // a fresh, short fit of the bundled PBMC data (283 cells × 914 genes)
  const io = capture();
  const code = await runCli(
    [
      "fit",
      PBMC,
      "--n-steps",
      String(N_STEPS),
      "--batch-size",
      "64",
      "--learning-rate",
      "0.01",
      "--n-samples",
      "5",
      "--out",
      fitDir,
      "--plots",
      "-q",
    ],
    io,
  );
  expect(code, io.err).toBe(0);
  fitOutput = JSON.parse(io.out) as Record<string, unknown>;
  fitPlots = ["loss", "ppc", "ecdf"].filter((n) => existsSync(join(fitDir, "plots", `${n}.svg`)));
}, 180_000);

describe("scribe visualize", () => {
  it("scribe fit --plots wrote the default plots", () => {
    expect(fitPlots).toEqual(["loss", "ppc", "ecdf"]);
    expect(fitOutput.plots).toBe(join(fitDir, "plots", "index.html"));
  });

  it("draws the default plots of a fresh scribe fit and an index.html linking them", async () => {
    const io = capture();
    const code = await runCli(["visualize", fitDir, "--n-samples", "20", "-q"], io);
    expect(code, io.err).toBe(0);
    const out = join(fitDir, "plots");
    const html = readFileSync(join(out, "index.html"), "utf8");
    for (const name of ["loss", "ppc", "ecdf"]) {
      expect(existsSync(join(out, `${name}.svg`))).toBe(true);
      expect(html).toContain(`<img src="${name}.svg"`);
    }
    expect(JSON.parse(io.out).plots).toHaveLength(3);
    // the loss plot draws the losses of params.json
    const params = JSON.parse(readFileSync(join(fitDir, "params.json"), "utf8")) as { lossHistory: number[] };
    const loss = readFileSync(join(out, "loss.svg"), "utf8");
    const lines = drawnMarks(loss, "line mark");
    // the label uses the axis's SI format (e.g. "1.52M"): 3 significant digits
    const si = lines[0]!.fields["loss (−ELBO, log scale)"]!;
    const scaled =
      num(si.slice(0, -1)) * ({ k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[si.slice(-1)]!;
    expect(Math.abs(scaled / params.lossHistory[0]! - 1)).toBeLessThan(5e-3);
    expect(params.lossHistory.length).toBe(N_STEPS);
    expect(lines[0]!.d!.match(/[ML]/g)!.length).toBe(N_STEPS);
    // 25 PPC panels of real genes
    const ppc = readFileSync(join(out, "ppc.svg"), "utf8");
    expect(axisTitles(ppc)).toContain("fraction of cells");
    expect(new Set(drawnMarks(ppc, "point").map((p) => p.fields.gene)).size).toBe(25);
  }, 180_000);

  it("PNG format and the DE plots of a scribe de CSV (no fit folder needed)", async () => {
    const csv = join(dir, "de.csv");
    writeFileSync(
      csv,
      "gene,log2FC,statistic,pval,padj,dispersion\nA,3,40,1e-8,2e-8,0.1\nB,-2,20,1e-4,1e-4,0.2\nC,0.1,0.1,0.7,0.7,0.1\nD,NA,NA,NA,NA,NA\n",
    );
    const io = capture();
    const out = join(dir, "de-plots");
    const code = await runCli(["visualize", "--de", csv, "--out", out, "--format", "png", "-q"], io);
    expect(code, io.err).toBe(0);
    expect(existsSync(join(out, "volcano.png"))).toBe(true);
    expect(existsSync(join(out, "pvalues.png"))).toBe(true);
    expect(existsSync(join(out, "ma.png"))).toBe(false); // needs --de-data
    const png = readFileSync(join(out, "volcano.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  }, 180_000);

  it("bad input is a clear error", async () => {
    const notFit = join(dir, "empty");
    mkdirSync(notFit, { recursive: true });
    let io = capture();
    expect(await runCli(["visualize", notFit], io)).toBe(1);
    expect(io.err).toMatch(/is not a scribe fit folder: no params\.json/);
    io = capture();
    expect(await runCli(["visualize", fitDir, "--plots", "loss,banana"], io)).toBe(2);
    expect(io.err).toMatch(/unknown plot "banana"; available: loss, ppc/);
    io = capture();
    expect(await runCli(["visualize", fitDir, "--plots", "composition"], io)).toBe(1);
    expect(io.err).toMatch(/cannot draw composition: model nbvcp is not a mixture/);
    io = capture();
    expect(await runCli(["visualize", fitDir, "--format", "pdf"], io)).toBe(2);
    io = capture();
    writeFileSync(join(dir, "bad.csv"), "gene,score\nA,1\n");
    expect(await runCli(["visualize", "--de", join(dir, "bad.csv")], io)).toBe(1);
    expect(io.err).toMatch(/not a DE table: missing columns log2FC, pval, padj/);
    io = capture();
    expect(await runCli(["visualize"], io)).toBe(2);
  }, 180_000);
});
