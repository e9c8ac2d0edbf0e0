// Issue 21: when X is not count data, `scribe fit` suggests where raw counts may be, offering
// only what the file has: `--layer NAME` when it has layers, `--raw` when it has a `.raw`
// (it used to offer `--raw` for every .h5ad, also one without `.raw`).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { h5 } from "@scribe/models/io/h5-runtime.js";
import { writeFrame, writeMatrix } from "@scribe/models/io/h5ad-write.js";
import type { Matrix } from "@scribe/models/io/index.js";
import { describe, expect, it } from "vitest";

const C = 10;
const G = 4;
const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
/** A cells × genes matrix with entries i mod 7, times `scale` (0.37: log-normalised-looking). */
const matrix = (scale: number): Matrix => ({
  format: "dense",
  data: Float64Array.from({ length: C * G }, (_, i) => (i % 7) * scale),
  shape: [C, G],
});

/** An .h5ad whose X is not count data, with a `counts` layer and/or a `.raw` of counts. */
async function writeNonCountX(path: string, opts: { layer: boolean; raw: boolean }): Promise<void> {
  const lib = await h5();
  const f = new lib.File(path, "w");
  f.create_attribute("encoding-type", "anndata");
  f.create_attribute("encoding-version", "0.1.0");
  writeFrame(f, "obs", { index: names("cell", C), columns: {} }, {});
  writeFrame(f, "var", { index: names("gene", G), columns: {} }, {});
  writeMatrix(f, "X", matrix(0.37), {});
  if (opts.layer) {
    const layers = f.create_group("layers");
    layers.create_attribute("encoding-type", "dict");
    layers.create_attribute("encoding-version", "0.1.0");
    writeMatrix(layers, "counts", matrix(1), {});
  }
  if (opts.raw) {
    const raw = f.create_group("raw");
    raw.create_attribute("encoding-type", "raw");
    raw.create_attribute("encoding-version", "0.1.0");
    writeMatrix(raw, "X", matrix(1), {});
    writeFrame(raw, "var", { index: names("rawgene", G), columns: {} }, {});
  }
  f.close();
}

async function fitStderr(path: string, out: string): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const io: CliIO = {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
  };
  const code = await runCli(["fit", path, "--out", out, "--n-steps", "2"], io);
  return { code, stderr };
}

describe("scribe fit on an .h5ad whose X is not count data", () => {
  const dir = mkdtempSync(join(tmpdir(), "scribe-raw-hint-"));

  it.each([
    { layer: false, raw: false, hint: null },
    { layer: false, raw: true, hint: /Raw counts elsewhere\? Pass --raw \(\.raw: 10 × 4\)\.$/m },
    { layer: true, raw: false, hint: /Raw counts elsewhere\? Pass --layer NAME \(layers: counts\)\.$/m },
    {
      layer: true,
      raw: true,
      hint: /Raw counts elsewhere\? Pass --layer NAME \(layers: counts\) or --raw \(\.raw: 10 × 4\)\.$/m,
    },
  ])(
    "layers: $layer, .raw: $raw — offers only what the file has",
    async ({ layer, raw, hint }) => {
      const path = join(dir, `x-${layer}-${raw}.h5ad`);
      await writeNonCountX(path, { layer, raw });
      const r = await fitStderr(path, join(dir, `out-${layer}-${raw}`));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/X is not count data: /);
      if (hint) expect(r.stderr).toMatch(hint);
      else expect(r.stderr).not.toMatch(/--raw|--layer|Raw counts/);
      if (!raw) expect(r.stderr).not.toMatch(/--raw/);
    },
    60_000,
  );
});
