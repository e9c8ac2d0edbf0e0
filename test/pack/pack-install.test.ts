// The published form of the packages: `npm run build` emits dist/, `npm pack` makes the four
// tarballs, a fresh project installs them offline (npm cache only, see offline-lock.ts) and
// runs a small SVI fit through the package entry points in Node, in Deno (bare specifiers
// resolved from the project's package.json and node_modules) and as an esbuild bundle.
// The check is the closed-form Gamma–Poisson posterior mean (smoke.mjs). About a minute on
// 2 cores (build, pack, install, three runs), so it runs with SCRIBE_SLOW=1; .ci/run runs it
// explicitly.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineProject, type PackedPackage } from "./offline-lock.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const deno = join(root, "node_modules/.bin/deno");
const enabled = process.env.SCRIBE_SLOW === "1";

const FOLDERS = [
  ["@scribe/core", "packages/core"],
  ["@scribe/distributions", "packages/distributions"],
  ["@scribe/infer", "packages/infer"],
  ["@scribe/models", "packages/scribe-models"],
] as const;

/** What smoke.mjs prints. */
interface SmokeResult {
  posteriorMean: number;
  exact: number;
  nbFit: string;
  lossPlot: string;
}

/** The JSON line a smoke run printed last. */
function lastJson(stdout: string): SmokeResult {
  const line = stdout.trim().split("\n").at(-1);
  if (line === undefined) throw new Error(`smoke run printed nothing`);
  return JSON.parse(line) as SmokeResult;
}

/** SVI on a family that holds the exact posterior: only optimisation noise is left (~1 % at 800 steps). */
function expectClosedForm(r: SmokeResult): void {
  expect(Math.abs(r.posteriorMean / r.exact - 1)).toBeLessThan(0.03);
  expect(r.nbFit).toBe("function");
  expect(r.lossPlot).toBe("function");
}

describe.skipIf(!enabled)("packed packages install offline and run", () => {
  let work = "";
  let project = "";
  let nodeResult: SmokeResult | undefined;

  beforeAll(async () => {
    if (process.env.SCRIBE_PACK_PREBUILT !== "1") {
      // SCRIBE_PACK_PREBUILT=1 packs dist/ as it is (a build you already ran).
      await run("npm", ["run", "build"], { cwd: root }).catch((e: { stdout?: string }) => {
        throw new Error(`npm run build failed:\n${(e.stdout ?? "").slice(-4000)}`);
      });
    }
    work = mkdtempSync(join(tmpdir(), "scribe-pack-"));
    const packed: PackedPackage[] = [];
    for (const [name, folder] of FOLDERS) {
      const before = new Set(readdirSync(work));
      await run("npm", ["pack", "--pack-destination", work], { cwd: join(root, folder) });
      const tarball = readdirSync(work).find((f) => !before.has(f) && f.endsWith(".tgz"));
      if (tarball === undefined) throw new Error(`npm pack in ${folder} wrote no tarball`);
      packed.push({ name, folder, tarball });
    }
    project = join(work, "project");
    mkdirSync(project);
    const { packageJson, packageLock } = offlineProject(join(root, "package-lock.json"), packed);
    writeFileSync(join(project, "package.json"), JSON.stringify(packageJson, null, 2));
    writeFileSync(join(project, "package-lock.json"), JSON.stringify(packageLock, null, 2));
    await run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: project });
    copyFileSync(fileURLToPath(new URL("./smoke.mjs", import.meta.url)), join(project, "smoke.mjs"));
  }, 600_000);

  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it("Node imports the installed packages and fits", { timeout: 300_000 }, async () => {
    const { stdout } = await run(process.execPath, ["smoke.mjs"], { cwd: project });
    nodeResult = lastJson(stdout);
    expectClosedForm(nodeResult);
  });

  it("Deno runs the same script from the project's node_modules", { timeout: 300_000 }, async () => {
    const { stdout } = await run(deno, ["run", "--quiet", "--allow-read", "--allow-env", "smoke.mjs"], {
      cwd: project,
    });
    const r = lastJson(stdout);
    expectClosedForm(r);
    // Same key, same arithmetic: Deno's result is Node's up to last-bit differences in Math.*.
    if (nodeResult !== undefined)
      expect(Math.abs(r.posteriorMean / nodeResult.posteriorMean - 1)).toBeLessThan(1e-9);
  });

  it("esbuild bundles it and the bundle runs", { timeout: 300_000 }, async () => {
    const out = join(project, "bundle", "smoke.mjs");
    const result = await build({
      absWorkingDir: project,
      entryPoints: ["smoke.mjs"],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: out,
      logLevel: "silent",
      // Native addons stay outside the bundle; h5wasm's Node build calls require().
      external: ["webgpu", "@resvg/resvg-js"],
      banner: {
        js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
      },
    });
    expect(result.errors).toEqual([]);
    const { stdout } = await run(process.execPath, [out], { cwd: project });
    expectClosedForm(lastJson(stdout));
  });
});
